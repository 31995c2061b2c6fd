public import Foundation

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
    /// Offer a callback instead of waiting (the caller may still choose to wait in ``CallDecision/queue``).
    case callbackOffer = "callback_offer"
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

    static func time(_ date: Date) -> String {
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
}

extension Directory {
    /// Decides where `call` goes given the live `load` at `now`. Pure: same inputs, same decision.
    ///
    /// The policies, in order:
    /// 1. the category picks the department (an unknown or missing category: the general queue);
    ///    a caller with an open ticket in the same category goes back to that ticket's
    ///    department; an emergency category goes to its department at top priority;
    /// 2. the district picks the L1 officer;
    /// 3. outside the department's opening hours (never for emergencies): take the complaint;
    /// 4. stale live figures: the department's queue, no callback promise;
    /// 5. no seat serving the queue: the overflow queue if it has a free seat, else a callback
    ///    (an emergency goes to the overflow if it has any serving seat, else waits);
    /// 6. the queue full (`maxlen`): a callback (an emergency: the overflow or the queue);
    /// 7. the estimated wait above the threshold: offer a callback (never to an emergency);
    /// 8. otherwise the queue.
    public func decide(_ call: CallInput, load: LiveLoad, now: Date) -> CallDecision {
        var reasons: [RoutingReason] = []
        reasons.reserveCapacity(6)
        var department: Department?
        var categoryID: String?
        var emergency = false

        if let id = call.category {
            if let category = categories[id] {
                categoryID = category.id
                emergency = category.emergency
                var departmentID = category.department
                if emergency {
                    reasons.append(.emergency(id, department: departmentID))
                } else if let open = call.openTickets.first(where: { $0.category == id }), departments[open.department] != nil {
                    departmentID = open.department
                    reasons.append(.repeatCaller(ticket: open.number, department: departmentID))
                } else {
                    reasons.append(.category(id, department: departmentID))
                }
                department = departments[departmentID]
                if department == nil { reasons.append(.unknownDepartment(departmentID)) }
            } else {
                reasons.append(.unknownCategory(id))
            }
        } else {
            reasons.append(.noCategory)
        }

        var officer: String?
        if let department {
            if let found = self.officer(department: department.id, district: call.district, level: .l1) {
                officer = found.id
                reasons.append(.officer(found.id, district: found.districts == nil ? nil : call.district))
            } else {
                reasons.append(.noOfficer(department: department.id, district: call.district))
            }
        }
        var decision = CallDecision(
            action: .queue, department: department?.id, category: categoryID, queue: nil,
            priority: emergency ? policy.emergencyPriority : policy.normalPriority, emergency: emergency,
            officer: officer, estimatedWaitSeconds: nil, reasons: [])

        if let department, !emergency, let hours = department.openingHours, !hours.isOpen(at: now, utcOffset: policy.utcOffset) {
            reasons.append(.outsideOpeningHours(department: department.id))
            decision.action = .complaintOnly
            decision.queue = department.queues[call.pbx].map { QueueRef(pbx: call.pbx, queue: $0.primary) }
            decision.reasons = reasons
            return decision
        }

        // The queues allowed for this call.
        var primary: QueueRef
        var overflow: QueueRef?
        if let department, let queues = department.queues[call.pbx] {
            primary = QueueRef(pbx: call.pbx, queue: queues.primary)
            overflow = queues.overflow.map { QueueRef(pbx: call.pbx, queue: $0) }
        } else {
            if let department { reasons.append(.noQueueOnPBX(department: department.id, pbx: call.pbx)) }
            guard let general = generalQueues[call.pbx] else {
                reasons.append(.noQueueAtAll(pbx: call.pbx))
                decision.action = .closed
                decision.reasons = reasons
                return decision
            }
            primary = QueueRef(pbx: call.pbx, queue: general)
            overflow = nil
            reasons.append(.generalQueue(primary))
        }
        decision.queue = primary

        let stale = load.staleSince != nil || now.timeIntervalSince(load.asOf) > policy.staleAfterSeconds
        if stale {
            reasons.append(.staleState(since: load.staleSince, asOf: load.asOf))
            decision.reasons = reasons
            return decision
        }
        guard let figures = load.queues[primary] else {
            reasons.append(.queueNotInLiveState(primary))
            decision.reasons = reasons
            return decision
        }
        let overflowFigures = overflow.flatMap { load.queues[$0] }

        if figures.serving == 0 {
            reasons.append(.noSeatServing(primary, loggedIn: figures.loggedIn))
            if let overflow, let overflowFigures, overflowFigures.available > 0 {
                reasons.append(.overflowHasFreeSeats(overflow, available: overflowFigures.available))
                decision.action = .overflowQueue
                decision.queue = overflow
                decision.estimatedWaitSeconds = overflowFigures.estimatedWait(defaultTalkSeconds: policy.defaultTalkSeconds)
            } else if emergency {
                reasons.append(.overflowHasNoFreeSeat(overflow))
                reasons.append(.emergencyNeverCallback)
                // Wait where a seat will come free: the overflow, else the general queue.
                let general = generalQueues[call.pbx].map { QueueRef(pbx: call.pbx, queue: $0) }
                if let overflow, let overflowFigures, overflowFigures.serving > 0, !overflowFigures.isFull {
                    decision.action = .overflowQueue
                    decision.queue = overflow
                    decision.estimatedWaitSeconds = overflowFigures.estimatedWait(defaultTalkSeconds: policy.defaultTalkSeconds)
                } else if let general, general != primary, let generalFigures = load.queues[general], generalFigures.serving > 0, !generalFigures.isFull {
                    reasons.append(.generalQueue(general))
                    decision.queue = general
                    decision.estimatedWaitSeconds = generalFigures.estimatedWait(defaultTalkSeconds: policy.defaultTalkSeconds)
                }
            } else {
                reasons.append(.overflowHasNoFreeSeat(overflow))
                decision.action = .callbackOffer
            }
            decision.reasons = reasons
            return decision
        }

        let wait = figures.estimatedWait(defaultTalkSeconds: policy.defaultTalkSeconds)
        decision.estimatedWaitSeconds = wait
        if figures.isFull {
            reasons.append(.queueFull(primary, waiting: figures.callersWaiting, maximum: figures.maximumCallers))
            if emergency {
                reasons.append(.emergencyNeverCallback)
                if let overflow, let overflowFigures, !overflowFigures.isFull, overflowFigures.serving > 0 {
                    decision.action = .overflowQueue
                    decision.queue = overflow
                    decision.estimatedWaitSeconds = overflowFigures.estimatedWait(defaultTalkSeconds: policy.defaultTalkSeconds)
                }
            } else {
                decision.action = .callbackOffer
            }
            decision.reasons = reasons
            return decision
        }

        let threshold = department?.callbackAfterSeconds ?? policy.callbackAfterSeconds
        if let wait, wait > threshold {
            reasons.append(.waitAboveThreshold(primary, seconds: wait, threshold: threshold))
            if emergency {
                reasons.append(.emergencyNeverCallback)
            } else {
                decision.action = .callbackOffer
            }
        } else if figures.available > figures.callersWaiting {
            reasons.append(.seatsFree(primary, available: figures.available, waiting: figures.callersWaiting))
        } else {
            reasons.append(.waitWithinThreshold(primary, seconds: wait ?? 0, threshold: threshold))
        }
        decision.reasons = reasons
        return decision
    }
}
