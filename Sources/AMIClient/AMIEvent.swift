/// Typed views of the events routing and the live state care about (PROTOCOL.md B5–B6), with
/// the raw message as the fallback for every other event.
///
/// Views read their fields from the message on access; nothing is decoded up front.
///
/// ```swift
/// for try await message in connection.events {
///     switch message.typed {
///     case .queueCaller(let caller) where caller.kind == .abandon: callbacks.add(caller.callerIDNumber)
///     case .shutdown(let restarting): logger.notice("PBX stopping", metadata: ["restart": "\(restarting)"])
///     default: break
///     }
/// }
/// ```
public enum AMITypedEvent: Sendable {
    /// QueueMemberStatus, QueueMemberAdded, QueueMemberRemoved, QueueMemberPause, QueueMemberPenalty,
    /// QueueMemberRinginuse.
    case queueMember(QueueMemberEvent)
    /// QueueCallerJoin, QueueCallerLeave, QueueCallerAbandon.
    case queueCaller(QueueCallerEvent)
    /// AgentCalled, AgentRingNoAnswer, AgentConnect, AgentComplete, AgentDump.
    case agent(AgentEvent)
    /// DeviceStateChange: `device`, `state` (`NOT_INUSE`, `INUSE`…).
    case deviceState(device: String, state: String)
    /// Newchannel, Newstate, Hangup, HangupRequest, SoftHangupRequest.
    case channel(ChannelEvent)
    /// OriginateResponse (possibly for another client's Originate).
    case originateResponse(OriginateResponseEvent)
    /// FullyBooted.
    case fullyBooted
    /// Shutdown; `restarting` is true for `Restart: True`.
    case shutdown(restarting: Bool)
    /// Any other event.
    case other(AMIMessage)
}

/// A queue member event; ``member`` holds the member's figures as the event reports them.
public struct QueueMemberEvent: Sendable {
    /// The event's name (`QueueMemberPause`).
    public var name: String
    /// The queue.
    public var queue: String
    /// The member, read from the event.
    public var member: QueueMember
}

/// A queue caller event.
public struct QueueCallerEvent: Sendable {
    /// Which caller event.
    public enum Kind: Sendable, Hashable { case join, leave, abandon }
    /// Which caller event.
    public var kind: Kind
    /// The raw event.
    public var message: AMIMessage
    /// The queue.
    public var queue: String { message["Queue"] ?? "" }
    /// Position (after joining; before leaving).
    public var position: Int? { message.int("Position") }
    /// Callers in the queue after the event (join and leave).
    public var count: Int? { message.int("Count") }
    /// The caller's channel Uniqueid.
    public var uniqueid: String { message["Uniqueid"] ?? "" }
    /// The caller's channel.
    public var channel: String { message["Channel"] ?? "" }
    /// Caller ID number.
    public var callerIDNumber: String { message["CallerIDNum"] ?? "" }
    /// Seconds waited (abandon only).
    public var holdTime: Int? { message.int("HoldTime") }
}

/// An agent event (the caller's snapshot plus the agent's, `Dest`-prefixed).
public struct AgentEvent: Sendable {
    /// The event's name (`AgentConnect`).
    public var name: String
    /// The raw event.
    public var message: AMIMessage
    /// The queue.
    public var queue: String { message["Queue"] ?? "" }
    /// The member interface.
    public var interface: String { message["Interface"] ?? "" }
    /// The member name.
    public var memberName: String { message["MemberName"] ?? "" }
    /// Seconds the caller waited (AgentConnect, AgentComplete).
    public var holdTime: Int? { message.int("HoldTime") }
    /// Seconds talked (AgentComplete).
    public var talkTime: Int? { message.int("TalkTime") }
    /// Ring time: **milliseconds** in AgentRingNoAnswer, seconds in AgentConnect (PROTOCOL.md C23).
    public var ringTime: Int? { message.int("RingTime") }
    /// `caller`, `agent` or `transfer` (AgentComplete).
    public var reason: String? { message["Reason"] }
}

/// A channel lifecycle event.
public struct ChannelEvent: Sendable {
    /// The event's name (`Hangup`).
    public var name: String
    /// The raw event.
    public var message: AMIMessage
    /// The channel name.
    public var channel: String { message["Channel"] ?? "" }
    /// The channel's Uniqueid.
    public var uniqueid: String { message["Uniqueid"] ?? "" }
    /// The call's Linkedid.
    public var linkedid: String { message["Linkedid"] ?? "" }
    /// The numeric channel state.
    public var state: Int? { message.int("ChannelState") }
    /// The hangup cause (Hangup, HangupRequest).
    public var cause: Int? { message.int("Cause") }
}

/// An OriginateResponse.
public struct OriginateResponseEvent: Sendable {
    /// The raw event.
    public var message: AMIMessage
    /// Whether the call was answered (`Response: Success`).
    public var success: Bool { message["Response"]?.lowercased() == "success" }
    /// The dial reason code (4 answered, 5 busy, 8 congestion, 3 no answer, 0 failed).
    public var reason: Int { message.int("Reason") ?? 0 }
    /// The channel (the dial string on failure).
    public var channel: String { message["Channel"] ?? "" }
    /// The ActionID of the Originate, possibly another client's.
    public var actionID: String? { message.actionID }
}

extension AMIMessage {
    /// This event's typed view (``AMITypedEvent/other(_:)`` for events without one).
    public var typed: AMITypedEvent {
        guard kind == .event else { return .other(self) }
        if let kind = LiveEventKind(self) {
            switch kind {
            case .memberStatus, .memberAdded, .memberRemoved, .memberPause, .memberPenalty, .memberRinginuse:
                guard let member = QueueMember(event: self) else { return .other(self) }
                return .queueMember(QueueMemberEvent(name: name, queue: self["Queue"] ?? "", member: member))
            case .callerJoin: return .queueCaller(QueueCallerEvent(kind: .join, message: self))
            case .callerLeave: return .queueCaller(QueueCallerEvent(kind: .leave, message: self))
            case .callerAbandon: return .queueCaller(QueueCallerEvent(kind: .abandon, message: self))
            case .agentConnect, .agentComplete: return .agent(AgentEvent(name: name, message: self))
            case .deviceStateChange: return .deviceState(device: self["Device"] ?? "", state: self["State"] ?? "")
            }
        }
        if nameIs("AgentCalled") || nameIs("AgentRingNoAnswer") || nameIs("AgentDump") {
            return .agent(AgentEvent(name: name, message: self))
        }
        if nameIs("Newchannel") || nameIs("Newstate") || nameIs("Hangup") || nameIs("HangupRequest") || nameIs("SoftHangupRequest") {
            return .channel(ChannelEvent(name: name, message: self))
        }
        if nameIs("OriginateResponse") { return .originateResponse(OriginateResponseEvent(message: self)) }
        if nameIs("FullyBooted") { return .fullyBooted }
        if nameIs("Shutdown") { return .shutdown(restarting: self["Restart"]?.lowercased() == "true") }
        return .other(self)
    }

    /// Whether dropping this event would lose state: queue, member, caller, agent and device
    /// events, OriginateResponse, FullyBooted and Shutdown. The event stream never drops these.
    public var changesState: Bool {
        guard kind == .event else { return false }
        if LiveEventKind(self) != nil { return true }
        return nameIs("OriginateResponse") || nameIs("Shutdown") || nameIs("FullyBooted") || nameIs("AgentCalled")
            || nameIs("AgentRingNoAnswer") || nameIs("AgentDump")
    }
}
