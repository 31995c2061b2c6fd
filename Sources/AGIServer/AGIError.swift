/// An error from a FastAGI session: a protocol violation, a refused command, a hangup, a deadline.
///
/// Errors carry an opaque ``Code`` so that new kinds can be added without breaking callers,
/// a human-readable ``message``, and the ``reply`` Asterisk sent when there was one.
///
/// ```swift
/// do {
///     try await session.answer()
/// } catch let error as AGIError where error.code == .hungUp {
///     // the caller is gone; keep what was collected
/// }
/// ```
public struct AGIError: Error, Sendable, CustomStringConvertible {
    /// The kind of an ``AGIError``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: Hashable, Sendable {
            case hungUp
            case invalidCommand
            case deadChannel
            case usage
            case commandFailed
            case protocolViolation
            case lineTooLong
            case environmentTooLarge
            case environmentTimeout
            case replyTimeout
            case connectionClosed
            case invalidArgument
            case unexpectedResult
        }

        let base: Base

        /// The channel hung up (Asterisk sent `HANGUP`); no further command is sent.
        public static let hungUp = Code(base: .hungUp)
        /// Asterisk answered `510 Invalid or unknown command`.
        public static let invalidCommand = Code(base: .invalidCommand)
        /// Asterisk answered `511`: the command is not permitted on a dead channel.
        public static let deadChannel = Code(base: .deadChannel)
        /// Asterisk answered `520`: invalid command syntax (the usage text is in the reply).
        public static let usage = Code(base: .usage)
        /// The command ran and reported failure (`result=-1` and similar).
        public static let commandFailed = Code(base: .commandFailed)
        /// The peer sent something the FastAGI protocol does not allow at this point.
        public static let protocolViolation = Code(base: .protocolViolation)
        /// A line from the peer was longer than the configured maximum.
        public static let lineTooLong = Code(base: .lineTooLong)
        /// The environment block had more keys than the configured maximum.
        public static let environmentTooLarge = Code(base: .environmentTooLarge)
        /// The environment block did not end before its deadline.
        public static let environmentTimeout = Code(base: .environmentTimeout)
        /// A command's reply did not arrive before its deadline.
        public static let replyTimeout = Code(base: .replyTimeout)
        /// The connection closed (by the peer, or by the server while draining).
        public static let connectionClosed = Code(base: .connectionClosed)
        /// A command argument cannot be sent (it contains CR or LF).
        public static let invalidArgument = Code(base: .invalidArgument)
        /// The reply could not be read as the typed result the command expects.
        public static let unexpectedResult = Code(base: .unexpectedResult)

        /// A short name for logs (`hung up`, `invalid command (510)`).
        public var description: String {
            switch base {
            case .hungUp: "hung up"
            case .invalidCommand: "invalid command (510)"
            case .deadChannel: "not permitted on a dead channel (511)"
            case .usage: "invalid command syntax (520)"
            case .commandFailed: "command failed"
            case .protocolViolation: "protocol violation"
            case .lineTooLong: "line too long"
            case .environmentTooLarge: "environment block too large"
            case .environmentTimeout: "environment block timed out"
            case .replyTimeout: "reply timed out"
            case .connectionClosed: "connection closed"
            case .invalidArgument: "invalid argument"
            case .unexpectedResult: "unexpected result"
            }
        }
    }

    /// What kind of error this is.
    public var code: Code
    /// A precise, human-readable explanation.
    public var message: String
    /// The reply Asterisk sent, when the error comes from one.
    public var reply: AGIReply?

    /// Creates an error.
    public init(_ code: Code, _ message: String, reply: AGIReply? = nil) {
        self.code = code
        self.message = message
        self.reply = reply
    }

    /// The code and message, for logs.
    public var description: String { "AGIError(\(code)): \(message)" }
}
