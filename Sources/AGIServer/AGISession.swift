public import Logging
import NIOCore

/// One FastAGI session as its handler sees it: the environment Asterisk sent and an async
/// API to run commands, one at a time.
///
/// A handler is an `async` function that receives the session; when it returns, the server
/// ends the session (Asterisk then continues the dialplan after `AGI()`). Typed commands are in
/// the extension below (`answer()`, `streamFile(_:)`, `getData(_:)` …); ``send(_:timeout:)``
/// sends any ``AGICommand`` and returns the raw reply.
///
/// ```swift
/// server.route("/inbound") { session in
///     try await session.answer()
///     let choice = try await session.getData("menu", timeout: 3000, maxDigits: 1)
///     try await session.setVariable("HELPLINE_QUEUE", "dept-\(choice.digits)")
/// }
/// ```
///
/// After Asterisk reports a hangup every command fails with ``AGIError/Code/hungUp``; the
/// handler's own code keeps running so it can still store what the caller gave.
public struct AGISession: Sendable {
    /// The environment block: script path and query, arguments, caller, channel, uniqueid.
    public let environment: AGIEnvironment
    let connection: AGIConnection

    init(environment: AGIEnvironment, connection: AGIConnection) {
        self.environment = environment
        self.connection = connection
    }

    /// A logger carrying the peer, the call's uniqueid and the script as metadata.
    ///
    /// Built on each access (log handlers may render metadata eagerly, and most sessions never
    /// log), so take it once where a handler logs several times: `let logger = session.logger`.
    public var logger: Logger {
        var logger = connection.logger
        // One assignment: some handlers re-render their metadata on every change.
        logger.handler.metadata = logger.handler.metadata.merging(connection.metadata(environment)) { $1 }
        return logger
    }

    /// Whether Asterisk has reported that the channel hung up.
    public var isHungUp: Bool { connection.flags.isHungUp }

    /// Sends one command and returns Asterisk's reply, whatever its code (510, 511 and 520
    /// included). Throws only when no reply can be had: hangup, closed connection, deadline,
    /// protocol violation or an argument that cannot be sent.
    ///
    /// - Parameter timeout: overrides the session's reply deadline for this command.
    public func send(_ command: AGICommand, timeout: Duration? = nil) async throws -> AGIReply {
        try await connection.send(command, timeout: timeout.map { TimeAmount($0) })
    }

    /// Sends `FAILURE` and ends the session: Asterisk sets `AGISTATUS=FAILURE`, so the dialplan
    /// can send the caller to its fallback queue.
    public func fail() {
        connection.finish(failure: true)
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
