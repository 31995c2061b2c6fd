public import CoreMetrics
import Foundation
public import Logging
public import NIOCore
import NIOPosix
public import ServiceLifecycle
import Synchronization
import TimeSupport

/// A client for one AMI endpoint that stays connected: it logs in, applies filters, resyncs the
/// live state, keeps the link alive with Ping, and reconnects forever with capped exponential
/// backoff and jitter. ``run()`` is the loop; ``shutdown()`` logs off and ends it.
///
/// Actions sent with ``send(_:timeout:)`` fail with `.notConnected` while it reconnects, and an
/// action waiting when the link drops fails at once; an Originate is never re-sent.
///
/// ```swift
/// let client = AMIClient(configuration: .init(name: "pbx1", host: "10.0.0.5", username: "helpline", secret: secret),
///                        board: board, logger: logger)
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { try await client.run() }
///     let status = try await client.send(.queueSummary())
/// }
/// ```
public final class AMIClient: Service, Sendable {
    /// How to reach and use one AMI endpoint.
    public struct Configuration: Sendable {
        /// The endpoint's name in logs, metrics and the live state (`pbx1`).
        public var name: String
        /// Host name or address.
        public var host: String
        /// TCP port. Defaults to 5038.
        public var port: Int = 5038
        /// The manager.conf user.
        public var username: String
        /// The manager.conf secret. Never logged.
        public var secret: String
        /// Log in with the MD5 challenge instead of sending the secret. Defaults to true.
        public var md5Login: Bool = true
        /// The event mask sent with Login. Defaults to `system,call,agent` (what the live state needs).
        public var events: String = "system,call,agent"
        /// `Filter` expressions applied after each login (a leading `!` excludes). Defaults to none.
        public var filters: [String] = []
        /// Time between keepalive Pings. Defaults to 10 seconds.
        public var keepaliveInterval: Duration = .seconds(10)
        /// How long a Ping may wait for Pong before the link counts as dead. Defaults to 5 seconds.
        public var keepaliveTimeout: Duration = .seconds(5)
        /// The default deadline of an action. Defaults to 10 seconds.
        public var actionTimeout: Duration = .seconds(10)
        /// The first reconnect delay. Defaults to half a second.
        public var reconnectInitialDelay: Duration = .milliseconds(500)
        /// The longest reconnect delay. Defaults to 30 seconds.
        public var reconnectMaximumDelay: Duration = .seconds(30)
        /// How often the state is compared with a fresh QueueStatus; nil turns it off. Defaults to 5 minutes.
        public var reconciliationInterval: Duration? = .seconds(300)
        /// Framing limits.
        public var limits = AMIFramer.Limits()
        /// Capacity of ``AMIClient/events``. Defaults to 10,000.
        public var eventBufferCapacity = 10_000

        /// A configuration with the defaults above.
        public init(name: String, host: String, port: Int = 5038, username: String, secret: String) {
            self.name = name
            self.host = host
            self.port = port
            self.username = username
            self.secret = secret
        }
    }

    /// The configuration.
    public let configuration: Configuration
    /// Every event from every connection of this client, in order; see ``AMIEventStream``.
    public let events: AMIEventStream
    /// Where the live state is published.
    public let board: LiveStateBoard
    let eventLoop: any EventLoop
    private let tracker: NIOLoopBoundBox<LiveStateTracker>
    private let current = Mutex<AMIConnection?>(nil)
    private let stopping = Atomic<Bool>(false)
    private let generation = Atomic<Int>(0)
    private let metrics: AMIMetrics
    private let logger: Logger

    /// A client; nothing happens until ``run()``. `eventLoopGroup` defaults to NIO's shared group.
    public init(configuration: Configuration, board: LiveStateBoard = LiveStateBoard(),
                eventLoopGroup: (any EventLoopGroup)? = nil,
                metricsFactory: any MetricsFactory = MetricsSystem.factory, logger: Logger) {
        self.configuration = configuration
        self.board = board
        self.events = AMIEventStream(capacity: configuration.eventBufferCapacity)
        self.eventLoop = (eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton).next()
        self.tracker = NIOLoopBoundBox.makeBoxSendingValue(
            LiveStateTracker(name: configuration.name, board: board, now: Self.now()), eventLoop: eventLoop)
        self.metrics = AMIMetrics(endpoint: configuration.name, factory: metricsFactory)
        var logger = logger
        logger[metadataKey: "ami.endpoint"] = "\(configuration.name)"
        self.logger = logger
    }

    static func now() -> Double { Date().timeIntervalSince1970 }

    /// The current connection, if logged in.
    public var connection: AMIConnection? { current.withLock { $0 } }

    /// Sends an action on the current connection.
    ///
    /// `timeout` defaults to the configured action timeout; for an Originate, to its own
    /// `Timeout` (30 s when it has none, as in Asterisk) plus the action timeout, since it
    /// completes only when the call is answered or fails.
    public func send(_ action: AMIAction, timeout: Duration? = nil) async throws(AMIError) -> AMIResponse {
        guard let connection else { throw AMIError(.notConnected, "\(configuration.name): not connected to AMI (reconnecting)") }
        return try await connection.send(action, timeout: timeout ?? defaultTimeout(for: action))
    }

    func defaultTimeout(for action: AMIAction) -> Duration {
        guard action.completion == .originate else { return configuration.actionTimeout }
        let ringing = action.headers.first { $0.0 == "Timeout" }.flatMap { Int($0.1) }.map { Duration.milliseconds($0) } ?? .seconds(30)
        return ringing + configuration.actionTimeout
    }

    /// Connects, and reconnects after every loss, until ``shutdown()`` or cancellation.
    ///
    /// As a ServiceLifecycle service, graceful shutdown sends Logoff (``shutdown()``) and ends
    /// the run once Asterisk has closed.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await connectAndReconnect()
        } onGracefulShutdown: {
            Task { await self.shutdown() }
        }
    }

    private func connectAndReconnect() async throws {
        var failures = 0
        while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
            let becameLive = await session()
            let now = Self.now()
            try? await eventLoop.submit { self.tracker.value.disconnected(now: now) }.get()
            metrics.connected.record(0)
            if stopping.load(ordering: .relaxed) || Task.isCancelled { break }
            failures = becameLive ? 0 : failures + 1
            let delay = reconnectBackoff.delay(afterFailure: failures + 1, jitter: Double.random(in: 0...1))
            logger.info("AMI reconnecting", metadata: ["ami.delay": "\(delay)"])
            metrics.reconnects.increment()
            await sleepUnlessStopping(delay)
        }
        events.finish()
    }

    /// Logs off the current connection (Logoff, then close) and makes ``run()`` return.
    public func shutdown() async {
        stopping.store(true, ordering: .sequentiallyConsistent)
        if let connection = current.withLock({ $0 }) {
            await connection.logoff()
            logger.info("AMI logged off")
        }
    }

    /// The wait before each reconnect: the initial delay after a live session ended, doubling
    /// with every failed attempt up to the maximum, jittered.
    var reconnectBackoff: ExponentialBackoff {
        ExponentialBackoff(base: configuration.reconnectInitialDelay, cap: configuration.reconnectMaximumDelay)
    }

    private func sleepUnlessStopping(_ delay: Duration) async {
        let end = ContinuousClock.now + delay
        while ContinuousClock.now < end && !stopping.load(ordering: .relaxed) && !Task.isCancelled {
            try? await Task.sleep(for: min(.milliseconds(100), end - ContinuousClock.now))
        }
    }

    /// One connection from connect to close; returns whether the state became live.
    private func session() async -> Bool {
        let number = generation.add(1, ordering: .relaxed).newValue
        let (requeries, requeryContinuation) = AsyncStream<String>.makeStream()
        let tracker = self.tracker
        let events = self.events
        let metrics = self.metrics
        let counted = NIOLoopBoundBox.makeBoxSendingValue(0, eventLoop: eventLoop)
        // The last event of each read, for the event lag (one sample per read, not per event).
        let last = NIOLoopBoundBox.makeBoxSendingValue(AMIMessage?.none, eventLoop: eventLoop)
        let hooks = AMIConnectionHooks(
            event: { message, sequence in
                tracker.value.apply(message, sequence: sequence, now: Self.now())
                counted.value += 1
                last.value = message
                if events.yield(message) == .dropped { metrics.dropped.increment() }
            },
            batchEnded: {
                tracker.value.flush()
                events.wake()
                if counted.value > 0 {
                    metrics.events.increment(by: Int64(counted.value))
                    counted.value = 0
                }
                if let message = last.value {
                    last.value = nil
                    if let lag = eventLagNanoseconds(timestamp: message["Timestamp"], now: Self.now()) { metrics.eventLag.recordNanoseconds(lag) }
                }
                for queue in tracker.value.takeRequeries() { requeryContinuation.yield(queue) }
            },
            closed: { _ in requeryContinuation.finish() })
        let started = ContinuousClock.now
        let connection: AMIConnection
        do {
            connection = try await AMIConnection.connect(
                host: configuration.host, port: configuration.port, on: eventLoop, prefix: "\(configuration.name)-\(number)",
                limits: configuration.limits, timeout: configuration.actionTimeout, hooks: hooks, events: events, logger: logger)
            try await logIn(connection)
        } catch {
            logger.warning("AMI connection failed", metadata: ["error": "\(error.message)", "ami.address": "\(configuration.host):\(configuration.port)"])
            requeryContinuation.finish()
            return false
        }
        current.withLock { $0 = connection }
        defer { current.withLock { $0 = nil } }
        // shutdown() may have run while this connection logged in, before it was current.
        if stopping.load(ordering: .sequentiallyConsistent) {
            await connection.logoff()
            return false
        }
        do {
            try await resync(connection, full: true, countDrift: false)
        } catch {
            logger.warning("AMI resync failed", metadata: ["error": "\(error)"])
            await connection.close()
            return false
        }
        metrics.resync.recordNanoseconds(Int64((ContinuousClock.now - started) / .nanoseconds(1)))
        metrics.connected.record(1)
        logger.info("AMI connected and live state resynced", metadata: ["ami.banner": "\(connection.banner)"])

        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.keepAlive(connection) }
            group.addTask {
                for await queue in requeries {
                    metrics.requeries.increment()
                    try? await self.resync(connection, queue: queue)
                }
            }
            if let interval = configuration.reconciliationInterval {
                group.addTask { await self.reconcile(connection, every: interval) }
            }
            // Cancellation (not graceful shutdown, which logs off) closes the socket at once.
            await withTaskCancellationHandler {
                _ = try? await connection.closeFuture.get()
            } onCancel: {
                connection.channel.close(promise: nil)
            }
            group.cancelAll()
        }
        logger.info("AMI connection closed")
        return true
    }

    private func logIn(_ connection: AMIConnection) async throws(AMIError) {
        let timeout = configuration.actionTimeout
        if configuration.md5Login {
            let challenge = try await connection.send(.challenge(), timeout: timeout)
            guard let value = challenge.message["Challenge"] else {
                throw AMIError(.protocolViolation, "Challenge reply without a Challenge header", response: challenge.message)
            }
            let key = AMIAction.md5Key(challenge: value, secret: configuration.secret)
            _ = try await connection.send(.login(username: configuration.username, key: key, events: configuration.events), timeout: timeout)
        } else {
            _ = try await connection.send(.login(username: configuration.username, secret: configuration.secret, events: configuration.events), timeout: timeout)
        }
        for filter in configuration.filters {
            // Filters only thin out the events; a refused one (the user lacks write = system)
            // must not keep the live state from coming up, so it is logged, not fatal.
            do {
                _ = try await connection.send(.filter(filter), timeout: timeout)
            } catch where error.code == .actionFailed {
                logger.warning("AMI Filter refused; events arrive unfiltered", metadata: ["ami.filter": "\(filter)", "error": "\(error.message)"])
            }
        }
    }

    /// Takes a QueueStatus (all queues, or one) and rebuilds the state from it.
    private func resync(_ connection: AMIConnection, full: Bool = false, queue: String? = nil, countDrift: Bool = false) async throws {
        let tracker = self.tracker
        try await eventLoop.submit { tracker.value.snapshotStarted(full: queue == nil) }.get()
        do {
            let response = try await connection.send(.queueStatus(queue: queue), timeout: configuration.actionTimeout)
            let drift = try await eventLoop.submit {
                tracker.value.snapshotCompleted(response, queue: queue, now: Self.now(), countDrift: countDrift)
            }.get()
            if drift > 0 {
                metrics.drift.increment(by: Int64(drift))
                logger.notice("AMI live state drifted from QueueStatus; corrected", metadata: ["ami.drift": "\(drift)"])
            }
        } catch {
            try? await eventLoop.submit { tracker.value.snapshotFailed(full: queue == nil, queue: queue) }.get()
            throw error
        }
    }

    private func keepAlive(_ connection: AMIConnection) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: configuration.keepaliveInterval)
            } catch { return }
            do {
                _ = try await connection.send(.ping(), timeout: configuration.keepaliveTimeout)
            } catch {
                if Task.isCancelled { return }
                logger.warning("AMI keepalive failed; treating the link as dead", metadata: ["error": "\(error.message)"])
                await connection.close()
                return
            }
        }
    }

    private func reconcile(_ connection: AMIConnection, every interval: Duration) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch { return }
            try? await resync(connection, countDrift: true)
        }
    }
}
