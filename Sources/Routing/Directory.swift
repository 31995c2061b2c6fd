public import Foundation
public import HelplineDomain
import TimeSupport

/// A department's queues on one PBX.
public struct DepartmentQueues: Hashable, Sendable {
    /// Where its calls go.
    public var primary: String
    /// Where they go when no seat is logged in to the primary queue.
    public var overflow: String?

    /// Queues on one PBX.
    public init(primary: String, overflow: String? = nil) {
        self.primary = primary
        self.overflow = overflow
    }
}

/// Weekly opening hours in the helpline's local time; a department without them is open 24×7.
public struct OpeningHours: Hashable, Sendable {
    /// Open intervals per weekday (1 = Monday … 7 = Sunday), in minutes since local midnight,
    /// `start..<end`.
    public var days: [Int: [Range<Int>]]

    /// Opening hours.
    public init(days: [Int: [Range<Int>]]) {
        self.days = days
    }

    /// Whether `date` falls in an open interval, local time being `utcOffset` seconds east of UTC.
    public func isOpen(at date: Date, utcOffset: Int) -> Bool {
        let local = LocalTimeWindow.local(date, utcOffset: utcOffset)
        return days[local.weekday]?.contains { $0.contains(local.minute) } ?? false
    }

    /// The first moment at or after `date` when the department is open (`date` itself when
    /// it is open then); nil when it is never open.
    public func nextOpening(after date: Date, utcOffset: Int) -> Date? {
        if isOpen(at: date, utcOffset: utcOffset) { return date }
        let local = LocalTimeWindow.local(date, utcOffset: utcOffset)
        // The start of today, local time, as an instant.
        let midnight = date.addingTimeInterval(-Double(local.minute * 60) - date.timeIntervalSince1970.truncatingRemainder(dividingBy: 60))
        for offset in 0...7 {
            let weekday = (local.weekday - 1 + offset) % 7 + 1
            let starts = (days[weekday] ?? []).map(\.lowerBound).sorted()
            guard let start = starts.first(where: { offset > 0 || $0 > local.minute }) else { continue }
            return midnight.addingTimeInterval(Double(offset * 86_400 + start * 60))
        }
        return nil
    }
}

/// A department that receives complaints.
public struct Department: Hashable, Sendable {
    /// Its id (`water`, `health`, `control-room`).
    public var id: String
    /// Its name per language (`en`, `hi`, `vi` …).
    public var names: [String: String]
    /// Its queues per PBX.
    public var queues: [String: DepartmentQueues]
    /// Hours allowed to resolve a complaint at each level.
    public var slaHours: [TicketLevel: Int]
    /// When it takes calls; nil means always.
    public var openingHours: OpeningHours?
    /// An estimated wait (seconds) above which callers are offered a callback; nil: the
    /// directory-wide default.
    public var callbackAfterSeconds: Double?

    /// A department.
    public init(id: String, names: [String: String] = [:], queues: [String: DepartmentQueues], slaHours: [TicketLevel: Int] = [.l1: 72, .l2: 48], openingHours: OpeningHours? = nil, callbackAfterSeconds: Double? = nil) {
        self.id = id
        self.names = names
        self.queues = queues
        self.slaHours = slaHours
        self.openingHours = openingHours
        self.callbackAfterSeconds = callbackAfterSeconds
    }
}

/// A kind of complaint; each belongs to one department.
public struct Category: Hashable, Sendable {
    /// Its id, as the IVR menu reports it.
    public var id: String
    /// The department handling it.
    public var department: String
    /// Medical, ambulance, control-room: top priority, never a callback.
    public var emergency: Bool
    /// Its name per language.
    public var names: [String: String]

    /// A category.
    public init(id: String, department: String, emergency: Bool = false, names: [String: String] = [:]) {
        self.id = id
        self.department = department
        self.emergency = emergency
        self.names = names
    }
}

/// A district: the code a caller keys in and its names.
public struct District: Hashable, Sendable {
    /// The code keyed on the phone.
    public var code: String
    /// Its name per language.
    public var names: [String: String]

    /// A district.
    public init(code: String, names: [String: String] = [:]) {
        self.code = code
        self.names = names
    }
}

/// An officer who works complaints of one department, at one level, in some districts.
public struct Officer: Hashable, Sendable {
    /// The officer's id (recorded as the ticket's assigned officer).
    public var id: String
    /// The name.
    public var name: String
    /// The department.
    public var department: String
    /// L1 or L2.
    public var level: TicketLevel
    /// The districts covered; nil means every district.
    public var districts: Set<String>?
    /// A phone number.
    public var phone: String?
    /// An e-mail address.
    public var email: String?

    /// An officer.
    public init(id: String, name: String, department: String, level: TicketLevel, districts: Set<String>? = nil, phone: String? = nil, email: String? = nil) {
        self.id = id
        self.name = name
        self.department = department
        self.level = level
        self.districts = districts
        self.phone = phone
        self.email = email
    }
}

/// Thresholds of the routing policy; every one has a documented default.
public struct RoutingPolicy: Hashable, Sendable {
    /// Offer a callback when the estimated wait is above this many seconds (default 300).
    public var callbackAfterSeconds: Double = 300
    /// Live figures older than this are stale (default 30 s); a stale state never leads to a
    /// callback promise.
    public var staleAfterSeconds: Double = 30
    /// The average talk time assumed for a queue that has not taken a call yet (default 180 s).
    public var defaultTalkSeconds: Double = 180
    /// The queue priority of ordinary calls (default 0).
    public var normalPriority = 0
    /// The queue priority of emergency calls (default 10; Asterisk serves higher first).
    public var emergencyPriority = 10
    /// The helpline's local time, seconds east of UTC, for opening hours (default 19800, IST).
    public var utcOffset = 19_800

    /// The defaults.
    public init() {}
}

/// Everything routing knows that administrators edit: departments, categories, districts,
/// officers, the general queue and the policy.
public struct Directory: Sendable {
    /// Departments by id.
    public var departments: [String: Department]
    /// Categories by id.
    public var categories: [String: Category]
    /// Districts by code.
    public var districts: [String: District]
    /// Officers by id.
    public var officers: [String: Officer]
    /// The queue per PBX for calls without a category.
    public var generalQueues: [String: String]
    /// The thresholds.
    public var policy: RoutingPolicy

    /// Officers by (department, level, district); district nil for officers of every district.
    let officerIndex: [OfficerKey: Officer]

    struct OfficerKey: Hashable {
        var department: String
        var level: TicketLevel
        var district: String?
    }

    /// A directory from values (``DirectoryLoader`` reads one from YAML and validates it).
    public init(departments: [Department], categories: [Category], districts: [District], officers: [Officer], generalQueues: [String: String], policy: RoutingPolicy = RoutingPolicy()) {
        self.departments = Dictionary(departments.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.categories = Dictionary(categories.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.districts = Dictionary(districts.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        self.officers = Dictionary(officers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.generalQueues = generalQueues
        self.policy = policy
        var index: [OfficerKey: Officer] = [:]
        // In id order, so the first officer of a department, level and district is the one chosen.
        for officer in officers.sorted(by: { $0.id < $1.id }) {
            if let districts = officer.districts {
                for district in districts where index[OfficerKey(department: officer.department, level: officer.level, district: district)] == nil {
                    index[OfficerKey(department: officer.department, level: officer.level, district: district)] = officer
                }
            } else if index[OfficerKey(department: officer.department, level: officer.level, district: nil)] == nil {
                index[OfficerKey(department: officer.department, level: officer.level, district: nil)] = officer
            }
        }
        officerIndex = index
    }

    /// The officer of `department` at `level` for `district` (one for that district before one
    /// for every district), if any.
    public func officer(department: String, district: String?, level: TicketLevel) -> Officer? {
        if let district, let officer = officerIndex[OfficerKey(department: department, level: level, district: district)] {
            return officer
        }
        return officerIndex[OfficerKey(department: department, level: level, district: nil)]
    }
}

extension Directory {
    /// The department that owns `queue` on `pbx`: one whose own (primary) queue it is, before
    /// one whose overflow queue it is, and among equals the lowest department id, so the answer
    /// never depends on dictionary order. A queue that is one department's own queue and
    /// another's overflow (`health-l1`, the control room's overflow) is the first department's.
    /// Nil for the general queue and for queues no department has.
    public func department(owningQueue queue: String, on pbx: String) -> String? {
        let sorted = departments.values.sorted { $0.id < $1.id }
        if let own = sorted.first(where: { $0.queues[pbx]?.primary == queue }) { return own.id }
        return sorted.first(where: { $0.queues[pbx]?.overflow == queue })?.id
    }

    /// ``department(owningQueue:on:)`` on any PBX, PBX names in ascending order: for a queue
    /// of another PBX than the one asking.
    public func department(owningQueue queue: String) -> String? {
        let pbxs = Set(departments.values.flatMap(\.queues.keys)).sorted()
        for pbx in pbxs {
            if let department = department(owningQueue: queue, on: pbx) { return department }
        }
        return nil
    }

    /// Every queue on `pbx` that the directory names: each department's own and overflow
    /// queues and the general queue.
    public func queues(on pbx: String) -> Set<String> {
        var queues: Set<String> = generalQueues[pbx].map { [$0] } ?? []
        for department in departments.values {
            guard let own = department.queues[pbx] else { continue }
            queues.insert(own.primary)
            if let overflow = own.overflow { queues.insert(overflow) }
        }
        return queues
    }
}
