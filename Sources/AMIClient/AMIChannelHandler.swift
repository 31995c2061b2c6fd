import Logging
import NIOCore

/// A request travelling down the pipeline: the action, its deadline and the promise its reply completes.
struct AMIRequest: Sendable {
    var action: AMIAction
    var deadline: NIODeadline
    var promise: EventLoopPromise<AMIResponse>
}

/// Callbacks the handler makes on the event loop (events, end of a read batch, close).
struct AMIConnectionHooks: Sendable {
    /// An event that completes no action (or an OriginateResponse, which also does).
    var event: @Sendable (AMIMessage, UInt64) -> Void = { _, _ in }
    /// All complete messages of one read were handled.
    var batchEnded: @Sendable () -> Void = {}
    /// The connection ended, with the reason.
    var closed: @Sendable (String) -> Void = { _ in }
}

/// The one NIO handler of an AMI connection: frames bytes into messages, feeds the
/// ``AMIConnectionStateMachine`` and runs what it returns (complete promises, pass events on,
/// enforce deadlines). Every complete message in a read is handled in one `channelRead`.
final class AMIChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = AMIRequest
    typealias OutboundOut = ByteBuffer

    private var framer: AMIFramer
    private var machine: AMIConnectionStateMachine
    private var cumulation: ByteBuffer?
    private var promises: [String: (promise: EventLoopPromise<AMIResponse>, timer: Scheduled<Void>?)] = [:]
    private let bannerPromise: EventLoopPromise<String>
    private let hooks: AMIConnectionHooks
    private var logger: Logger
    private var closeReason: String?
    /// Set after a framing error: the byte stream cannot be trusted any more.
    private var failed = false

    init(prefix: String, limits: AMIFramer.Limits, bannerPromise: EventLoopPromise<String>, hooks: AMIConnectionHooks, logger: Logger) {
        self.framer = AMIFramer(limits: limits)
        self.machine = AMIConnectionStateMachine(prefix: prefix)
        self.bannerPromise = bannerPromise
        self.hooks = hooks
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var incoming = unwrapInboundIn(data)
        if cumulation == nil || cumulation!.readableBytes == 0 {
            cumulation = incoming
        } else {
            cumulation!.writeBuffer(&incoming)
        }
        do {
            while let message = try framer.next(from: &cumulation!) {
                handle(message, context: context)
            }
        } catch {
            logger.warning("AMI protocol error; closing the connection", metadata: ["error": "\(error.message)"])
            closeReason = error.message
            failed = true
            cumulation = nil
            context.close(promise: nil)
            return
        }
        if cumulation!.readableBytes == 0 {
            cumulation = nil
        } else if cumulation!.readerIndex > 65_536 {
            cumulation!.discardReadBytes()
        }
        hooks.batchEnded()
    }

    private func handle(_ message: AMIMessage, context: ChannelHandlerContext) {
        switch machine.received(message) {
        case .banner(let banner):
            bannerPromise.succeed(banner.first)
        case .event(let event, let sequence):
            hooks.event(event, sequence)
        case .consumed:
            break
        case .completed(let id, let result, let event, let sequence):
            if let event { hooks.event(event, sequence) }
            guard let waiting = promises.removeValue(forKey: id) else { return }
            waiting.timer?.cancel()
            waiting.promise.completeWith(result.mapError { $0 as any Error })
        case .unmatched(let message):
            logger.debug("AMI reply nobody waits for", metadata: ["actionid": "\(message.actionID ?? "")", "response": "\(message.first)"])
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        promise?.succeed(())  // the request is ours now; its own promise reports the outcome
        let id: String
        do {
            id = try machine.submit(request.action)
        } catch {
            request.promise.fail(error)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 256)
        do {
            try request.action.encode(actionID: id, into: &buffer)
        } catch {
            machine.cancel(id)
            request.promise.fail(error)
            return
        }
        logger.trace("AMI action", metadata: ["action": "\(request.action.loggable)", "actionid": "\(id)"])
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let timer = context.eventLoop.scheduleTask(deadline: request.deadline) {
            handler.value.deadlinePassed(id)
        }
        promises[id] = (request.promise, timer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func deadlinePassed(_ id: String) {
        guard let error = machine.timedOut(id), let waiting = promises.removeValue(forKey: id) else { return }
        waiting.promise.fail(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let reason = closeReason ?? "the connection closed"
        for (id, error) in machine.connectionClosed(reason) {
            if let waiting = promises.removeValue(forKey: id) {
                waiting.timer?.cancel()
                waiting.promise.fail(error)
            }
        }
        bannerPromise.fail(AMIError(.connectionClosed, "the connection closed before the AMI banner (\(reason))"))
        hooks.closed(reason)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closeReason = "\(error)"
        context.close(promise: nil)
    }
}
