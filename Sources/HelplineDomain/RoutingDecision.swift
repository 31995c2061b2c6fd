public import Foundation

/// A queue on one Asterisk server: the PBX's name (as configured for its AMI endpoint) and
/// the queue's name in its `queues.conf`.
public struct QueueRef: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// The PBX.
    public var pbx: String
    /// The queue.
    public var queue: String

    /// A queue reference.
    public init(pbx: String, queue: String) {
        self.pbx = pbx
        self.queue = queue
    }

    /// `queue@pbx`.
    public var description: String { "\(queue)@\(pbx)" }

    public static func < (a: QueueRef, b: QueueRef) -> Bool { (a.pbx, a.queue) < (b.pbx, b.queue) }
}

/// What routing is told about a call.
public struct CallInput: Hashable, Sendable, Codable {
    /// The Asterisk uniqueid.
    public var uniqueid: String?
    /// The caller's number.
    public var callerNumber: String
    /// The caller's language.
    public var language: String
    /// The PBX the call is on (its AMI endpoint's name).
    public var pbx: String
    /// The category the caller chose, if any.
    public var category: String?
    /// The district code the caller keyed, if any.
    public var district: String?
    /// The caller's open tickets (a repeat caller goes back to the same department).
    public var openTickets: [OpenTicket]

    /// A call to route.
    public init(uniqueid: String? = nil, callerNumber: String, language: String, pbx: String, category: String? = nil, district: String? = nil, openTickets: [OpenTicket] = []) {
        self.uniqueid = uniqueid
        self.callerNumber = callerNumber
        self.language = language
        self.pbx = pbx
        self.category = category
        self.district = district
        self.openTickets = openTickets
    }
}

/// One of a caller's open tickets, as routing needs it.
public struct OpenTicket: Hashable, Sendable, Codable {
    /// Its number.
    public var number: String
    /// Its category.
    public var category: String?
    /// Its department.
    public var department: String

    /// An open ticket.
    public init(number: String, category: String?, department: String) {
        self.number = number
        self.category = category
        self.department = department
    }
}

/// What happens to the call.
public enum RoutingAction: String, Hashable, Sendable, Codable {
    /// Into the department's queue.
    case queue
    /// Into the department's overflow queue.
    case overflowQueue = "overflow_queue"
    /// Seats are there but the wait is long: offer a callback instead of waiting (the caller
    /// may still choose to wait in ``CallDecision/queue``; nothing is owed until they choose).
    case callbackOffer = "callback_offer"
    /// No seat can take the call (none serving and no free overflow seat, or the queue full):
    /// a callback is owed now, for ``CallDecision/queue``.
    case callback
    /// Outside opening hours: take the complaint and promise a callback.
    case complaintOnly = "complaint_only"
    /// No queue serves this call on this PBX: say so and take the complaint.
    case closed
}

/// Why a decision came out as it did; `description` is the sentence shown to administrators.
public enum RoutingReason: Hashable, Sendable, CustomStringConvertible {
    case noCategory
    case unknownCategory(String)
    case category(String, department: String)
    case emergency(String, department: String)
    case repeatCaller(ticket: String, department: String)
    case unknownDepartment(String)
    case officer(String, district: String?)
    case noOfficer(department: String, district: String?)
    case outsideOpeningHours(department: String)
    case noQueueOnPBX(department: String, pbx: String)
    case generalQueue(QueueRef)
    case noQueueAtAll(pbx: String)
    case staleState(since: Date?, asOf: Date)
    case queueNotInLiveState(QueueRef)
    case seatsFree(QueueRef, available: Int, waiting: Int)
    case noSeatServing(QueueRef, loggedIn: Int)
    case overflowHasFreeSeats(QueueRef, available: Int)
    case overflowHasNoFreeSeat(QueueRef?)
    case queueFull(QueueRef, waiting: Int, maximum: Int)
    case waitAboveThreshold(QueueRef, seconds: Double, threshold: Double)
    case waitWithinThreshold(QueueRef, seconds: Double, threshold: Double)
    case emergencyNeverCallback

    /// The reason in one sentence.
    public var description: String {
        switch self {
        case .noCategory: "the caller chose no category: the general queue"
        case .unknownCategory(let id): "category '\(id)' is not in the directory: the general queue"
        case .category(let id, let department): "category '\(id)' belongs to department '\(department)'"
        case .emergency(let id, let department): "category '\(id)' is an emergency: department '\(department)' at top priority"
        case .repeatCaller(let ticket, let department): "the caller has open ticket \(ticket) in this category: back to department '\(department)'"
        case .unknownDepartment(let id): "department '\(id)' is not in the directory: the general queue"
        case .officer(let id, let district): "L1 officer \(id) covers \(district.map { "district \($0)" } ?? "every district")"
        case .noOfficer(let department, let district): "no L1 officer of '\(department)' covers \(district.map { "district \($0)" } ?? "a caller without a district")"
        case .outsideOpeningHours(let department): "department '\(department)' is closed now: take the complaint and promise a callback"
        case .noQueueOnPBX(let department, let pbx): "department '\(department)' has no queue on PBX '\(pbx)'"
        case .generalQueue(let queue): "the general queue \(queue)"
        case .noQueueAtAll(let pbx): "no department queue and no general queue on PBX '\(pbx)'"
        case .staleState(let since, let asOf) where since == nil && asOf.timeIntervalSince1970 <= 0:
            "there are no live figures for this PBX (no AMI connection to it): queue without a callback promise"
        case .staleState(let since, let asOf):
            "live figures are stale (\(since.map { "link down since \(Self.time($0))" } ?? "last update \(Self.time(asOf))")): queue without a callback promise"
        case .queueNotInLiveState(let queue): "no live figures for \(queue): queue without a callback promise"
        case .seatsFree(let queue, let available, let waiting): "\(queue) has \(available) free seats and \(waiting) callers waiting"
        case .noSeatServing(let queue, let loggedIn):
            loggedIn == 0 ? "no seat is logged in to \(queue)" : "all \(loggedIn) seats of \(queue) are paused"
        case .overflowHasFreeSeats(let queue, let available): "overflow queue \(queue) has \(available) free seats"
        case .overflowHasNoFreeSeat(let queue): queue.map { "overflow queue \($0) has no free seat" } ?? "the department has no overflow queue"
        case .queueFull(let queue, let waiting, let maximum): "\(queue) is full (\(waiting) waiting, maximum \(maximum))"
        case .waitAboveThreshold(let queue, let seconds, let threshold):
            "estimated wait in \(queue) is \(Int(seconds.rounded())) s, above the \(Int(threshold)) s threshold: offer a callback"
        case .waitWithinThreshold(let queue, let seconds, let threshold):
            "estimated wait in \(queue) is \(Int(seconds.rounded())) s, within the \(Int(threshold)) s threshold"
        case .emergencyNeverCallback: "an emergency caller is never offered a callback"
        }
    }

    /// `date` as an ISO 8601 UTC time to the second, as reasons print it.
    public static func time(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon)) + "Z"
    }
}

/// Where a call goes and why.
public struct CallDecision: Hashable, Sendable {
    /// What happens.
    public var action: RoutingAction
    /// The department (nil for the general queue).
    public var department: String?
    /// The category routed on, when known to the directory.
    public var category: String?
    /// The queue the call goes to, or is offered to wait in, or the callback is for.
    public var queue: QueueRef?
    /// The queue priority.
    public var priority: Int
    /// Whether the category is an emergency.
    public var emergency: Bool
    /// The L1 officer a complaint from this call is assigned to.
    public var officer: String?
    /// The estimated wait in ``queue``, seconds; nil when unknown.
    public var estimatedWaitSeconds: Double?
    /// The reasons, in the order they were weighed.
    public var reasons: [RoutingReason]

    /// A decision from its parts (Routing makes them; tests may too).
    public init(
        action: RoutingAction, department: String? = nil, category: String? = nil, queue: QueueRef? = nil, priority: Int, emergency: Bool = false,
        officer: String? = nil, estimatedWaitSeconds: Double? = nil, reasons: [RoutingReason] = []
    ) {
        self.action = action
        self.department = department
        self.category = category
        self.queue = queue
        self.priority = priority
        self.emergency = emergency
        self.officer = officer
        self.estimatedWaitSeconds = estimatedWaitSeconds
        self.reasons = reasons
    }
}

/// What the dialplan runs when a call waits in a queue: the channel variables
/// `HELPLINE_ACTION`, `HELPLINE_QUEUE` and `HELPLINE_PRIORITY`, from the call's one decision.
public struct QueueHandOff: Hashable, Sendable {
    /// ``RoutingAction/queue`` or ``RoutingAction/overflowQueue``, nothing else.
    public var action: RoutingAction
    /// The queue the call waits in.
    public var queue: QueueRef
    /// The queue priority.
    public var priority: Int

    /// A hand-off from its parts.
    public init(action: RoutingAction, queue: QueueRef, priority: Int) {
        self.action = action
        self.queue = queue
        self.priority = priority
    }
}

extension CallDecision {
    /// What the dialplan runs when the caller waits in a queue (a declined callback offer waits
    /// in ``queue`` like a plain ``RoutingAction/queue``); nil when the decision sends the call
    /// to no queue (a callback owed, a complaint only, closed).
    public var queueHandOff: QueueHandOff? {
        guard let queue else { return nil }
        switch action {
        case .queue, .callbackOffer: return QueueHandOff(action: .queue, queue: queue, priority: priority)
        case .overflowQueue: return QueueHandOff(action: .overflowQueue, queue: queue, priority: priority)
        case .callback, .complaintOnly, .closed: return nil
        }
    }
}
