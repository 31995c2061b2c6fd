import Logging
import NIOCore
import Synchronization

/// Flags the event loop sets and any thread may read.
final class AGIConnectionFlags: Sendable {
    private let hungUp = Atomic<Bool>(false)

    func markHungUp() { hungUp.store(true, ordering: .relaxed) }
    var isHungUp: Bool { hungUp.load(ordering: .relaxed) }
}

/// The thread-safe face of one accepted FastAGI connection.
///
/// Calls made on the channel's own event loop (the usual case: session tasks run there through
/// ``EventLoopTaskExecutor``) go straight to the handler; calls from elsewhere hop once.
final class AGIConnection: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<AGIChannelHandler>
    let flags: AGIConnectionFlags
    /// Set when the session limit was reached at accept time: the session is refused once its
    /// environment block has been read (so the refusal reaches Asterisk as `FAILURE`).
    let overLimit: Bool
    /// The server's logger, without per-session metadata: StreamLogHandler re-renders its
    /// metadata on every change, so sessions pass theirs with each log call instead.
    let logger: Logger
    let peer: SocketAddress?

    init(channel: any Channel, handler: AGIChannelHandler, flags: AGIConnectionFlags, overLimit: Bool, logger: Logger, peer: SocketAddress?) {
        self.logger = logger
        self.peer = peer
        self.channel = channel
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        self.flags = flags
        self.overLimit = overLimit
    }

    var eventLoop: any EventLoop { channel.eventLoop }

    /// The session's log metadata: peer, and the call's uniqueid and script once known.
    func metadata(_ environment: AGIEnvironment?, _ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        sessionLogMetadata(peer: peer, environment: environment, extra)
    }

    func environment() async throws -> AGIEnvironment {
        try await withUnsafeThrowingContinuation { continuation in
            if eventLoop.inEventLoop {
                handler.value.waitForEnvironment(continuation)
            } else {
                eventLoop.execute { self.handler.value.waitForEnvironment(continuation) }
            }
        }
    }

    func send(_ command: AGICommand, timeout: TimeAmount?) async throws -> AGIReply {
        try await withUnsafeThrowingContinuation { continuation in
            if eventLoop.inEventLoop {
                handler.value.send(command, timeout: timeout, continuation)
            } else {
                eventLoop.execute { self.handler.value.send(command, timeout: timeout, continuation) }
            }
        }
    }

    func finish(failure: Bool) {
        if eventLoop.inEventLoop {
            handler.value.finish(failure: failure)
        } else {
            eventLoop.execute { self.handler.value.finish(failure: failure) }
        }
    }
}

/// Log metadata for one session: the peer, and the call's uniqueid and script once the
/// environment block is known. Built only when a line is actually logged.
func sessionLogMetadata(peer: SocketAddress?, environment: AGIEnvironment?, _ extra: Logger.Metadata) -> Logger.Metadata {
    var metadata = extra
    metadata["agi.peer"] = peer.map { .stringConvertible($0) } ?? "unknown"
    if let environment {
        metadata["agi.uniqueid"] = .string(environment.uniqueID)
        metadata["agi.script"] = .string(environment.script)
    }
    return metadata
}
