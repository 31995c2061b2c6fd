import NIOCore

/// One simulated Asterisk channel in a FastAGI session: sends the environment block, then
/// answers each command line the way Asterisk does, checking it against the script.
///
/// Lines are framed here (LF, as Asterisk sends them); every complete line of a read is handled
/// in one pass. Everything runs on the connection's event loop, and the figures go to that
/// loop's ``LoopDriver``.
final class FakeAsterisk: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum State {
        /// Not connected yet.
        case connecting
        /// Answering commands.
        case running
        /// Idle mode: the second command came and is left unanswered (a long prompt).
        case held
        /// We sent `HANGUP` (the caller hung up) and wait for the server to close.
        case hangingUp
        /// Over; nothing more is counted.
        case finished
    }

    private let driver: LoopDriver
    /// Stop answering once this many commands have arrived (idle mode), or never.
    private let holdAfter: Int
    /// Delay before each reply, in nanoseconds (0: reply at once).
    private let think: UInt64

    private(set) var state = State.connecting
    private var context: ChannelHandlerContext?
    private var pending: ByteBuffer?
    private var step = 0
    private var sessionErrors = 0
    private var sentAt: UInt64 = 0
    private var completed = false
    private var pendingReply: ByteBuffer?
    /// Idle mode: the session reached its held state at some point.
    private(set) var wasHeld = false

    init(driver: LoopDriver, holdAfter: Int, think: UInt64) {
        self.driver = driver
        self.holdAfter = holdAfter
        self.think = think
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        state = .running
        driver.sessionActive(self)
        let block = driver.environmentBlock(allocator: context.channel.allocator)
        sentAt = monotonicNanoseconds()
        context.writeAndFlush(wrapOutboundOut(block), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if var buffered = pending {
            pending = nil
            buffered.writeBuffer(&incoming)
            incoming = buffered
        }
        while let newline = incoming.withUnsafeReadableBytes({ $0.firstIndex(of: UInt8(ascii: "\n")) }) {
            let line = incoming.readSlice(length: newline)!
            incoming.moveReaderIndex(forwardBy: 1)
            commandLine(line, context: context)
        }
        if incoming.readableBytes > 0 {
            if incoming.readableBytes > 65_536 {
                fail("more than 64 KiB without a line end", context: context)
                return
            }
            incoming.discardReadBytes()
            pending = incoming
        }
    }

    private func commandLine(_ line: ByteBuffer, context: ChannelHandlerContext) {
        let now = monotonicNanoseconds()
        switch state {
        case .running:
            break
        case .held:
            sessionErrors += 1
            driver.error(.protocolViolation, "a command arrived before the previous one was answered: '\(String(buffer: line))'")
            return
        case .connecting, .hangingUp, .finished:
            // Asterisk answers 511 after a hangup; the session is not measured any more.
            return
        }
        driver.commandReceived(latency: now &- sentAt, first: step == 0, at: now)
        let index = step
        step += 1
        let (reply, matches) = line.withUnsafeReadableBytes { bytes in
            (Script.reply(to: bytes), index < Script.commandCount && bytes.elementsEqual(Script.expected[index]))
        }
        if reply == nil {
            sessionErrors += 1
            driver.error(.unknownCommand, "command \(index + 1) unknown to Asterisk: '\(String(buffer: line))'")
        } else if !matches {
            sessionErrors += 1
            driver.error(.mismatch, "command \(index + 1) is not the script's: '\(String(buffer: line))'")
        }
        if step >= holdAfter {
            state = .held
            wasHeld = true
            driver.sessionHeld(self)
            return
        }
        let answer = reply ?? Script.unknownCommand
        if think == 0 {
            sentAt = monotonicNanoseconds()
            context.writeAndFlush(wrapOutboundOut(answer), promise: nil)
        } else {
            pendingReply = answer
            driver.reply(self, after: driver.jittered(think))
        }
    }

    /// Sends the reply held back by the think time.
    func sendPendingReply() {
        guard let reply = pendingReply else { return }
        pendingReply = nil
        guard state == .running, let context else { return }
        sentAt = monotonicNanoseconds()
        context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? ChannelEvent, event == .inputClosed else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // The server closed its side: the script is over. Asterisk writes its final HANGUP
        // and closes.
        switch state {
        case .running:
            if step == Script.commandCount && sessionErrors == 0 {
                completed = true
            } else if step != Script.commandCount {
                driver.error(.incomplete, "the server closed the session after \(step) of \(Script.commandCount) commands")
            }
        case .held:
            driver.error(.dropped, "the server closed a held session")
        case .connecting, .hangingUp, .finished:
            break
        }
        state = .finished
        context.writeAndFlush(wrapOutboundOut(Script.hangupNotice), promise: nil)
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if state == .running || state == .held {
            driver.error(.socket, "\(error)")
            state = .finished
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch state {
        case .connecting:
            // Never became active: the failed connect is counted where it was made.
            context.fireChannelInactive()
            return
        case .running:
            driver.error(.incomplete, "the connection closed after \(step) of \(Script.commandCount) commands")
        case .held:
            driver.error(.dropped, "the connection of a held session closed")
        case .hangingUp, .finished:
            break
        }
        state = .finished
        driver.sessionEnded(self, completed: completed, at: monotonicNanoseconds())
        context.fireChannelInactive()
    }

    private func fail(_ why: String, context: ChannelHandlerContext) {
        driver.error(.protocolViolation, why)
        state = .finished
        context.close(promise: nil)
    }

    /// The caller hangs up: Asterisk writes `HANGUP` and waits for the server to close.
    func hangUp() {
        guard let context, state == .running || state == .held else { return }
        state = .hangingUp
        context.writeAndFlush(wrapOutboundOut(Script.hangupNotice), promise: nil)
    }

    /// Closes the connection at once.
    func abort() {
        if state == .running || state == .held || state == .hangingUp { state = .finished }
        context?.close(promise: nil)
    }
}
