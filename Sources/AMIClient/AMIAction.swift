import Crypto
public import NIOCore
import TimeSupport

/// A typed AMI request. The client adds a unique `ActionID` when it sends it.
///
/// ```swift
/// let status = try await client.send(.queueStatus(queue: "dept-health"))
/// for item in status.items where item.nameIs("QueueMember") { print(item["Name"] ?? "") }
/// ```
public struct AMIAction: Sendable {
    /// How the client knows the action is finished.
    public enum Completion: Sendable, Hashable {
        /// One `Response:` message.
        case response
        /// A `Response:` with `EventList: start`, list-item events with the same ActionID, then
        /// the event named here (`QueueStatusComplete`) whose `ListItems` must match the count.
        case list(complete: String)
        /// A `Command` reply: `Output:` headers (or the older `Response: Follows` form).
        case command
        /// An `Async: true` Originate: `Originate successfully queued`, then the
        /// `OriginateResponse` event with the same ActionID.
        case originate
    }

    /// The `Action:` value.
    public var name: String
    /// The headers after `Action:` and `ActionID:`, in order.
    public var headers: [(String, String)]
    /// How completion is detected.
    public var completion: Completion
    /// Header names whose values are secrets: never logged.
    var secretHeaders: Set<String> = []

    /// Any action, for what has no typed constructor here.
    public init(_ name: String, headers: [(String, String)] = [], completion: Completion = .response) {
        self.name = name
        self.headers = headers
        self.completion = completion
    }

    /// Whether sending it twice could do something twice (Originate places a second call).
    public var isIdempotent: Bool { completion != .originate && name.lowercased() != "originate" }

    // MARK: - Session

    /// `Login` with a plain secret. `events` is the event mask (`on`, `off`, `call,agent`…).
    public static func login(username: String, secret: String, events: String) -> AMIAction {
        var action = AMIAction("Login", headers: [("Username", username), ("Secret", secret), ("Events", events)])
        action.secretHeaders = ["Secret"]
        return action
    }

    /// `Challenge` with `AuthType: MD5`; the reply's `Challenge` header feeds ``md5Key(challenge:secret:)``.
    public static func challenge() -> AMIAction {
        AMIAction("Challenge", headers: [("AuthType", "MD5")])
    }

    /// `Login` with `AuthType: MD5` and the key from ``md5Key(challenge:secret:)``.
    public static func login(username: String, key: String, events: String) -> AMIAction {
        var action = AMIAction("Login", headers: [("AuthType", "MD5"), ("Username", username), ("Key", key), ("Events", events)])
        action.secretHeaders = ["Key"]
        return action
    }

    /// `hex(md5(challenge ‖ secret))` in lowercase, as Asterisk's `authenticate` expects (PROTOCOL.md B2).
    public static func md5Key(challenge: String, secret: String) -> String {
        let digest = Insecure.MD5.hash(data: Array((challenge + secret).utf8))
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for byte in digest {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `Logoff`: answered by `Response: Goodbye`, then Asterisk closes the connection.
    public static func logoff() -> AMIAction { AMIAction("Logoff") }

    /// `Ping`: answered by `Ping: Pong`.
    public static func ping() -> AMIAction { AMIAction("Ping") }

    /// `Events` with `EventMask` (`on`, `off`, `call,agent`).
    public static func events(mask: String) -> AMIAction { AMIAction("Events", headers: [("EventMask", mask)]) }

    /// `Filter` with `Operation: Add`: a regular expression; a leading `!` excludes (PROTOCOL.md B3).
    public static func filter(_ expression: String) -> AMIAction {
        AMIAction("Filter", headers: [("Operation", "Add"), ("Filter", expression)])
    }

    // MARK: - Queues

    /// `QueueStatus` for all queues or one (and optionally one member): QueueParams, QueueMember
    /// and QueueEntry items.
    public static func queueStatus(queue: String? = nil, member: String? = nil) -> AMIAction {
        var headers: [(String, String)] = []
        if let queue { headers.append(("Queue", queue)) }
        if let member { headers.append(("Member", member)) }
        return AMIAction("QueueStatus", headers: headers, completion: .list(complete: "QueueStatusComplete"))
    }

    /// `QueueSummary` for all queues or one.
    public static func queueSummary(queue: String? = nil) -> AMIAction {
        AMIAction("QueueSummary", headers: queue.map { [("Queue", $0)] } ?? [], completion: .list(complete: "QueueSummaryComplete"))
    }

    /// `QueueAdd`: adds a dynamic member.
    public static func queueAdd(queue: String, interface: String, penalty: Int? = nil, paused: Bool? = nil,
                                memberName: String? = nil, stateInterface: String? = nil) -> AMIAction {
        var headers = [("Queue", queue), ("Interface", interface)]
        if let penalty { headers.append(("Penalty", String(penalty))) }
        if let paused { headers.append(("Paused", paused ? "true" : "false")) }
        if let memberName { headers.append(("MemberName", memberName)) }
        if let stateInterface { headers.append(("StateInterface", stateInterface)) }
        return AMIAction("QueueAdd", headers: headers)
    }

    /// `QueueRemove`: removes a dynamic member (`Member not dynamic` for a static one).
    public static func queueRemove(queue: String, interface: String) -> AMIAction {
        AMIAction("QueueRemove", headers: [("Queue", queue), ("Interface", interface)])
    }

    /// `QueuePause`: pauses or unpauses a member in one queue, or in all its queues when `queue` is nil.
    public static func queuePause(interface: String, paused: Bool, queue: String? = nil, reason: String? = nil) -> AMIAction {
        var headers = [("Interface", interface), ("Paused", paused ? "true" : "false")]
        if let queue { headers.append(("Queue", queue)) }
        if let reason { headers.append(("Reason", reason)) }
        return AMIAction("QueuePause", headers: headers)
    }

    /// `QueuePenalty`: sets a member's penalty in one queue or all.
    public static func queuePenalty(interface: String, penalty: Int, queue: String? = nil) -> AMIAction {
        var headers = [("Interface", interface), ("Penalty", String(penalty))]
        if let queue { headers.append(("Queue", queue)) }
        return AMIAction("QueuePenalty", headers: headers)
    }

    // MARK: - Calls and channels

    /// Where an originated call goes once `channel` answers.
    public enum OriginateDestination: Sendable, Hashable {
        /// A dialplan extension.
        case `extension`(context: String, exten: String, priority: Int)
        /// An application with its data.
        case application(String, data: String)
    }

    /// `Originate` with `Async: true`: the action completes with the `OriginateResponse` event.
    ///
    /// `timeout` is how long `channel` may ring (Asterisk's default is 30 s). Each variable is
    /// one `Variable: name=value` header; Asterisk splits those on commas, so values must not
    /// contain one. An Originate is never re-sent after a reconnect.
    public static func originate(channel: String, destination: OriginateDestination, timeout: Duration? = nil,
                                 callerID: String? = nil, variables: [(String, String)] = [], account: String? = nil,
                                 channelID: String? = nil) -> AMIAction {
        var headers = [("Channel", channel)]
        switch destination {
        case .extension(let context, let exten, let priority):
            headers += [("Context", context), ("Exten", exten), ("Priority", String(priority))]
        case .application(let application, let data):
            headers += [("Application", application), ("Data", data)]
        }
        if let timeout { headers.append(("Timeout", String(timeout.milliseconds))) }
        if let callerID { headers.append(("CallerID", callerID)) }
        for (name, value) in variables { headers.append(("Variable", "\(name)=\(value)")) }
        if let account { headers.append(("Account", account)) }
        if let channelID { headers.append(("ChannelId", channelID)) }
        headers.append(("Async", "true"))
        return AMIAction("Originate", headers: headers, completion: .originate)
    }

    /// `Hangup` of a channel (a name or a `/regex/`), with an optional cause code.
    public static func hangup(channel: String, cause: Int? = nil) -> AMIAction {
        var headers = [("Channel", channel)]
        if let cause { headers.append(("Cause", String(cause))) }
        return AMIAction("Hangup", headers: headers)
    }

    /// `Setvar`: a channel variable, or a global/function (`DEVICE_STATE(Custom:x)`) when `channel` is nil.
    public static func setvar(_ variable: String, value: String, channel: String? = nil) -> AMIAction {
        var headers: [(String, String)] = channel.map { [("Channel", $0)] } ?? []
        headers += [("Variable", variable), ("Value", value)]
        return AMIAction("Setvar", headers: headers)
    }

    /// `Getvar`: the reply carries `Variable` and `Value`.
    public static func getvar(_ variable: String, channel: String? = nil) -> AMIAction {
        var headers: [(String, String)] = channel.map { [("Channel", $0)] } ?? []
        headers.append(("Variable", variable))
        return AMIAction("Getvar", headers: headers)
    }

    /// `Redirect` (transfer) of a channel, and optionally a second one, to a dialplan location.
    public static func redirect(channel: String, context: String, exten: String, priority: Int, extraChannel: String? = nil) -> AMIAction {
        var headers = [("Channel", channel)]
        if let extraChannel { headers.append(("ExtraChannel", extraChannel)) }
        headers += [("Context", context), ("Exten", exten), ("Priority", String(priority))]
        return AMIAction("Redirect", headers: headers)
    }

    /// `Command`: a CLI command; the output lines are ``AMIResponse/output``.
    public static func command(_ command: String) -> AMIAction {
        AMIAction("Command", headers: [("Command", command)], completion: .command)
    }

    /// `CoreShowChannels`: one CoreShowChannel item per channel.
    public static func coreShowChannels() -> AMIAction {
        AMIAction("CoreShowChannels", completion: .list(complete: "CoreShowChannelsComplete"))
    }

    /// `DeviceStateList`: one DeviceStateChange item per device.
    public static func deviceStateList() -> AMIAction {
        AMIAction("DeviceStateList", completion: .list(complete: "DeviceStateListComplete"))
    }

    // MARK: - Encoding

    /// Writes the action as AMI bytes. Values with CR or LF (or names with `:`) are refused, so a
    /// caller-provided value can never inject a header.
    public func encode(actionID: String, into buffer: inout ByteBuffer) throws(AMIError) {
        try Self.check(name: "Action", value: name)
        buffer.writeString("Action: ")
        buffer.writeString(name)
        buffer.writeString("\r\nActionID: ")
        buffer.writeString(actionID)
        buffer.writeString("\r\n")
        for (key, value) in headers {
            try Self.check(name: key, value: value)
            if key.lowercased() == "variable", name.lowercased() == "originate", value.contains(",") {
                throw AMIError(.invalidArgument, "Originate variable '\(value.prefix(while: { $0 != "=" }))': Asterisk splits Variable values on commas")
            }
            buffer.writeString(key)
            buffer.writeString(": ")
            buffer.writeString(value)
            buffer.writeString("\r\n")
        }
        buffer.writeString("\r\n")
    }

    private static func check(name: String, value: String) throws(AMIError) {
        if name.isEmpty || name.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == UInt8(ascii: ":") }) {
            throw AMIError(.invalidArgument, "header name '\(name)' is empty or contains CR, LF or ':'")
        }
        if value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) {
            throw AMIError(.invalidArgument, "the value of '\(name)' contains CR or LF")
        }
    }

    /// The headers with secret values masked, for logs.
    public var loggable: String {
        ([("Action", name)] + headers.map { secretHeaders.contains($0.0) ? ($0.0, "********") : $0 })
            .map { "\($0.0): \($0.1)" }.joined(separator: ", ")
    }
}

/// The outcome of an action: its `Response:` and, for lists and Originate, what followed.
public struct AMIResponse: Sendable {
    /// The `Response:` message.
    public let message: AMIMessage
    /// List items in order (empty unless the action is a list).
    public let items: [AMIMessage]
    /// The `…Complete` event of a list, or the `OriginateResponse` of an Originate.
    public let final: AMIMessage?
    /// The position of ``message`` in its connection's message sequence (0 = the first message
    /// after the banner); events before it happened before the reply was written.
    public let sequence: UInt64

    /// The `Message:` text.
    public var text: String? { message["Message"] }
    /// `Command` output lines (`Output:` headers, or the raw lines of `Response: Follows`).
    public var output: [String] { message.values("Output") }
}
