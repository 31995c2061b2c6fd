/// An error from the AMI client: a refused action, a protocol violation, a deadline, a lost link.
///
/// Errors carry an opaque ``Code`` so that new kinds can be added without breaking callers,
/// a human-readable ``message``, and the ``response`` Asterisk sent when there was one.
///
/// ```swift
/// do {
///     _ = try await client.send(.queuePause(interface: "PJSIP/1001", paused: true))
/// } catch let error as AMIError where error.code == .actionFailed {
///     print(error.message)   // "Interface not found"
/// }
/// ```
public struct AMIError: Error, Sendable, CustomStringConvertible {
    /// The kind of an ``AMIError``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: Hashable, Sendable {
            case actionFailed, authenticationFailed, protocolViolation, lineTooLong, tooManyHeaders
            case timeout, connectionClosed, notConnected, originateOutcomeUnknown, listMismatch
            case invalidArgument, shuttingDown
        }

        let base: Base

        /// Asterisk answered `Response: Error` (the text is in ``AMIError/message``).
        public static let actionFailed = Code(base: .actionFailed)
        /// Login was refused (`Authentication failed`); Asterisk closes the connection.
        public static let authenticationFailed = Code(base: .authenticationFailed)
        /// The peer sent bytes the AMI protocol does not allow (a header line without `": "`).
        public static let protocolViolation = Code(base: .protocolViolation)
        /// A line from the peer was longer than ``AMIFramer/Limits/maximumLineLength``.
        public static let lineTooLong = Code(base: .lineTooLong)
        /// A message from the peer had more headers than ``AMIFramer/Limits/maximumHeaderCount``.
        public static let tooManyHeaders = Code(base: .tooManyHeaders)
        /// The reply (or the end of the list, or the OriginateResponse) did not arrive before the deadline.
        public static let timeout = Code(base: .timeout)
        /// The connection closed while the action waited; it may or may not have run.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// The client has no logged-in connection right now (it is reconnecting).
        public static let notConnected = Code(base: .notConnected)
        /// The connection dropped after an Originate was queued and before its OriginateResponse:
        /// the call may exist. Originate is never re-sent automatically.
        public static let originateOutcomeUnknown = Code(base: .originateOutcomeUnknown)
        /// An event list ended with a `ListItems` count different from the items received.
        public static let listMismatch = Code(base: .listMismatch)
        /// An action argument cannot be sent (it contains CR or LF, or is empty where required).
        public static let invalidArgument = Code(base: .invalidArgument)
        /// The client is shutting down.
        public static let shuttingDown = Code(base: .shuttingDown)

        public var description: String { "\(base)" }
    }

    /// What went wrong.
    public var code: Code
    /// A human-readable explanation; never contains a secret.
    public var message: String
    /// The message Asterisk sent, when there was one.
    public var response: AMIMessage?

    /// Creates an error.
    public init(_ code: Code, _ message: String, response: AMIMessage? = nil) {
        self.code = code
        self.message = message
        self.response = response
    }

    public var description: String { "AMIError.\(code): \(message)" }
}
