public import AGIServer
public import Logging
public import ServiceLifecycle
public import Store

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
    let database: HelplineDatabase
    /// Tickets, calls and routing decisions.
    public let store: TicketStore
    let logger: Logger

    /// Opens and migrates the database and builds the services; throws if the database cannot
    /// be opened or was migrated by a newer Helpline.
    public init(configuration: HelplineConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let database = try HelplineDatabase(path: configuration.databasePath, migrate: false)
        let pending = try database.migrationStatus().pending
        try database.migrate()
        for migration in pending {
            logger.notice("Database migrated", metadata: ["database": "\(database.path)", "migration": "\(migration)"])
        }
        self.database = database
        self.store = TicketStore(database: database)
        self.agiServer = AGIServer(configuration: configuration.agi, routes: Self.routes(), logger: logger)
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
                services: [.init(service: AGIService(server: agiServer))],
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
