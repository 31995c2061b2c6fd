import NIOCore

/// The deadlines of every session on one event loop, checked together on a coarse tick.
///
/// A NIO timer per session costs a heap insertion when the session starts and a linear search
/// of the loop's scheduled tasks when it is cancelled at the session's end: about 3 % of the
/// server's CPU at 100 sessions back to back. FastAGI's deadlines are seconds long (the
/// environment block, each reply, the linger after the script ends), so one sweep of the
/// loop's sessions every ``interval`` is precise enough: a deadline is acted on at most one
/// interval late. The sweep runs only while sessions are registered, so an idle server sleeps.
///
/// Confined to its event loop: every method runs there (asserted in debug builds).
final class DeadlineSweeper: @unchecked Sendable {
    /// How often the deadlines are checked.
    static let interval = TimeAmount.milliseconds(100)

    private let eventLoop: any EventLoop
    private var handlers: [AGIChannelHandler] = []
    private var ticking = false

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Starts watching a session's deadlines (once per session).
    func add(_ handler: AGIChannelHandler) {
        eventLoop.assertInEventLoop()
        guard handler.sweepIndex < 0 else { return }
        handler.sweepIndex = handlers.count
        handlers.append(handler)
        if !ticking {
            ticking = true
            scheduleTick()
        }
    }

    /// Stops watching a session (safe to call more than once).
    func remove(_ handler: AGIChannelHandler) {
        eventLoop.assertInEventLoop()
        let index = handler.sweepIndex
        guard index >= 0 else { return }
        handler.sweepIndex = -1
        let last = handlers.removeLast()
        if index < handlers.count {
            handlers[index] = last
            last.sweepIndex = index
        }
    }

    /// The number of sessions watched (for tests).
    var count: Int { handlers.count }

    /// Whether a sweep is scheduled (for tests).
    var isTicking: Bool { ticking }

    private func scheduleTick() {
        eventLoop.assumeIsolated().scheduleTask(in: Self.interval) { self.tick() }
    }

    private func tick() {
        guard !handlers.isEmpty else {
            ticking = false
            return
        }
        let now = eventLoop.now
        // Acting on a deadline may close channels and so remove handlers: collect first.
        var due: [AGIChannelHandler] = []
        for handler in handlers where handler.earliestDeadline <= now { due.append(handler) }
        for handler in due { handler.deadlinesPassed(now) }
        scheduleTick()
    }
}
