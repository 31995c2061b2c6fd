public import AGIServer
public import AMIClient
public import Foundation
import Hummingbird
public import Logging
import NIOCore
public import Prometheus
public import Routing
public import ServiceLifecycle
public import Store

/// The daemon's HTTP side: health and readiness, Prometheus metrics, the JSON API under
/// `/api/v1` (live queues, tickets, web intake, daily reports, reloads) with bearer tokens, and
/// the HTML pages (the monitoring dashboard and the department desk) with sign-in sessions.
///
/// It runs as one more lifecycle service of the daemon. Unlike the FastAGI server, a failure to
/// listen does not stop the daemon: calls go on being served, and the failure is logged as an
/// error (every call is handled; the API is for people who can wait).
///
/// ```swift
/// let api = HTTPAPIServer(configuration: configuration.http, dependencies: dependencies, logger: logger)
/// // in the daemon's ServiceGroup: .init(service: api)
/// ```
public struct HTTPAPIServer: Service {
    /// Where to listen, the tokens and the limits.
    public struct Configuration: Sendable {
        /// The address to bind. Defaults to 127.0.0.1: TLS and outside access go through a
        /// reverse proxy (deploy/nginx-helpline.conf).
        public var host = "127.0.0.1"
        /// The port. Defaults to 8080; 0 lets the kernel pick one (tests).
        public var port = 8080
        /// The largest request body accepted, in bytes. Defaults to 64 KiB (a complaint's text
        /// is a few KiB).
        public var maxBodySize = 65_536
        /// The bearer tokens. Defaults to none: only `/healthz`, `/readyz` and the OpenAPI
        /// document answer without one.
        public var tokens: [APIToken] = []
        /// Failed authentications allowed per client address per minute before it is refused
        /// with 429. Defaults to 10.
        public var failedAuthenticationsPerMinute = 10
        /// Peers whose `X-Real-IP` header names the client (the reverse proxy). Defaults to
        /// loopback.
        public var trustedProxies: [AGIPeerRule] = AGIPeerRule.loopback
        /// How long a browser stays signed in to the pages after pasting its token. Defaults
        /// to eight hours (a working day); a restart of the daemon also signs everyone out.
        public var sessionLifetime: Duration = .seconds(8 * 3600)
        /// The folder holding the recordings of complaints, as this daemon sees it. The desk
        /// plays a ticket's recording only when its file is inside this folder (after symbolic
        /// links are followed); other paths are never opened. Defaults to none: no recording
        /// is played.
        public var recordingsFolder: String?
        /// Asterisk's sounds folder: a recording path that is not absolute (as the menus'
        /// `record` writes them, `helpline/recordings/…`) is under it. Defaults to
        /// `/var/lib/asterisk/sounds`; the daemon uses `menus.sounds` when that is set.
        public var soundsFolder = "/var/lib/asterisk/sounds"

        /// All defaults.
        public init() {}
    }

    let configuration: Configuration
    let dependencies: HTTPAPIDependencies
    let logger: Logger

    /// A server for `configuration` over the daemon's parts.
    public init(configuration: Configuration, dependencies: HTTPAPIDependencies, logger: Logger) {
        self.configuration = configuration
        self.dependencies = dependencies
        self.logger = logger
    }

    /// Serves until graceful shutdown. When the address cannot be bound, logs an error and
    /// waits for shutdown without an HTTP side.
    public func run() async throws {
        let router = APIRouter.build(configuration: configuration, dependencies: dependencies)
        let logger = self.logger
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "helpline"),
            onServerRunning: { channel in
                let address = channel.localAddress.map { "\($0.ipAddress.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "?"):\($0.port ?? 0)" } ?? "?"
                logger.info("HTTP API listening", metadata: ["http.listen": "\(address)"])
            },
            logger: logger)
        do {
            try await app.run()
        } catch {
            logger.error(
                "The HTTP API stopped; calls are still served, but the API, metrics and health checks are not",
                metadata: ["http.listen": "\(configuration.host):\(configuration.port)", "error": "\(error)"])
            try? await gracefulShutdown()
        }
    }
}

/// What the API reads and drives: the daemon's store, live state, call flows and metrics.
public struct HTTPAPIDependencies: Sendable {
    /// Tickets, their history and the figures of reports.
    public var store: any HelplineStore
    /// The live queue and seat state of every AMI endpoint.
    public var board: LiveStateBoard
    /// The names of the configured AMI endpoints (each must be live for readiness).
    public var amiEndpoints: [String]
    /// The call flows and the routing directory.
    public var callFlows: any CallFlowsControl
    /// The live figures routing sees for a PBX (web intake is routed like a call).
    public var liveLoad: @Sendable (_ pbx: String) -> LiveLoad
    /// The PBX a web complaint is routed as coming from.
    public var defaultPBX: String
    /// The registry `/metrics` exposes; nil: `/metrics` answers 404.
    public var metrics: PrometheusCollectorRegistry?
    /// The clock.
    public var now: @Sendable () -> Date
    /// Seat control through the AMI endpoints; nil: none configured (seat actions answer 503).
    public var seats: SeatControl?
    /// What a change of a ticket queues in the outbox, in the change's own transaction: the
    /// configured SMS and webhooks of a resolution (`notifications` in the configuration), the
    /// same as `helpline tickets resolve` queues.
    public var notifications: NotificationPolicy

    /// The parts the API works over.
    public init(
        store: any HelplineStore, board: LiveStateBoard, amiEndpoints: [String], callFlows: any CallFlowsControl,
        liveLoad: @escaping @Sendable (_ pbx: String) -> LiveLoad, defaultPBX: String, metrics: PrometheusCollectorRegistry?,
        now: @escaping @Sendable () -> Date = { Date() }, seats: SeatControl? = nil, notifications: NotificationPolicy = .none
    ) {
        self.seats = seats
        self.notifications = notifications
        self.store = store
        self.board = board
        self.amiEndpoints = amiEndpoints
        self.callFlows = callFlows
        self.liveLoad = liveLoad
        self.defaultPBX = defaultPBX
        self.metrics = metrics
        self.now = now
    }
}

/// The call flows and routing directory as the API sees them (the daemon's `CallFlows`).
public protocol CallFlowsControl: Sendable {
    /// The names of the menus served now.
    var menuNames: [String] { get }
    /// The routing directory now; nil when none is loaded.
    var directory: Directory? { get }
    /// Reloads the menus and the directory together (what `helpline menus reload` does).
    func reloadMenusAndDirectory() -> ReloadOutcome
    /// Reloads the routing directory alone.
    func reloadDirectoryOnly() -> ReloadOutcome
    /// Why the menu `name` cannot run a campaign (unknown, or without `inputs: [contact]` and
    /// `answers`); nil when it can.
    func campaignMenuProblem(_ name: String) -> String?
}

extension CallFlowsControl {
    /// Only that the menu is served (a campaign menu's shape is the daemon's to check).
    public func campaignMenuProblem(_ name: String) -> String? {
        menuNames.contains(name) ? nil : "the menu '\(name)' is not served (menus: \(menuNames.joined(separator: ", ")))"
    }
}

/// What a reload did.
public struct ReloadOutcome: Sendable, Hashable, Codable {
    /// Whether the new files replaced the old ones (false: problems; the old ones stay).
    public var reloaded: Bool
    /// The menus served now.
    public var menus: [String]
    /// Each problem, `FILE:LINE:COLUMN: message`.
    public var problems: [String]
    /// Why a part is not available, when it is not.
    public var notes: [String]

    /// An outcome.
    public init(reloaded: Bool, menus: [String], problems: [String], notes: [String]) {
        self.reloaded = reloaded
        self.menus = menus
        self.problems = problems
        self.notes = notes
    }
}
