public import AGIServer
public import AMIClient
import Foundation
public import Logging
public import ServiceLifecycle
import Store

/// The helpline daemon: the services `helpline serve` runs, wired from a configuration.
///
/// ```swift
/// let daemon = try HelplineDaemon(configuration: configuration, logger: logger)
/// try await daemon.run()   // until SIGTERM or SIGINT, then drains
/// ```
public struct HelplineDaemon: Sendable {
    /// The version reported by `helpline --version` and the `/health` script.
    public static let version = "0.1.0"

    /// The configuration the daemon runs with.
    public let configuration: HelplineConfiguration
    /// The FastAGI server.
    public let agiServer: AGIServer
    /// The live queue and seat state of every AMI endpoint.
    public let board: LiveStateBoard
    /// One client per configured AMI endpoint.
    public let amiClients: [AMIClient]
    let database: HelplineDatabase
    let logger: Logger

    /// Opens the database and builds the services; throws if the database cannot be opened.
    public init(configuration: HelplineConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        self.database = try HelplineDatabase(path: configuration.databasePath)
        self.agiServer = AGIServer(configuration: configuration.agi, routes: Self.routes(), logger: logger)
        let board = LiveStateBoard()
        self.board = board
        self.amiClients = configuration.amiEndpoints.map { AMIClient(configuration: $0, board: board, logger: logger) }
    }

    /// The control socket's commands: `queues` answers a ``QueuesReport`` as JSON.
    public static func controlCommands(board: LiveStateBoard) -> [String: ControlServer.Command] {
        [
            "queues": { _ in
                let report = QueuesReport(snapshot: board.snapshot(), now: Date().timeIntervalSince1970)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                guard let data = try? encoder.encode(report) else { return ControlServer.errorReply("cannot encode the report") }
                return String(decoding: data, as: UTF8.self)
            },
        ]
    }

    /// The FastAGI scripts the daemon serves.
    ///
    /// - `/health`: sets `HELPLINE_STATUS=ok` and `HELPLINE_VERSION`, so a dialplan (or an
    ///   administrator with `nc`) can check the daemon answers.
    public static func routes() -> AGIRoutes {
        var routes = AGIRoutes()
        routes.add("/health") { session in
            try await session.setVariable("HELPLINE_STATUS", "ok")
            try await session.setVariable("HELPLINE_VERSION", version)
        }
        return routes
    }

    /// Runs every service until SIGTERM or SIGINT, then shuts them down gracefully.
    public func run() async throws {
        logger.info("Helpline starting", metadata: ["version": "\(Self.version)", "database": "\(database.path)"])
        if let files = raiseOpenFileLimit() {
            // One descriptor per session, plus the database, listeners and logs.
            let needed = UInt64(configuration.agi.maximumSessions) + 64
            if files < needed {
                logger.warning(
                    "The open-file limit is below what agi.max_sessions needs; raise LimitNOFILE (systemd) or ulimit -n",
                    metadata: ["open_files": "\(files)", "needed": "\(needed)"])
            }
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: AGIService(server: agiServer))]
                    + amiClients.map { .init(service: AMIService(client: $0)) }
                    + [.init(service: ControlServer(path: configuration.controlSocketPath, commands: Self.controlCommands(board: board), logger: logger))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

/// The FastAGI server as a lifecycle service: graceful shutdown drains its sessions.
public struct AGIService: Service {
    /// The server it runs.
    public let server: AGIServer

    /// Wraps a server.
    public init(server: AGIServer) {
        self.server = server
    }

    /// Serves until graceful shutdown (then drains) or cancellation.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await server.run()
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}

/// An AMI endpoint's client as a lifecycle service: it stays connected until graceful shutdown,
/// then sends Logoff and ends.
public struct AMIService: Service {
    /// The client it runs.
    public let client: AMIClient

    /// Wraps a client.
    public init(client: AMIClient) {
        self.client = client
    }

    /// Runs the client until graceful shutdown (Logoff) or cancellation.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            group.addTask {
                // Returns when graceful shutdown starts; throws when cancelled instead.
                try? await gracefulShutdown()
                await client.shutdown()
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
