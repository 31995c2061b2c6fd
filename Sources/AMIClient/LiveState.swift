/// A queue member (a seat) as Asterisk's app_queue sees it.
public struct QueueMember: Sendable, Hashable, Codable {
    /// The interface Asterisk dials (`PJSIP/1001`, `Local/agent1@agents/n`); the member's key.
    public var interface: String
    /// The member's display name.
    public var name: String
    /// The device whose state counts (`Custom:agent1`); often the same as ``interface``.
    public var stateInterface: String
    /// `static`, `dynamic` or `realtime`.
    public var membership: String
    /// The numeric device state (`Status`), see ``DeviceState``.
    public var status: DeviceState
    /// Whether the member is paused in this queue.
    public var paused: Bool
    /// Why it is paused (may be empty).
    public var pausedReason: String
    /// Whether the member is on a call from this queue (bridged and not yet accounted for).
    public var inCall: Bool
    /// Calls the member took from this queue.
    public var callsTaken: Int
    /// When the last call ended (epoch seconds, 0 = never).
    public var lastCall: Int
    /// When the member was last paused (epoch seconds, 0 = never).
    public var lastPause: Int
    /// When the member logged in (epoch seconds).
    public var loginTime: Int
    /// The member's penalty (lower rings first).
    public var penalty: Int
    /// Whether the member may be rung while already in use (unknown from QueueStatus).
    public var ringInUse: Bool?
    /// Wrap-up seconds after a call.
    public var wrapUpTime: Int

    /// Creates a member.
    public init(interface: String, name: String = "", stateInterface: String = "", membership: String = "static",
                status: DeviceState = .unknown, paused: Bool = false, pausedReason: String = "", inCall: Bool = false,
                callsTaken: Int = 0, lastCall: Int = 0, lastPause: Int = 0, loginTime: Int = 0, penalty: Int = 0,
                ringInUse: Bool? = nil, wrapUpTime: Int = 0) {
        self.interface = interface
        self.name = name.isEmpty ? interface : name
        self.stateInterface = stateInterface.isEmpty ? interface : stateInterface
        self.membership = membership
        self.status = status
        self.paused = paused
        self.pausedReason = pausedReason
        self.inCall = inCall
        self.callsTaken = callsTaken
        self.lastCall = lastCall
        self.lastPause = lastPause
        self.loginTime = loginTime
        self.penalty = penalty
        self.ringInUse = ringInUse
        self.wrapUpTime = wrapUpTime
    }

    /// Counted as logged in by QueueSummary: every state but INVALID and UNAVAILABLE (PROTOCOL.md B6).
    public var isLoggedIn: Bool { status != .invalid && status != .unavailable }
    /// Free to take a call now: not in use (or unknown) and not paused, as QueueSummary's `Available`.
    public var isAvailable: Bool { (status == .notInUse || status == .unknown) && !paused }
    /// On a call: in use, busy, ringing while in use, on hold, or bridged from the queue.
    public var isOnCall: Bool { inCall || status == .inUse || status == .busy || status == .ringInUse || status == .onHold }
}

/// Asterisk's numeric device state, as in a member's `Status` (PROTOCOL.md B6).
public struct DeviceState: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let unknown = DeviceState(rawValue: 0)
    public static let notInUse = DeviceState(rawValue: 1)
    public static let inUse = DeviceState(rawValue: 2)
    public static let busy = DeviceState(rawValue: 3)
    public static let invalid = DeviceState(rawValue: 4)
    public static let unavailable = DeviceState(rawValue: 5)
    public static let ringing = DeviceState(rawValue: 6)
    public static let ringInUse = DeviceState(rawValue: 7)
    public static let onHold = DeviceState(rawValue: 8)

    /// The name DeviceStateChange uses (`NOT_INUSE`).
    public var description: String {
        switch rawValue {
        case 0: "UNKNOWN"
        case 1: "NOT_INUSE"
        case 2: "INUSE"
        case 3: "BUSY"
        case 4: "INVALID"
        case 5: "UNAVAILABLE"
        case 6: "RINGING"
        case 7: "RINGINUSE"
        case 8: "ONHOLD"
        default: "STATE_\(rawValue)"
        }
    }
}

/// A caller waiting in a queue.
public struct QueueCaller: Sendable, Hashable, Codable {
    /// The channel's Uniqueid; the caller's key.
    public var uniqueid: String
    /// The channel name.
    public var channel: String
    /// The 1-based position in the queue.
    public var position: Int
    /// Caller ID number (as Asterisk reports it; `<unknown>`/`unknown` when absent).
    public var callerIDNumber: String
    /// Caller ID name.
    public var callerIDName: String
    /// The queue priority (from QueueStatus; 0 when only events were seen).
    public var priority: Int
    /// When the caller joined (epoch seconds).
    public var joinedAt: Double

    /// Creates a caller.
    public init(uniqueid: String, channel: String, position: Int, callerIDNumber: String = "", callerIDName: String = "",
                priority: Int = 0, joinedAt: Double) {
        self.uniqueid = uniqueid
        self.channel = channel
        self.position = position
        self.callerIDNumber = callerIDNumber
        self.callerIDName = callerIDName
        self.priority = priority
        self.joinedAt = joinedAt
    }
}

/// One queue of one PBX.
public struct QueueState: Sendable, Hashable, Codable {
    /// The queue's name.
    public var name: String
    /// The strategy (`ringall`, `rrmemory`…), empty until a QueueStatus has been seen.
    public var strategy: String = ""
    /// The most callers allowed (0 = no limit).
    public var maximum: Int = 0
    /// Rolling average hold time in seconds, updated as Asterisk does: the first sample as is,
    /// then (3·old + sample) / 4.
    public var holdTime: Int = 0
    /// Rolling average talk time in seconds.
    public var talkTime: Int = 0
    /// Calls answered and finished.
    public var completed: Int = 0
    /// Callers who hung up while waiting.
    public var abandoned: Int = 0
    /// The service level in seconds.
    public var serviceLevel: Int = 0
    /// The service-level performance in percent, as of the last QueueStatus.
    public var serviceLevelPerformance: Double = 0
    /// The queue's weight.
    public var weight: Int = 0
    /// Members by interface.
    public var members: [String: QueueMember] = [:]
    /// Waiting callers in position order.
    public var callers: [QueueCaller] = []
    /// False when the queue was first seen in an event: its parameters await a QueueStatus.
    public var complete: Bool = true

    /// An empty queue.
    public init(name: String) {
        self.name = name
    }
}

/// The live queue state of one PBX, and the reducer that keeps it.
///
/// `apply(_:now:)` is a pure reducer: one AMI event in, the new state (in place) and an
/// ``Effect`` out. Member figures are taken whole from the member events (they carry absolute
/// values), caller lists are keyed by Uniqueid, and queue counters follow app_queue's own
/// arithmetic, so repeated or reordered events never make a count negative.
public struct PBXState: Sendable, Hashable, Codable {
    /// What a reduced event asks of the connection.
    public enum Effect: Sendable, Hashable {
        /// Nothing changed.
        case none
        /// The state changed.
        case changed
        /// The event named a queue or member this state did not know, or its `Count` disagreed:
        /// the state changed as far as it could, and that queue should be queried again.
        case requery(queue: String)
    }

    /// The endpoint's configured name.
    public var name: String
    /// Queues by name.
    public var queues: [String: QueueState] = [:]
    /// Device states by device (`Custom:agent1` → `NOT_INUSE`), from DeviceStateChange.
    public var devices: [String: String] = [:]
    /// When the state stopped being live (epoch seconds); nil while connected and resynced.
    public var staleSince: Double?
    /// Events applied since start.
    public var eventsApplied: Int = 0
    /// Differences found by reconciliation against a fresh QueueStatus, since start.
    public var drift: Int = 0

    /// A stale, empty state (nothing is known before the first resync).
    public init(name: String, staleSince: Double? = 0) {
        self.name = name
        self.staleSince = staleSince
    }

    /// Whether the state is live (connected and resynced).
    public var isStale: Bool { staleSince != nil }

    // MARK: - Reducer

    /// Applies one event. Events that change no queue state return `.none` quickly.
    @discardableResult
    public mutating func apply(_ message: AMIMessage, now: Double) -> Effect {
        guard message.kind == .event, let kind = LiveEventKind(message) else { return .none }
        eventsApplied += 1
        switch kind {
        case .memberStatus, .memberAdded, .memberPause, .memberPenalty, .memberRinginuse:
            return applyMember(message, kind: kind)
        case .memberRemoved:
            guard let queue = message.string(.queue), let interface = message.string(.interface) else { return .none }
            guard queues[queue] != nil else { return .requery(queue: queue) }
            return queues[queue]!.members.removeValue(forKey: interface) == nil ? .requery(queue: queue) : .changed
        case .callerJoin:
            return applyJoin(message, now: now)
        case .callerLeave:
            return applyLeave(message)
        case .callerAbandon:
            guard let queue = message.string(.queue) else { return .none }
            let known = ensureQueue(queue)
            queues[queue]!.abandoned += 1
            return known ? .changed : .requery(queue: queue)
        case .agentConnect, .agentComplete:
            return applyAgentCall(message, completed: kind == .agentComplete)
        case .deviceStateChange:
            guard let device = message.string(.device), let state = message.string(.state) else { return .none }
            if devices[device] == state { return .none }
            devices[device] = state
            return .changed
        }
    }

    /// AgentConnect (the caller's hold time, the seat is in a call) and AgentComplete (one more
    /// answered call, its talk time, the seat's call is over), with app_queue's arithmetic:
    /// the first sample is taken as is (recalc_holdtime, update_queue), later ones averaged as
    /// (3·old + new) / 4.
    private mutating func applyAgentCall(_ message: AMIMessage, completed: Bool) -> Effect {
        guard let queue = message.string(.queue) else { return .none }
        let known = ensureQueue(queue)
        // Taken out and put back, so the members dictionary is not copied on write.
        var state = queues.removeValue(forKey: queue)!
        func average(_ old: Int, _ sample: Int, first: Bool) -> Int { first ? sample : (old * 3 + sample) / 4 }
        if completed {
            state.completed += 1
            state.talkTime = average(state.talkTime, max(0, message.intValue(.talkTime) ?? 0), first: state.completed == 1)
        } else {
            state.holdTime = average(state.holdTime, max(0, message.intValue(.holdTime) ?? 0), first: state.completed + state.abandoned == 0)
        }
        if let interface = message.string(.interface), state.members[interface] != nil {
            state.members[interface]!.inCall = !completed
        }
        queues[queue] = state
        return known ? .changed : .requery(queue: queue)
    }

    /// Returns whether the queue was already known; creates an incomplete one if not.
    private mutating func ensureQueue(_ name: String) -> Bool {
        if queues[name] != nil { return true }
        var queue = QueueState(name: name)
        queue.complete = false
        queues[name] = queue
        return false
    }

    private mutating func applyMember(_ message: AMIMessage, kind: LiveEventKind) -> Effect {
        guard let queue = message.string(.queue), let member = QueueMember(event: message) else { return .none }
        let knownQueue = ensureQueue(queue)
        let existing = queues[queue]!.members[member.interface]
        let knownMember = existing != nil
        var updated = member
        if updated.ringInUse == nil { updated.ringInUse = existing?.ringInUse }
        if existing == updated { return .none }
        queues[queue]!.members[member.interface] = updated
        return knownQueue && (knownMember || kind == .memberAdded) ? .changed : .requery(queue: queue)
    }

    private mutating func applyJoin(_ message: AMIMessage, now: Double) -> Effect {
        guard let queue = message.string(.queue), let uniqueid = message.string(.uniqueid) else { return .none }
        let known = ensureQueue(queue)
        let position = max(1, message.intValue(.position) ?? (queues[queue]!.callers.count + 1))
        var callers = queues[queue]!.callers
        if let existing = callers.firstIndex(where: { $0.uniqueid == uniqueid }) {
            let removed = callers.remove(at: existing)
            for index in callers.indices where callers[index].position > removed.position { callers[index].position -= 1 }
        }
        for index in callers.indices where callers[index].position >= position { callers[index].position += 1 }
        let caller = QueueCaller(
            uniqueid: uniqueid, channel: message.string(.channel) ?? "", position: position,
            callerIDNumber: message.string(.callerIDNum) ?? "", callerIDName: message.string(.callerIDName) ?? "",
            joinedAt: now)
        let insertAt = callers.firstIndex(where: { $0.position > position }) ?? callers.endIndex
        callers.insert(caller, at: insertAt)
        Self.renumber(&callers)
        queues[queue]!.callers = callers
        if !known { return .requery(queue: queue) }
        if let count = message.intValue(.count), count != callers.count { return .requery(queue: queue) }
        return .changed
    }

    private mutating func applyLeave(_ message: AMIMessage) -> Effect {
        guard let queue = message.string(.queue) else { return .none }
        let known = ensureQueue(queue)
        var callers = queues[queue]!.callers
        let uniqueid = message.string(.uniqueid)
        if let index = callers.firstIndex(where: { $0.uniqueid == uniqueid }) {
            callers.remove(at: index)
            Self.renumber(&callers)
            queues[queue]!.callers = callers
        } else if known {
            // A leave for a caller this state never saw join: it cannot be exact any more.
            return .requery(queue: queue)
        }
        if !known { return .requery(queue: queue) }
        if let count = message.intValue(.count), count != callers.count { return .requery(queue: queue) }
        return .changed
    }

    private static func renumber(_ callers: inout [QueueCaller]) {
        for index in callers.indices where callers[index].position != index + 1 { callers[index].position = index + 1 }
    }

    // MARK: - Snapshots from QueueStatus

    /// Builds queues from the items of a `QueueStatus` reply (QueueParams, QueueMember, QueueEntry).
    public static func queues(fromQueueStatus items: [AMIMessage], now: Double) -> [String: QueueState] {
        var queues: [String: QueueState] = [:]
        for item in items {
            guard let name = item.string(.queue) else { continue }
            if item.nameIs("QueueParams") {
                var queue = queues[name] ?? QueueState(name: name)
                queue.strategy = item.string(.strategy) ?? ""
                queue.maximum = item.intValue(.max) ?? 0
                queue.holdTime = item.intValue(.holdTime) ?? 0
                queue.talkTime = item.intValue(.talkTime) ?? 0
                queue.completed = item.intValue(.completed) ?? 0
                queue.abandoned = item.intValue(.abandoned) ?? 0
                queue.serviceLevel = item.intValue(.serviceLevel) ?? 0
                queue.serviceLevelPerformance = item.string(.serviceLevelPerf).flatMap(Double.init) ?? 0
                queue.weight = item.intValue(.weight) ?? 0
                queue.complete = true
                queues[name] = queue
            } else if item.nameIs("QueueMember"), let member = QueueMember(event: item) {
                queues[name, default: QueueState(name: name)].members[member.interface] = member
            } else if item.nameIs("QueueEntry"), let uniqueid = item.string(.uniqueid) {
                let wait = Double(item.intValue(.wait) ?? 0)
                let caller = QueueCaller(
                    uniqueid: uniqueid, channel: item.string(.channel) ?? "", position: item.intValue(.position) ?? 0,
                    callerIDNumber: item.string(.callerIDNum) ?? "", callerIDName: item.string(.callerIDName) ?? "",
                    priority: item.intValue(.priority) ?? 0, joinedAt: now - wait)
                queues[name, default: QueueState(name: name)].callers.append(caller)
            }
        }
        for name in queues.keys {
            queues[name]!.callers.sort { $0.position < $1.position }
        }
        return queues
    }

    /// How many things differ between two versions of a queue (members, callers, counters):
    /// what reconciliation counts as drift.
    public static func differences(_ a: QueueState?, _ b: QueueState?) -> Int {
        guard let a, let b else { return (a == nil && b == nil) ? 0 : 1 }
        var count = 0
        for interface in Set(a.members.keys).union(b.members.keys) {
            let x = a.members[interface]
            let y = b.members[interface]
            guard let x, let y else { count += 1; continue }
            if x.status != y.status || x.paused != y.paused || x.inCall != y.inCall || x.callsTaken != y.callsTaken || x.penalty != y.penalty {
                count += 1
            }
        }
        if a.callers.map(\.uniqueid) != b.callers.map(\.uniqueid) { count += 1 }
        if a.completed != b.completed { count += 1 }
        if a.abandoned != b.abandoned { count += 1 }
        return count
    }
}

extension QueueMember {
    /// Reads a member from a member event (MemberName/Interface) or a QueueMember list item
    /// (Name/Location), in one pass over the headers.
    init?(event message: AMIMessage) {
        var index = MemberFieldIndex()
        message.forEachField { position, name in index.note(position, name) }
        guard let interfaceAt = index.interface >= 0 ? index.interface : (index.location >= 0 ? index.location : nil) else { return nil }
        func text(_ position: Int) -> String? { position >= 0 ? message.value(at: position) : nil }
        func number(_ position: Int) -> Int? { position >= 0 ? message.intValue(at: position) : nil }
        self.init(
            interface: message.value(at: interfaceAt),
            name: text(index.memberName) ?? text(index.name) ?? "",
            stateInterface: text(index.stateInterface) ?? "",
            membership: text(index.membership) ?? "static",
            status: DeviceState(rawValue: number(index.status) ?? 0),
            paused: (number(index.paused) ?? 0) != 0,
            pausedReason: text(index.pausedReason) ?? "",
            inCall: (number(index.inCall) ?? 0) != 0,
            callsTaken: max(0, number(index.callsTaken) ?? 0),
            lastCall: number(index.lastCall) ?? 0,
            lastPause: number(index.lastPause) ?? 0,
            loginTime: number(index.loginTime) ?? 0,
            penalty: number(index.penalty) ?? 0,
            ringInUse: number(index.ringinuse).map { $0 != 0 },
            wrapUpTime: number(index.wrapuptime) ?? 0)
    }
}

/// Where each member header sits in a message (-1 when absent; the first occurrence wins).
struct MemberFieldIndex {
    var interface = -1, location = -1, memberName = -1, name = -1, stateInterface = -1, membership = -1
    var status = -1, paused = -1, pausedReason = -1, inCall = -1, callsTaken = -1, lastCall = -1
    var lastPause = -1, loginTime = -1, penalty = -1, ringinuse = -1, wrapuptime = -1

    @inline(__always)
    mutating func note(_ position: Int, _ name: UnsafeRawBufferPointer) {
        func set(_ slot: inout Int, _ key: StaticString) -> Bool {
            guard slot < 0, asciiCaseInsensitiveEqual(name, UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)) else { return false }
            slot = position
            return true
        }
        switch name.count {
        case 4: _ = set(&self.name, "Name")
        case 6: _ = set(&status, "Status") || set(&paused, "Paused") || set(&inCall, "InCall")
        case 7: _ = set(&penalty, "Penalty")
        case 8: _ = set(&location, "Location") || set(&lastCall, "LastCall")
        case 9: _ = set(&interface, "Interface") || set(&loginTime, "LoginTime") || set(&lastPause, "LastPause") || set(&ringinuse, "Ringinuse")
        case 10: _ = set(&memberName, "MemberName") || set(&membership, "Membership") || set(&callsTaken, "CallsTaken") || set(&wrapuptime, "Wrapuptime")
        case 12: _ = set(&pausedReason, "PausedReason")
        case 14: _ = set(&stateInterface, "StateInterface")
        default: break
        }
    }
}

/// The events the live state reduces.
enum LiveEventKind: Sendable, Hashable {
    case memberStatus, memberAdded, memberRemoved, memberPause, memberPenalty, memberRinginuse
    case callerJoin, callerLeave, callerAbandon, agentConnect, agentComplete, deviceStateChange

    /// Classifies by the event name's bytes; nil (fast) for the many events that change no queue state.
    init?(_ message: AMIMessage) {
        guard message.count > 0 else { return nil }
        let field = message.fields[0]
        let length = Int(field.valueEnd - field.valueStart)
        guard length >= 12, length <= 20 else { return nil }
        let first = message.bytes.getInteger(at: message.bytes.readerIndex + Int(field.valueStart), as: UInt8.self) ?? 0
        switch first | 0x20 {
        case UInt8(ascii: "q"):
            if message.nameIs("QueueMemberStatus") { self = .memberStatus }
            else if message.nameIs("QueueCallerJoin") { self = .callerJoin }
            else if message.nameIs("QueueCallerLeave") { self = .callerLeave }
            else if message.nameIs("QueueCallerAbandon") { self = .callerAbandon }
            else if message.nameIs("QueueMemberAdded") { self = .memberAdded }
            else if message.nameIs("QueueMemberRemoved") { self = .memberRemoved }
            else if message.nameIs("QueueMemberPause") { self = .memberPause }
            else if message.nameIs("QueueMemberPenalty") { self = .memberPenalty }
            else if message.nameIs("QueueMemberRinginuse") { self = .memberRinginuse }
            else { return nil }
        case UInt8(ascii: "a"):
            if message.nameIs("AgentConnect") { self = .agentConnect }
            else if message.nameIs("AgentComplete") { self = .agentComplete }
            else { return nil }
        case UInt8(ascii: "d"):
            if message.nameIs("DeviceStateChange") { self = .deviceStateChange } else { return nil }
        default:
            return nil
        }
    }
}

/// Header names the live state reads, as static bytes (no String per lookup).
enum LiveHeader {
    case queue, interface, location, memberName, name, stateInterface, membership, status, paused, pausedReason
    case inCall, callsTaken, lastCall, lastPause, loginTime, penalty, ringinuse, wrapuptime
    case uniqueid, channel, position, count, callerIDNum, callerIDName, holdTime, talkTime, device, state
    case strategy, max, completed, abandoned, serviceLevel, serviceLevelPerf, weight, wait, priority

    var text: StaticString {
        switch self {
        case .queue: "Queue"
        case .interface: "Interface"
        case .location: "Location"
        case .memberName: "MemberName"
        case .name: "Name"
        case .stateInterface: "StateInterface"
        case .membership: "Membership"
        case .status: "Status"
        case .paused: "Paused"
        case .pausedReason: "PausedReason"
        case .inCall: "InCall"
        case .callsTaken: "CallsTaken"
        case .lastCall: "LastCall"
        case .lastPause: "LastPause"
        case .loginTime: "LoginTime"
        case .penalty: "Penalty"
        case .ringinuse: "Ringinuse"
        case .wrapuptime: "Wrapuptime"
        case .uniqueid: "Uniqueid"
        case .channel: "Channel"
        case .position: "Position"
        case .count: "Count"
        case .callerIDNum: "CallerIDNum"
        case .callerIDName: "CallerIDName"
        case .holdTime: "HoldTime"
        case .talkTime: "TalkTime"
        case .device: "Device"
        case .state: "State"
        case .strategy: "Strategy"
        case .max: "Max"
        case .completed: "Completed"
        case .abandoned: "Abandoned"
        case .serviceLevel: "ServiceLevel"
        case .serviceLevelPerf: "ServicelevelPerf"
        case .weight: "Weight"
        case .wait: "Wait"
        case .priority: "Priority"
        }
    }
}

extension AMIMessage {
    func string(_ header: LiveHeader) -> String? {
        guard let index = index(of: header.text) else { return nil }
        return value(at: index)
    }

    func intValue(_ header: LiveHeader) -> Int? {
        guard let index = index(of: header.text) else { return nil }
        return intValue(at: index)
    }
}
