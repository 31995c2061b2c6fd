import NIOCore
import NIOPosix

/// What went wrong, by kind.
struct ErrorCounts: Sendable {
    /// A connect failed (refused, timed out, out of ports or descriptors).
    var connect = 0
    /// A command line that Asterisk knows but that is not the script's next command.
    var mismatch = 0
    /// A command line Asterisk would answer with 510.
    var unknownCommand = 0
    /// The server closed (or the connection broke) before the script's 8 commands.
    var incomplete = 0
    /// A socket error.
    var socket = 0
    /// A command before the previous reply, or an over-long line.
    var protocolViolation = 0
    /// Idle mode: the server closed a session that was being held.
    var dropped = 0
    /// A session still running at the end of the run (the server stopped answering).
    var stalled = 0

    enum Kind { case connect, mismatch, unknownCommand, incomplete, socket, protocolViolation, dropped, stalled }

    var total: Int { connect + mismatch + unknownCommand + incomplete + socket + protocolViolation + dropped + stalled }

    mutating func add(_ kind: Kind) {
        switch kind {
        case .connect: connect += 1
        case .mismatch: mismatch += 1
        case .unknownCommand: unknownCommand += 1
        case .incomplete: incomplete += 1
        case .socket: socket += 1
        case .protocolViolation: protocolViolation += 1
        case .dropped: dropped += 1
        case .stalled: stalled += 1
        }
    }

    mutating func merge(_ other: ErrorCounts) {
        connect += other.connect
        mismatch += other.mismatch
        unknownCommand += other.unknownCommand
        incomplete += other.incomplete
        socket += other.socket
        protocolViolation += other.protocolViolation
        dropped += other.dropped
        stalled += other.stalled
    }

    var summary: String {
        "connect \(connect), mismatch \(mismatch), unknown \(unknownCommand), incomplete \(incomplete), "
            + "socket \(socket), protocol \(protocolViolation), dropped \(dropped), stalled \(stalled)"
    }
}

/// The figures of one event loop, copied out at the end (or for progress).
struct LoopSnapshot: Sendable {
    var latency = Histogram()
    /// The first command of each session only: accept, environment block, session start.
    var firstCommand = Histogram()
    /// Commands 2…8: one reply to the next command.
    var laterCommands = Histogram()
    /// Commands received inside the measuring window.
    var commands: UInt64 = 0
    /// Sessions completed inside the measuring window.
    var completedInWindow: UInt64 = 0
    /// Sessions completed at any time.
    var completed: UInt64 = 0
    /// Connects attempted.
    var started: UInt64 = 0
    var errors = ErrorCounts()
    /// The first few error messages.
    var errorSamples: [String] = []
    /// Closed loop: slots still running. Idle: sessions connecting or not yet held.
    var active = 0
    /// Idle: sessions held right now.
    var held = 0
    /// Idle: sessions not yet started.
    var waiting = 0
    /// Open connections.
    var live = 0

    mutating func merge(_ other: LoopSnapshot) {
        latency.merge(other.latency)
        firstCommand.merge(other.firstCommand)
        laterCommands.merge(other.laterCommands)
        commands += other.commands
        completedInWindow += other.completedInWindow
        completed += other.completed
        started += other.started
        errors.merge(other.errors)
        for sample in other.errorSamples where errorSamples.count < 5 { errorSamples.append(sample) }
        active += other.active
        held += other.held
        waiting += other.waiting
        live += other.live
    }
}

/// Runs the simulated channels of one event loop and keeps that loop's figures. Only ever
/// touched on its loop (the outside world reaches it through `NIOLoopBound`).
final class LoopDriver {
    struct Settings: Sendable {
        enum Mode: Sendable {
            /// Closed loop: each slot runs sessions back to back until `windowEnd`.
            case closed(slots: Int)
            /// Open `count` sessions, at most `window` being set up at once, and hold them.
            case idle(count: Int, window: Int)
        }

        var mode: Mode
        var address: SocketAddress
        var environment: EnvironmentBlock
        /// Session numbers are `index`, `index + stride`, … so they are unique across loops.
        var index: Int
        var stride: Int
        /// Samples and completions are counted between these (monotonic nanoseconds).
        var windowStart: UInt64
        var windowEnd: UInt64
        /// Delay before each reply, nanoseconds.
        var think: UInt64
    }

    private let loop: any EventLoop
    private let settings: Settings
    private var bootstrap: ClientBootstrap?
    private var figures = LoopSnapshot()
    private var sessionNumber: UInt64
    private var random: UInt64
    /// Open sessions, so that they can be hung up or closed at the end.
    private var live: [ObjectIdentifier: FakeAsterisk] = [:]
    // Closed loop.
    private var runningSlots = 0
    // Idle.
    private var waiting = 0
    private var opening = 0
    private var held = 0
    private var openedPromise: EventLoopPromise<Void>?
    private var closedPromise: EventLoopPromise<Void>?
    // Think time: replies wait in a timer wheel of 1 ms slots, driven by one repeating task,
    // rather than one scheduled task each (cheaper, so the tool disturbs the figures less).
    private static let tickNanoseconds: UInt64 = 1_000_000
    private var wheel: [[FakeAsterisk]] = []
    private var wheelTick: UInt64 = 0
    private var ticker: RepeatedTask?

    init(loop: any EventLoop, settings: Settings) {
        self.loop = loop
        self.settings = settings
        self.sessionNumber = UInt64(settings.index)
        self.random = 0x9E37_79B9_7F4A_7C15 &* UInt64(settings.index + 1)
    }

    /// Starts the run; the future completes (idle mode) once every session is held or has failed.
    func start() -> EventLoopFuture<Void> {
        let bound = NIOLoopBound(self, eventLoop: loop)
        let holdAfter: Int
        switch settings.mode {
        case .closed: holdAfter = Int.max
        case .idle: holdAfter = 2
        }
        let think = settings.think
        bootstrap = ClientBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        FakeAsterisk(driver: bound.value, holdAfter: holdAfter, think: think))
                }
            }
        if think > 0 {
            wheel = Array(repeating: [], count: Int(think * 3 / 2 / LoopDriver.tickNanoseconds) + 4)
            wheelTick = monotonicNanoseconds() / LoopDriver.tickNanoseconds
            ticker = loop.scheduleRepeatedTask(initialDelay: .milliseconds(1), delay: .milliseconds(1)) { _ in
                bound.value.tick()
            }
        }
        switch settings.mode {
        case .closed(let slots):
            runningSlots = slots
            for _ in 0..<slots { connect() }
            return loop.makeSucceededVoidFuture()
        case .idle(let count, _):
            let promise = loop.makePromise(of: Void.self)
            openedPromise = promise
            waiting = count
            openMore()
            return promise.futureResult
        }
    }

    // MARK: Sessions

    private func connect() {
        guard let bootstrap else { return }
        figures.started += 1
        bootstrap.connect(to: settings.address).assumeIsolated().whenFailure { error in
            self.error(.connect, "connect: \(error)")
            self.connectFailed()
        }
    }

    private func connectFailed() {
        switch settings.mode {
        case .closed:
            // Try again shortly rather than spinning on a refused port.
            loop.assumeIsolated().scheduleTask(in: .milliseconds(10)) { self.slotFree() }
        case .idle:
            opening -= 1
            openMore()
        }
    }

    /// Closed loop: a slot's session is over; start the next one while the run lasts.
    private func slotFree() {
        if monotonicNanoseconds() < settings.windowEnd {
            connect()
        } else {
            runningSlots -= 1
            if runningSlots == 0 {
                ticker?.cancel()
                ticker = nil
            }
        }
    }

    /// Sends `session`'s held-back reply after `delay` nanoseconds (to the next 1 ms tick).
    func reply(_ session: FakeAsterisk, after delay: UInt64) {
        let wanted = (monotonicNanoseconds() + delay) / LoopDriver.tickNanoseconds
        let due = min(max(wanted, wheelTick + 1), wheelTick + UInt64(wheel.count) - 1)
        wheel[Int(due % UInt64(wheel.count))].append(session)
    }

    private func tick() {
        let now = monotonicNanoseconds() / LoopDriver.tickNanoseconds
        while wheelTick < now {
            wheelTick += 1
            let slot = Int(wheelTick % UInt64(wheel.count))
            if wheel[slot].isEmpty { continue }
            let due = wheel[slot]
            wheel[slot].removeAll(keepingCapacity: true)
            for session in due { session.sendPendingReply() }
        }
    }

    /// Idle: starts sessions until `window` are being set up at once.
    private func openMore() {
        guard case .idle(_, let window) = settings.mode else { return }
        while opening < window && waiting > 0 {
            waiting -= 1
            opening += 1
            connect()
        }
        if opening == 0 && waiting == 0, let promise = openedPromise {
            openedPromise = nil
            promise.succeed()
        }
    }

    func environmentBlock(allocator: ByteBufferAllocator) -> ByteBuffer {
        let number = sessionNumber
        sessionNumber &+= UInt64(settings.stride)
        return settings.environment.make(number: number, allocator: allocator)
    }

    func sessionActive(_ session: FakeAsterisk) {
        live[ObjectIdentifier(session)] = session
    }

    @inline(__always)
    func commandReceived(latency: UInt64, first: Bool, at time: UInt64) {
        if time >= settings.windowStart && time < settings.windowEnd {
            figures.latency.record(latency)
            if first {
                figures.firstCommand.record(latency)
            } else {
                figures.laterCommands.record(latency)
            }
            figures.commands += 1
        }
    }

    func sessionHeld(_ session: FakeAsterisk) {
        opening -= 1
        held += 1
        openMore()
    }

    func sessionEnded(_ session: FakeAsterisk, completed: Bool, at time: UInt64) {
        live[ObjectIdentifier(session)] = nil
        if completed {
            figures.completed += 1
            if time >= settings.windowStart && time < settings.windowEnd { figures.completedInWindow += 1 }
        }
        switch settings.mode {
        case .closed:
            slotFree()
        case .idle:
            if session.wasHeld {
                held -= 1
            } else {
                opening -= 1
                openMore()
            }
        }
        if live.isEmpty, let promise = closedPromise {
            closedPromise = nil
            promise.succeed()
        }
    }

    func error(_ kind: ErrorCounts.Kind, _ message: @autoclosure () -> String) {
        figures.errors.add(kind)
        if figures.errorSamples.count < 5 { figures.errorSamples.append(message()) }
    }

    /// A think time with ±50 % jitter, so that sessions do not move in lockstep.
    func jittered(_ nanoseconds: UInt64) -> UInt64 {
        random ^= random << 13
        random ^= random >> 7
        random ^= random << 17
        return nanoseconds / 2 + random % (nanoseconds + 1)
    }

    // MARK: From outside

    func snapshot() -> LoopSnapshot {
        var copy = figures
        switch settings.mode {
        case .closed: copy.active = runningSlots
        case .idle: copy.active = opening
        }
        copy.held = held
        copy.waiting = waiting
        copy.live = live.count
        return copy
    }

    /// Every open session's caller hangs up (Asterisk writes `HANGUP` and waits for the server
    /// to close); after `grace`, whatever is still open is closed. Completes when all are closed.
    func hangUpAll(grace: TimeAmount, countStalled: Bool) -> EventLoopFuture<Void> {
        if live.isEmpty { return loop.makeSucceededVoidFuture() }
        let promise = loop.makePromise(of: Void.self)
        closedPromise = promise
        if countStalled {
            for _ in live.values { error(.stalled, "a session was still running at the end of the run") }
        }
        for session in Array(live.values) { session.hangUp() }
        loop.assumeIsolated().scheduleTask(in: grace) {
            for session in Array(self.live.values) { session.abort() }
        }
        return promise.futureResult
    }
}
