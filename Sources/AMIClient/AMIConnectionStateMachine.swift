/// The AMI request/reply correlation of one connection, as a pure state machine.
///
/// It hands out unique ActionIDs, matches `Response:` messages, list items, `…Complete` events
/// and `OriginateResponse` to the waiting action, passes every other event through, and fails
/// every waiting action at once when the connection ends. The NIO handler feeds it messages and
/// runs what it returns; tests drive it directly.
///
/// ```swift
/// var machine = AMIConnectionStateMachine(prefix: "hl1")
/// let id = try machine.submit(.queueStatus())
/// switch machine.received(message) { case .completed(let id, let result): … }
/// ```
struct AMIConnectionStateMachine: Sendable {
    /// What to do with a received message.
    enum Output: Sendable {
        /// The connection's banner.
        case banner(AMIMessage)
        /// An event for the event stream and the live state (`sequence` orders it with replies).
        case event(AMIMessage, sequence: UInt64)
        /// Part of a waiting action's reply; nothing to do yet.
        case consumed
        /// An action finished; `event` is set when the final message is also an event
        /// (`OriginateResponse`) that the stream should see.
        case completed(id: String, Result<AMIResponse, AMIError>, event: AMIMessage?, sequence: UInt64)
        /// A reply nobody waits for (its action timed out, or it had no ActionID).
        case unmatched(AMIMessage)
    }

    struct Pending: Sendable {
        var name: String
        var completion: AMIAction.Completion
        var response: AMIMessage?
        var responseSequence: UInt64 = 0
        var items: [AMIMessage] = []
    }

    let prefix: String
    private var counter: UInt64 = 0
    private(set) var received: UInt64 = 0
    private(set) var pending: [String: Pending] = [:]
    private(set) var closed: AMIError?

    /// `prefix` makes ActionIDs unique across connections (an OriginateResponse can carry an
    /// ActionID from an older connection or another client).
    init(prefix: String) {
        self.prefix = prefix
    }

    /// Registers an action and returns its new ActionID.
    mutating func submit(_ action: AMIAction) throws(AMIError) -> String {
        if let closed { throw closed }
        counter += 1
        let id = "\(prefix)-\(counter)"
        pending[id] = Pending(name: action.name, completion: action.completion)
        return id
    }

    /// Forgets an action that could not be written.
    mutating func cancel(_ id: String) {
        pending[id] = nil
    }

    /// Feeds one message from Asterisk.
    mutating func received(_ message: AMIMessage) -> Output {
        if message.kind == .banner { return .banner(message) }
        let sequence = received
        received += 1
        switch message.kind {
        case .response:
            return responseReceived(message, sequence: sequence)
        case .event:
            return eventReceived(message, sequence: sequence)
        case .banner, .other:
            return .unmatched(message)
        }
    }

    private mutating func responseReceived(_ message: AMIMessage, sequence: UInt64) -> Output {
        guard let id = message.actionID, var action = pending[id] else { return .unmatched(message) }
        let success = message.nameIs("Success") || message.nameIs("Goodbye") || message.nameIs("Follows")
        if !success {
            pending[id] = nil
            let text = message["Message"] ?? message.first
            let code: AMIError.Code = action.name == "Login" && text == "Authentication failed" ? .authenticationFailed : .actionFailed
            var detail = "\(action.name): \(text)"
            if action.completion == .command, !message.values("Output").isEmpty {
                detail += ": " + message.values("Output").joined(separator: " / ")
            }
            return .completed(id: id, .failure(AMIError(code, detail, response: message)), event: nil, sequence: sequence)
        }
        switch action.completion {
        case .response, .command:
            pending[id] = nil
            return .completed(id: id, .success(AMIResponse(message: message, items: [], final: nil, sequence: sequence)), event: nil, sequence: sequence)
        case .list:
            if message.contains("EventList") {
                action.response = message
                action.responseSequence = sequence
                pending[id] = action
                return .consumed
            }
            pending[id] = nil  // a list action answered without a list: nothing follows
            return .completed(id: id, .success(AMIResponse(message: message, items: [], final: nil, sequence: sequence)), event: nil, sequence: sequence)
        case .originate:
            action.response = message
            action.responseSequence = sequence
            pending[id] = action
            return .consumed
        }
    }

    private mutating func eventReceived(_ message: AMIMessage, sequence: UInt64) -> Output {
        guard let id = message.actionID, var action = pending[id], let response = action.response else {
            return .event(message, sequence: sequence)
        }
        switch action.completion {
        case .list(let completeName):
            if message.name == completeName || (message["EventList"]?.lowercased() == "complete") {
                pending[id] = nil
                let expected = message.int("ListItems")
                if let expected, expected != action.items.count {
                    return .completed(
                        id: id,
                        .failure(AMIError(.listMismatch, "\(action.name): ListItems says \(expected), received \(action.items.count)", response: message)),
                        event: nil, sequence: action.responseSequence)
                }
                return .completed(id: id, .success(AMIResponse(message: response, items: action.items, final: message, sequence: action.responseSequence)), event: nil, sequence: action.responseSequence)
            }
            action.items.append(message)
            pending[id] = action
            return .consumed
        case .originate:
            guard message.nameIs("OriginateResponse") else { return .event(message, sequence: sequence) }
            pending[id] = nil
            if message["Response"]?.lowercased() == "success" {
                return .completed(id: id, .success(AMIResponse(message: response, items: [], final: message, sequence: action.responseSequence)), event: message, sequence: sequence)
            }
            let reason = message.int("Reason") ?? 0
            return .completed(
                id: id,
                .failure(AMIError(.actionFailed, "Originate failed: reason \(reason) (\(Self.originateReason(reason)))", response: message)),
                event: message, sequence: sequence)
        case .response, .command:
            return .event(message, sequence: sequence)
        }
    }

    /// The deadline of an action passed: returns its error if it was still waiting.
    mutating func timedOut(_ id: String) -> AMIError? {
        guard let action = pending.removeValue(forKey: id) else { return nil }
        if action.completion == .originate, action.response != nil {
            return AMIError(.timeout, "Originate was queued but no OriginateResponse arrived before the deadline; the call may still exist")
        }
        return AMIError(.timeout, "\(action.name): no complete reply before the deadline")
    }

    /// The connection ended: every waiting action fails now. Originate reports that its outcome
    /// is unknown; it is never re-sent.
    mutating func connectionClosed(_ reason: String) -> [(String, AMIError)] {
        let error = AMIError(.connectionClosed, reason)
        if closed == nil { closed = error }
        let failed = pending.map { id, action -> (String, AMIError) in
            if action.completion == .originate {
                let queued = action.response != nil ? "after it was queued" : "before its reply"
                return (id, AMIError(.originateOutcomeUnknown, "the AMI connection dropped \(queued) (\(reason)); the call may exist and is not re-sent"))
            }
            return (id, AMIError(.connectionClosed, "\(action.name): \(reason)"))
        }
        pending.removeAll()
        return failed
    }

    /// Asterisk's dial reason codes as seen in OriginateResponse (PROTOCOL.md B7).
    static func originateReason(_ code: Int) -> String {
        switch code {
        case 0: "failed or no such number"
        case 1: "hung up"
        case 3: "no answer"
        case 4: "answered"
        case 5: "busy"
        case 8: "congestion"
        default: "reason \(code)"
        }
    }
}
