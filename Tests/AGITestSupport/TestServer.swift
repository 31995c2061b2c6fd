public import AGIServer
public import CoreMetrics
public import Logging
public import NIOCore
public import NIOPosix
import AsteriskFakes
import Synchronization

/// A log handler that keeps every record in memory, for tests that check what was logged.
public final class RecordingLogHandler: LogHandler, Sendable {
    /// One log record.
    public struct Record: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])
    public var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    public var logLevel: Logger.Level {
        get { .trace }
        set {}
    }

    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    public func log(event: LogEvent) {
        let merged = (event.metadata ?? [:]).mapValues { "\($0)" }
        records.withLock { $0.append(Record(level: event.level, message: "\(event.message)", metadata: merged)) }
    }

    /// Everything logged so far.
    public var all: [Record] { records.withLock { $0 } }

    /// A logger writing here, with `metadata` carried by the logger itself.
    public func logger(label: String = "test") -> Logger {
        Logger(label: label) { _ in BoxedHandler(target: self) }
    }

    struct BoxedHandler: LogHandler {
        let target: RecordingLogHandler
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            var event = event
            event.metadata = metadata.merging(event.metadata ?? [:]) { $1 }
            target.log(event: event)
        }
    }
}

/// Runs an ``AGIServer`` on a free loopback port for the duration of `body`, then shuts it
/// down gracefully and waits for `run()` to return.
public func withAGIServer<T: Sendable>(
    configuration: AGIServer.Configuration = testConfiguration(),
    routes: AGIRoutes,
    logs: RecordingLogHandler = RecordingLogHandler(),
    metrics: any MetricsFactory = NOOPMetricsHandler.instance,
    eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
    _ body: @Sendable (AGIServer, SocketAddress) async throws -> T
) async throws -> T {
    let server = AGIServer(configuration: configuration, routes: routes, logger: logs.logger(), eventLoopGroup: eventLoopGroup, metricsFactory: metrics)
    let (addresses, continuation) = AsyncStream.makeStream(of: SocketAddress.self)
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await server.run { continuation.yield($0) }
            continuation.finish()
            return nil
        }
        var iterator = addresses.makeAsyncIterator()
        guard let address = await iterator.next() else { throw CaptureError("the server did not start") }
        do {
            let result = try await body(server, address)
            server.beginGracefulShutdown()
            while let value = try await group.next() { if let value { return value } }
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

/// Test defaults: any free port on 127.0.0.1, short deadlines.
public func testConfiguration() -> AGIServer.Configuration {
    var configuration = AGIServer.Configuration()
    configuration.port = 0
    configuration.environmentTimeout = .seconds(2)
    configuration.replyTimeout = .seconds(10)
    configuration.drainTimeout = .seconds(5)
    configuration.lingerTimeout = .seconds(2)
    return configuration
}
