public import CoreMetrics
public import Logging
public import NIOCore
public import NIOPosix
public import ServiceLifecycle
import Synchronization

/// A FastAGI server: accepts the sessions Asterisk opens with `AGI(agi://host:port/script,…)`
/// and runs the handler routed by the script path, one task per session.
///
/// ```swift
/// var routes = AGIRoutes()
/// routes.add("/health") { session in try await session.setVariable("HELPLINE_STATUS", "ok") }
/// let server = AGIServer(configuration: .init(), routes: routes, logger: logger)
/// try await server.run()   // until beginGracefulShutdown() or cancellation
/// ```
///
/// Every session runs on its channel's event loop (no thread switch per command). A handler
/// that throws ends only its own session: the failure is logged with the call's uniqueid,
/// counted, and Asterisk receives `FAILURE` so its dialplan falls back. An unknown script, or a
/// session over the limit, gets `FAILURE` too. On shutdown the server stops accepting, lets
/// sessions finish until ``Configuration/drainTimeout``, then ends the rest. ``run(onListening:)``
/// returns once every handler has returned, including handlers still at work after their caller
/// hung up; cancelling it closes every connection and cancels every handler.
///
/// Each session's handler runs in a task of its own, started when the connection is accepted:
/// it does not inherit the task-local values or the priority of the task that called
/// ``run(onListening:)``.
public final class AGIServer: Service, Sendable {
    /// Where and how the server listens, and the limits every session gets.
    ///
    /// The session deadlines (environment, reply, linger) are checked every 100 ms, so each is
    /// acted on up to 100 ms after it passes.
    public struct Configuration: Sendable {
        /// Address to bind. Defaults to `127.0.0.1` (Asterisk on the same host).
        public var host: String = "127.0.0.1"
        /// TCP port. Defaults to 4573, Asterisk's default for `agi://`. Use 0 for any free port.
        public var port: Int = 4573
        /// Peers allowed to open sessions. Defaults to loopback only (`127.0.0.0/8`, `::1`).
        public var allowList: [AGIPeerRule] = AGIPeerRule.loopback
        /// The listen backlog. Defaults to 4096 (call bursts open many sessions at once).
        public var backlog: Int = 4096
        /// The most sessions at once; more are answered `FAILURE`. Defaults to 4000.
        public var maximumSessions: Int = 4000
        /// How long Asterisk may take to send the environment block. Defaults to five seconds.
        public var environmentTimeout: Duration = .seconds(5)
        /// How long a reply may take beyond the command's own timeout arguments (prompts play
        /// for as long as they last). Defaults to 120 seconds.
        public var replyTimeout: Duration = .seconds(120)
        /// How long running sessions may continue after shutdown begins. Defaults to 30 seconds.
        public var drainTimeout: Duration = .seconds(30)
        /// How long to wait for Asterisk to close after the server ends a session. Defaults to five seconds.
        public var lingerTimeout: Duration = .seconds(5)
        /// The longest line accepted from Asterisk. Defaults to 16384 bytes.
        public var maximumLineLength: Int = 16_384
        /// The most keys in an environment block. Defaults to 256 (Asterisk sends about 25 plus arguments).
        public var maximumEnvironmentKeys: Int = 256

        /// The defaults documented on each property.
        public init() {}

        var limits: AGISessionLimits {
            AGISessionLimits(
                maximumLineLength: maximumLineLength, maximumEnvironmentKeys: maximumEnvironmentKeys,
                environmentTimeout: TimeAmount(environmentTimeout), replyTimeout: TimeAmount(replyTimeout),
                lingerTimeout: TimeAmount(lingerTimeout))
        }
    }

    private struct State {
        var listener: (any Channel)?
        var shuttingDown = false
        var connections: [ObjectIdentifier: any Channel] = [:]
        var active = 0
        /// Session tasks not yet returned, by their channel's identity like `connections` (a
        /// handler may still be storing what a caller gave after its connection closed; its
        /// `AGIConnection` keeps the channel, so the identity is not reused meanwhile).
        var sessions: [ObjectIdentifier: Task<Void, Never>] = [:]
        /// Set when ``run(onListening:)`` is cancelled: every session task is cancelled, and so
        /// is any started later.
        var cancelled = false
        /// Resumed when `sessions` becomes empty once ``run(onListening:)`` waits for it.
        var sessionsDone: CheckedContinuation<Void, Never>?
    }

    /// The server's configuration.
    public let configuration: Configuration
    private let routes: AGIRoutes
    private let group: any EventLoopGroup
    private let logger: Logger
    private let metrics: AGIMetrics
    private let state = Mutex(State())
    /// What each event loop of the group has: the task executor a session's task runs on (its
    /// channel's loop), and the sweeper of its sessions' deadlines.
    private let loops: [ObjectIdentifier: LoopParts]

    private struct LoopParts: Sendable {
        let executor: EventLoopTaskExecutor
        let sweeper: DeadlineSweeper

        init(_ loop: any EventLoop) {
            executor = EventLoopTaskExecutor(loop)
            sweeper = DeadlineSweeper(eventLoop: loop)
        }
    }

    /// Creates a server; nothing listens until ``run(onListening:)``.
    ///
    /// - Parameters:
    ///   - eventLoopGroup: the loops sessions run on. Defaults to NIO's shared group (one loop per core).
    ///   - metricsFactory: where metrics go. Defaults to the process's `MetricsSystem`.
    public init(
        configuration: Configuration, routes: AGIRoutes, logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.configuration = configuration
        self.routes = routes
        self.logger = logger
        self.group = eventLoopGroup
        self.metrics = AGIMetrics(factory: metricsFactory)
        var loops: [ObjectIdentifier: LoopParts] = [:]
        for loop in eventLoopGroup.makeIterator() { loops[ObjectIdentifier(loop)] = LoopParts(loop) }
        self.loops = loops
    }

    /// The number of open connections (sessions, refused sessions being answered, and
    /// sessions lingering until Asterisk closes).
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Listens and serves until graceful shutdown (as a ServiceLifecycle service) or
    /// ``beginGracefulShutdown()``, then drains; or until the calling task is cancelled, then
    /// ends every session at once.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await run(onListening: { _ in })
        } onGracefulShutdown: {
            self.beginGracefulShutdown()
        }
    }

    /// Listens and serves until ``beginGracefulShutdown()`` (then drains) or until the calling
    /// task is cancelled (then ends every session at once).
    ///
    /// - Parameter onListening: called with the bound address once the socket listens.
    public func run(onListening: @Sendable (SocketAddress) -> Void) async throws {
        // The classic bootstrap: each accepted channel's session task is started by the child
        // initializer, on the channel's own event loop. An async accept stream
        // (`NIOAsyncChannel`) costs a submitted future, a sequence yield and a wake-up of the
        // accept loop per connection, about 6 % of the server's CPU at 100 sessions.
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Int32(clamping: configuration.backlog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Accept a burst of connections per wake-up (NIO's default is 4), so that new
            // sessions do not queue behind the running ones when many calls arrive at once.
            .serverChannelOption(.maxMessagesPerRead, value: 64)
            // The child channels' options are set in `accept`, synchronously (NIO applies
            // `childChannelOption`s through a chain of futures per connection).
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture { try self.accept(child) }
            }
            .bind(host: configuration.host, port: configuration.port).get()
        let alreadyStopping = state.withLock { state in
            state.listener = listener
            return state.shuttingDown
        }
        if alreadyStopping { listener.close(promise: nil) }
        if let address = listener.localAddress {
            logger.info("FastAGI server listening", metadata: ["agi.listen": "\(address)", "agi.allow": "\(configuration.allowList)"])
            onListening(address)
        }

        await withTaskCancellationHandler {
            try? await listener.closeFuture.get()
        } onCancel: {
            listener.close(promise: nil)
            cancelSessions()
        }
        if !Task.isCancelled && !state.withLock({ $0.shuttingDown }) {
            logger.error("FastAGI listener closed unexpectedly; draining the running sessions")
        }
        await drain()
        await withTaskCancellationHandler {
            await sessionsEnded()
        } onCancel: {
            cancelSessions()
        }
        logger.info("FastAGI server stopped")
    }

    /// Stops accepting sessions; running sessions get ``Configuration/drainTimeout`` to finish.
    public func beginGracefulShutdown() {
        let listener = state.withLock { state -> (any Channel)? in
            state.shuttingDown = true
            return state.listener
        }
        logger.info("FastAGI server draining", metadata: ["agi.sessions": "\(connectionCount)"])
        listener?.close(promise: nil)
    }

    private func accept(_ child: any Channel) throws {
        let peer = child.remoteAddress
        guard let peer, configuration.allowList.contains(where: { $0.matches(peer) }) else {
            metrics.refusedAllowList.increment()
            logger.warning("FastAGI connection refused: peer is not in the allow-list", metadata: ["agi.peer": "\(peer.map { "\($0)" } ?? "unknown")"])
            child.close(promise: nil)
            return
        }
        guard let parts = loops[ObjectIdentifier(child.eventLoop)] else {
            preconditionFailure("the bootstrap places accepted channels on the server's own event loops")
        }
        if let options = child.syncOptions {
            try options.setOption(.socketOption(.tcp_nodelay), value: 1)
            // An environment block is about 700 bytes and replies are short; each idle channel
            // keeps its receive buffer, so start small (NIO's default is 2048) and let it adapt.
            try options.setOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 1024, maximum: 65_536))
        }
        let id = ObjectIdentifier(child)
        let overLimitIfAdmitted = state.withLock { state -> Bool? in
            // A connection accepted just before the listener closed: no session any more.
            guard !state.shuttingDown else { return nil }
            state.connections[id] = child
            guard state.active < configuration.maximumSessions else { return true }
            state.active += 1
            return false
        }
        guard let overLimit = overLimitIfAdmitted else {
            child.close(promise: nil)
            return
        }
        if !overLimit {
            metrics.accepted.increment()
            metrics.active.increment()
        }
        let flags = AGIConnectionFlags()
        let handler = AGIChannelHandler(
            limits: configuration.limits, metrics: metrics, flags: flags, logger: logger, peer: peer,
            sweeper: parts.sweeper,
            onClose: (self, id, overLimit))
        do {
            try child.pipeline.syncOperations.addHandler(handler)
        } catch {
            handler.releaseRegistration()
            throw error
        }

        let connection = AGIConnection(channel: child, handler: handler, flags: flags, overLimit: overLimit, logger: logger, peer: peer)
        // The task's first job is queued on this event loop before the channel's registration,
        // so the session waits for its environment block before any byte can arrive.
        // Started and recorded under one lock: a cancellation either sees the task or has
        // already set `cancelled`, and the task cannot report its end before it is recorded.
        state.withLock { state in
            let session = Task(executorPreference: parts.executor) {
                await self.runSession(connection)
                self.sessionReturned(id)
            }
            state.sessions[id] = session
            if state.cancelled { session.cancel() }
        }
    }

    /// Called once by each session task when its handler has returned.
    private func sessionReturned(_ id: ObjectIdentifier) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.sessions[id] = nil
            guard state.sessions.isEmpty else { return nil }
            defer { state.sessionsDone = nil }
            return state.sessionsDone
        }
        waiter?.resume()
    }

    /// Cancels every session task, running or started later (``run(onListening:)`` was cancelled).
    private func cancelSessions() {
        let sessions = state.withLock { state in
            state.cancelled = true
            state.shuttingDown = true
            return Array(state.sessions.values)
        }
        for session in sessions { session.cancel() }
    }

    /// Returns once every session task has returned.
    private func sessionsEnded() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                guard !state.sessions.isEmpty else { return true }
                state.sessionsDone = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func runSession(_ connection: AGIConnection) async {
        var environment: AGIEnvironment?
        do {
            let env = try await connection.environment()
            environment = env
            if connection.overLimit {
                metrics.refusedLimit.increment()
                logger.warning(
                    "FastAGI session refused: the session limit is reached; sent FAILURE so the dialplan falls back",
                    metadata: connection.metadata(env, ["agi.maximum_sessions": "\(configuration.maximumSessions)"]))
                connection.finish(failure: true)
            } else if let handler = routes.handler(for: env.scriptPath) {
                logger.debug("FastAGI session started", metadata: connection.metadata(env))
                let session = AGISession(environment: env, connection: connection)
                do {
                    try await handler(session)
                    logger.debug("FastAGI session finished", metadata: connection.metadata(env))
                    connection.finish(failure: false)
                } catch let error as AGIError where error.code == .hungUp {
                    logger.debug("FastAGI session ended by hangup", metadata: connection.metadata(env))
                    connection.finish(failure: false)
                } catch {
                    metrics.failed.increment()
                    logger.error(
                        "FastAGI handler failed; sent FAILURE so the dialplan falls back",
                        metadata: connection.metadata(env, ["error": "\(error)"]))
                    connection.finish(failure: true)
                }
            } else {
                metrics.unknownScript.increment()
                logger.warning(
                    "FastAGI session for an unknown script; sent FAILURE so the dialplan falls back",
                    metadata: connection.metadata(env, ["agi.script_path": "\(env.scriptPath)", "agi.known_scripts": "\(routes.paths)"]))
                connection.finish(failure: true)
            }
        } catch {
            metrics.failed.increment()
            logger.warning(
                "FastAGI session ended before its environment block was complete",
                metadata: connection.metadata(environment, ["error": "\(error)"]))
        }
    }

    /// Called by a connection's handler once its channel is inactive.
    func connectionClosed(_ id: ObjectIdentifier, overLimit: Bool) {
        state.withLock { state in
            state.connections[id] = nil
            if !overLimit { state.active -= 1 }
        }
        if !overLimit { metrics.active.decrement() }
    }

    private func drain() async {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.drainTimeout
        while connectionCount > 0, clock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let remaining = state.withLock { Array($0.connections.values) }
        if !remaining.isEmpty {
            if Task.isCancelled {
                logger.warning("FastAGI server cancelled; ending the remaining sessions", metadata: ["agi.sessions": "\(remaining.count)"])
            } else {
                logger.warning("FastAGI drain deadline passed; ending the remaining sessions", metadata: ["agi.sessions": "\(remaining.count)"])
            }
            for channel in remaining { channel.close(promise: nil) }
            // A close completes on the channel's loop; wait for each, so that when `run()`
            // returns every connection is closed and counted out (its handler saw it inactive
            // before its close future completes).
            for channel in remaining { try? await channel.closeFuture.get() }
        }
    }
}

/// The handlers of a server, by script path (`/inbound` for `agi://host/inbound?x=y`).
public struct AGIRoutes: Sendable {
    /// A session handler: runs the call, then returns (or throws) to end the session.
    public typealias Handler = @Sendable (AGISession) async throws -> Void

    private var handlers: [String: Handler] = [:]

    /// Looked up, at each session, for a path no ``add(_:_:)`` routed: lets routes change
    /// while the server runs (menus reloaded, added). Nil answers refuse the script as usual.
    public var dynamic: (@Sendable (_ path: String) -> Handler?)?

    /// No routes.
    public init() {}

    /// Routes `path` (with or without its leading `/`) to `handler`, replacing any earlier one.
    public mutating func add(_ path: String, _ handler: @escaping Handler) {
        handlers[path.hasPrefix("/") ? path : "/" + path] = handler
    }

    /// The handler for a script path, if any: a fixed route first, then ``dynamic``.
    public func handler(for path: String) -> Handler? { handlers[path] ?? dynamic?(path) }

    /// The routed paths, sorted.
    public var paths: [String] { handlers.keys.sorted() }
}
