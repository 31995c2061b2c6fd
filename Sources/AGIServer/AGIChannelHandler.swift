import Logging
import NIOCore

/// Limits and deadlines that apply to every session.
struct AGISessionLimits: Sendable {
    var maximumLineLength: Int
    var maximumEnvironmentKeys: Int
    var environmentTimeout: TimeAmount
    var replyTimeout: TimeAmount
    var lingerTimeout: TimeAmount
}

/// The one channel handler of a FastAGI connection.
///
/// It frames LF-terminated lines itself (draining every complete line of a read in one pass),
/// feeds them to ``AGISessionStateMachine`` and runs the actions it returns: resuming the
/// session's waiting continuation, failing it, or closing the connection. Everything here runs
/// on the channel's event loop; ``AGIConnection`` is the thread-safe face the session uses.
final class AGIChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine: AGISessionStateMachine
    private let limits: AGISessionLimits
    private let metrics: AGIMetrics
    private let flags: AGIConnectionFlags
    let logger: Logger
    let peer: SocketAddress?
    /// Who to tell when the channel closes (the server's registry of connections).
    private var onClose: (server: AGIServer, id: ObjectIdentifier, overLimit: Bool)?

    private var context: ChannelHandlerContext?
    private var pending: ByteBuffer?
    private var environmentWaiter: UnsafeContinuation<AGIEnvironment, any Error>?
    private var environmentReady = false
    private var replyWaiter: UnsafeContinuation<AGIReply, any Error>?
    private var inFlight: (name: String, sentAt: NIODeadline)?
    private var ended: AGIError?

    // Deadlines, checked by the event loop's ``DeadlineSweeper``: setting one schedules nothing.
    private let sweeper: DeadlineSweeper
    /// This handler's place in the sweeper's list; -1 when not watched.
    var sweepIndex = -1
    private var environmentDeadline: NIODeadline?
    private var replyDeadline: NIODeadline?
    private var lingerDeadline: NIODeadline?

    init(
        limits: AGISessionLimits, metrics: AGIMetrics, flags: AGIConnectionFlags, logger: Logger, peer: SocketAddress?,
        sweeper: DeadlineSweeper, onClose: (server: AGIServer, id: ObjectIdentifier, overLimit: Bool)?
    ) {
        self.peer = peer
        self.sweeper = sweeper
        self.onClose = onClose
        self.machine = AGISessionStateMachine(maximumEnvironmentKeys: limits.maximumEnvironmentKeys)
        self.limits = limits
        self.metrics = metrics
        self.flags = flags
        self.logger = logger
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        environmentDeadline = context.eventLoop.now + limits.environmentTimeout
        sweeper.add(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Also reached when the channel never became active (no channelInactive then): the
        // session task may be waiting for an environment block that will never come.
        if ended == nil {
            let error = AGIError(.connectionClosed, "the connection closed before the session began")
            ended = error
            _ = machine.finish()
            failWaiters(error)
        }
        releaseRegistration()
        sweeper.remove(self)
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if var buffered = pending {
            pending = nil
            buffered.writeBuffer(&incoming)
            incoming = buffered
        }
        while let newline = incoming.withUnsafeReadableBytes({ $0.firstIndex(of: UInt8(ascii: "\n")) }) {
            if newline > limits.maximumLineLength {
                endSession(AGIError(.lineTooLong, "a line of \(newline) bytes is longer than the limit of \(limits.maximumLineLength)"), context: context)
                return
            }
            let line = incoming.readSlice(length: newline)!
            incoming.moveReaderIndex(forwardBy: 1)
            handle(machine.lineReceived(line), context: context)
            if ended != nil { return }
        }
        if incoming.readableBytes > limits.maximumLineLength {
            endSession(AGIError(.lineTooLong, "more than \(limits.maximumLineLength) bytes without a line end"), context: context)
            return
        }
        if incoming.readableBytes > 0 {
            incoming.discardReadBytes()
            pending = incoming
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if ended == nil {
            let error: AGIError =
                machine.hungUp
                ? AGIError(.hungUp, "the channel hung up")
                : AGIError(.connectionClosed, environmentReady ? "Asterisk closed the connection" : "Asterisk closed the connection during the environment block")
            ended = error
            _ = machine.finish()
            failWaiters(error)
        }
        sweeper.remove(self)
        releaseRegistration()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        endSession(AGIError(.connectionClosed, "socket error: \(error)"), context: context)
    }

    /// Metadata for this handler's own (trace and debug) lines; built only when one is logged.
    private func logMetadata(_ extra: Logger.Metadata) -> Logger.Metadata {
        sessionLogMetadata(peer: peer, environment: environmentReady ? machine.environment : nil, extra)
    }

    /// Removes the connection from the server's registry (once).
    func releaseRegistration() {
        if let onClose {
            self.onClose = nil
            onClose.server.connectionClosed(onClose.id, overLimit: onClose.overLimit)
        }
    }

    // MARK: Requests from the session (on the event loop)

    func waitForEnvironment(_ continuation: UnsafeContinuation<AGIEnvironment, any Error>) {
        if environmentReady {
            continuation.resume(returning: machine.environment)
        } else if let ended {
            continuation.resume(throwing: ended)
        } else {
            environmentWaiter = continuation
        }
    }

    func send(_ command: AGICommand, timeout: TimeAmount?, _ continuation: UnsafeContinuation<AGIReply, any Error>) {
        guard let context else {
            continuation.resume(throwing: ended ?? AGIError(.connectionClosed, "the session has ended"))
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        do {
            try command.encode(into: &buffer)
        } catch {
            continuation.resume(throwing: error)
            return
        }
        switch machine.sendCommand() {
        case .fail(let error):
            continuation.resume(throwing: error)
        case .write:
            let now = context.eventLoop.now
            replyWaiter = continuation
            inFlight = (command.name, now)
            replyDeadline = now + (timeout ?? (limits.replyTimeout + .milliseconds(command.expectedMilliseconds)))
            logger.trace("AGI command", metadata: logMetadata(["agi.command": "\(command)"]))
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        }
    }

    /// Ends the session from the server's side: half-closes so Asterisk sees the script end
    /// (it then writes its final `HANGUP` and closes), and closes fully after the linger time.
    func finish(failure: Bool) {
        guard let context else { return }
        if ended == nil {
            ended = AGIError(.connectionClosed, "the session has ended")
            if machine.finish() { failWaiters(ended!) }
        }
        if failure && lingerDeadline == nil {
            var line = context.channel.allocator.buffer(capacity: 8)
            line.writeString("FAILURE\n")
            context.writeAndFlush(wrapOutboundOut(line), promise: nil)
        }
        closeOutput(context: context)
    }

    /// Half-closes: Asterisk reads the end of the script, writes its final `HANGUP` (and any
    /// reply still owed) and closes; what it sends is read and ignored, so the socket ends with
    /// FIN rather than a reset. The linger deadline closes it fully if Asterisk does not.
    private func closeOutput(context: ChannelHandlerContext) {
        guard lingerDeadline == nil else { return }
        context.close(mode: .output, promise: nil)
        replyDeadline = nil
        lingerDeadline = context.eventLoop.now + limits.lingerTimeout
    }

    // MARK: Internals

    private func handle(_ action: AGISessionStateMachine.LineAction, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .environmentComplete:
            environmentReady = true
            environmentDeadline = nil
            if let waiter = environmentWaiter {
                environmentWaiter = nil
                waiter.resume(returning: machine.environment)
            }
        case .reply(let reply):
            replyDeadline = nil
            if let inFlight {
                self.inFlight = nil
                metrics.recordReply(command: inFlight.name, code: reply.code, elapsed: context.eventLoop.now - inFlight.sentAt)
            }
            logger.trace("AGI reply", metadata: logMetadata(["agi.reply": "\(reply.line)"]))
            if let waiter = replyWaiter {
                replyWaiter = nil
                waiter.resume(returning: reply)
            }
        case .hangup(let failPending):
            flags.markHungUp()
            logger.debug("Asterisk sent HANGUP", metadata: logMetadata(["agi.command_in_flight": "\(failPending)"]))
            let error = AGIError(.hungUp, inFlight.map { "the channel hung up during \($0.name)" } ?? "the channel hung up")
            ended = error
            failWaiters(error)
            // Asterisk keeps the channel in AGI() until the server ends the script.
            closeOutput(context: context)
        case .protocolError(let error):
            endSession(error, context: context)
        }
    }

    private func endSession(_ error: AGIError, context: ChannelHandlerContext) {
        guard ended == nil else { return }
        ended = error
        _ = machine.finish()
        // The session's task logs the failure once, with the call's uniqueid when known.
        logger.debug("AGI session ended", metadata: logMetadata(["error": "\(error)"]))
        failWaiters(error)
        context.close(promise: nil)
    }

    private func failWaiters(_ error: AGIError) {
        replyDeadline = nil
        inFlight = nil
        if let waiter = environmentWaiter {
            environmentWaiter = nil
            waiter.resume(throwing: error)
        }
        if let waiter = replyWaiter {
            replyWaiter = nil
            waiter.resume(throwing: error)
        }
    }

    /// The earliest of the session's deadlines (`distantFuture` when none is set).
    var earliestDeadline: NIODeadline {
        min(environmentDeadline ?? .distantFuture, replyDeadline ?? .distantFuture, lingerDeadline ?? .distantFuture)
    }

    /// Called by the sweeper when ``earliestDeadline`` has passed: ends what is overdue.
    func deadlinesPassed(_ now: NIODeadline) {
        guard let context else {
            sweeper.remove(self)
            return
        }
        if let deadline = lingerDeadline, deadline <= now {
            // Asterisk did not close after the session ended; release the socket.
            context.close(promise: nil)
            return
        }
        if let deadline = environmentDeadline, deadline <= now {
            endSession(AGIError(.environmentTimeout, "no complete environment block within \(limits.environmentTimeout.nanoseconds / 1_000_000) ms"), context: context)
            return
        }
        if let deadline = replyDeadline, deadline <= now {
            let name = inFlight?.name ?? "command"
            metrics.replyTimeouts.increment()
            endSession(AGIError(.replyTimeout, "no reply to \(name) before its deadline"), context: context)
            return
        }
    }
}
