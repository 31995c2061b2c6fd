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
    let logger: Logger

    init(channel: any Channel, handler: AGIChannelHandler, flags: AGIConnectionFlags, overLimit: Bool, logger: Logger) {
        self.logger = logger
        self.channel = channel
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        self.flags = flags
        self.overLimit = overLimit
    }

    var eventLoop: any EventLoop { channel.eventLoop }

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
