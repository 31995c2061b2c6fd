public import AGIServer
public import AMIClient
public import Foundation
public import HTTPAPI
import IVR
public import Logging
public import Prometheus
public import Routing
public import ServiceLifecycle
public import Store
import UnixSignals
import YAMLSupport
import HelplineDomain

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
    /// Tickets, calls and routing decisions.
    public let store: TicketStore
    /// The call flows and the routing directory, reloadable.
    public let flows: CallFlows
    /// The FastAGI scripts served: `/health` and every menu by name.
    public let routes: AGIRoutes
    /// Delivers the outbox; nil when `notifications` configures neither an SMS gateway nor a
    /// webhook (pending messages then wait in the database).
    public let outboxSender: OutboxSender?
    /// The HTTP API, health checks and metrics.
    public let httpServer: HTTPAPIServer
    /// Places feedback calls and callbacks; nil without an `outbound` section (or without the
    /// AMI endpoint it names).
    public let outboundScheduler: OutboundScheduler?
    let logger: Logger

    /// Opens and migrates the database and builds the services; throws a ``Store/StoreError``
    /// if the database cannot be opened or was migrated by a newer Helpline, and
    /// ``YAMLSupport/YAMLProblems`` when the call flows or the routing directory have problems.
    ///
    /// `metrics` is the registry the process's swift-metrics backend writes to, which
    /// `/metrics` exposes (`helpline serve` bootstraps one); nil: `/metrics` is not served.
    public init(configuration: HelplineConfiguration, metrics: PrometheusCollectorRegistry? = nil, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let database = try HelplineDatabase(path: configuration.databasePath, migrate: false)
        let pending = try database.migrationStatus().pending
        try database.migrate()
        for migration in pending {
            logger.notice("Database migrated", metadata: ["database": "\(database.path)", "migration": "\(migration)"])
        }
        self.database = database
        let store = TicketStore(database: database)
        self.store = store
        let board = LiveStateBoard()
        self.board = board
        self.amiClients = configuration.amiEndpoints.map { AMIClient(configuration: $0, board: board, logger: logger) }
        let flows = CallFlows(menusFolder: configuration.menusFolder, soundsFolder: configuration.soundsFolder, directoryPath: configuration.directoryPath)
        let report = flows.reload()
        // The same shape as every problem in a file: the YAML reader's.
        guard report.problems.isEmpty else { throw YAMLProblems(problems: report.problems) }
        for note in report.notes { logger.warning("\(note)") }
        logger.info("Call flows loaded", metadata: ["menus": "\(report.menus.joined(separator: ", "))", "directory": "\(flows.directory == nil ? "none" : configuration.directoryPath)"])
        self.flows = flows
        var routes = Self.routes()
        let defaultPBX = configuration.defaultPBX ?? configuration.amiEndpoints.first?.name ?? "pbx1"
        let seats = amiClients.isEmpty ? nil : SeatControl(clients: amiClients, board: board, defaultPBX: defaultPBX)
        routes.dynamic = { path in
            flows.handler(
                for: path, store: store, liveLoad: { pbx in Self.liveLoad(board.snapshot(), pbx: pbx, now: Date()) }, defaultPBX: defaultPBX,
                retry: configuration.outbound?.retry ?? .standard, seats: seats, logger: logger)
        }
        self.routes = routes
        self.agiServer = AGIServer(configuration: configuration.agi, routes: routes, logger: logger)
        self.outboxSender = configuration.notifications.isEnabled ? OutboxSender(store: store, configuration: configuration.notifications, logger: logger) : nil
        let dependencies = HTTPAPIDependencies(
            store: store, board: board, amiEndpoints: configuration.amiEndpoints.map(\.name), callFlows: flows,
            liveLoad: { pbx in Self.liveLoad(board.snapshot(), pbx: pbx, now: Date()) }, defaultPBX: defaultPBX, metrics: metrics,
            seats: seats, notifications: configuration.notifications.policy)
        var http = configuration.http
        // Relative recording paths are under Asterisk's sounds folder, the one the menus use.
        if let sounds = configuration.soundsFolder { http.soundsFolder = sounds }
        self.httpServer = HTTPAPIServer(configuration: http, dependencies: dependencies, logger: logger)
        if let outbound = configuration.outbound {
            let pbx = outbound.pbx ?? defaultPBX
            // The configuration reader made sure the endpoint exists.
            if let client = amiClients.first(where: { $0.configuration.name == pbx }) {
                self.outboundScheduler = OutboundScheduler(
                store: store, client: client, board: board, configuration: outbound,
                queueOf: { call in Self.callbackQueue(call, directory: flows.directory, pbx: pbx) },
                campaignMenuProblem: { menu in flows.campaignMenuProblem(menu) },
                callersOnTheLine: { [board] in
                    // In the IVR, or waiting in a queue of any PBX.
                    let waiting = board.snapshot().pbxs.values.flatMap { $0.queues.values.flatMap { $0.callers.map(\.callerIDNumber) } }
                    return flows.callersInSession.union(waiting.filter { !$0.isEmpty })
                }, logger: logger)
            } else {
                self.outboundScheduler = nil
            }
        } else {
            self.outboundScheduler = nil
        }
    }

    /// Every call must be handled: a caller who gave up waiting in a queue
    /// (`QueueCallerAbandon`) is owed a callback to that queue (merged with any other callback
    /// owed to the same number). Other events are ignored. ``PBXEvents`` calls it once the
    /// caller's channel has hung up (app_queue sends the same event for a caller it lets go).
    public static func callbackForAbandonment(_ event: AMIMessage, pbx: String, directory: Directory?, store: any CallbackStore & QueueCallStore, logger: Logger) async {
        guard event.nameIs("QueueCallerAbandon"), let queue = event["Queue"], !queue.isEmpty,
              let caller = event["CallerIDNum"], caller.contains(where: \.isNumber), !caller.contains("unknown")
        else { return }
        let department = directory?.department(owningQueue: queue, on: pbx)
        let held = event.int("HoldTime").map { " after \($0) s" } ?? ""
        do {
            try await store.addCallback(
                callerNumber: caller, callUniqueid: event["Uniqueid"], department: department, queue: queue,
                reason: "abandoned queue \(queue)\(held) at position \(event["Position"] ?? "?")", ticket: nil, dueAt: nil, at: Date())
        } catch {
            logger.error("A callback owed to a caller who abandoned a queue could not be stored",
                         metadata: ["queue": "\(queue)", "caller": "\(PhoneNumber.masked(caller))", "error": "\(error)"])
        }
    }

    /// Keeps the history of queue calls the daily report counts: a caller joining a queue,
    /// answered by a seat (with the wait), the talk ended (with its length), or abandoned.
    public static func recordQueueCall(_ event: AMIMessage, pbx: String, directory: Directory?, store: any CallbackStore & QueueCallStore, logger: Logger) async {
        guard let name = event["Event"], let uniqueid = event["Uniqueid"], !uniqueid.isEmpty, let queue = event["Queue"], !queue.isEmpty else { return }
        let recorded: QueueCallEvent
        switch name.lowercased() {
        case "queuecallerjoin":
            let caller = event["CallerIDNum"].flatMap { $0.contains(where: \.isNumber) && !$0.contains("unknown") ? $0 : nil }
            recorded = .joined(uniqueid: uniqueid, queue: queue, department: directory?.department(owningQueue: queue, on: pbx), callerNumber: caller)
        case "agentconnect":
            recorded = .answered(uniqueid: uniqueid, queue: queue, waited: event.int("HoldTime") ?? 0, member: event["MemberName"] ?? event["Interface"])
        case "agentcomplete":
            recorded = .completed(uniqueid: uniqueid, queue: queue, talked: event.int("TalkTime") ?? 0)
        case "queuecallerabandon":
            recorded = .abandoned(uniqueid: uniqueid, queue: queue, waited: event.int("HoldTime") ?? 0)
        default:
            return
        }
        do {
            try await store.recordQueueEvent(recorded, pbx: pbx, at: Date())
        } catch {
            logger.error("A queue call's event could not be stored; the daily report will miss it",
                         metadata: ["event": "\(name)", "queue": "\(queue)", "uniqueid": "\(uniqueid)", "error": "\(error)"])
        }
    }

    /// The queue a callback connects to: its own, else its department's on `pbx`, else the
    /// PBX's general queue.
    static func callbackQueue(_ call: OutboundCall, directory: Directory?, pbx: String) -> String? {
        guard let directory else { return call.queue }
        if let queue = call.queue, directory.queues(on: pbx).contains(queue) { return queue }
        // A queue of another PBX (the caller gave up waiting there), or none: the department's
        // queue on the PBX that dials, found from the call or from the queue it waited in.
        let department = call.department ?? call.queue.flatMap(directory.department(owningQueue:))
        if let department, let queues = directory.departments[department]?.queues[pbx] { return queues.primary }
        return directory.generalQueues[pbx] ?? call.queue
    }

    /// What a ticket change queues in the outbox, from `notifications` (pass it to
    /// ``Store/TicketRepository/apply(_:to:actor:note:dueAt:officer:callUniqueid:notifications:at:)``).
    public var notificationPolicy: NotificationPolicy { configuration.notifications.policy }

    /// The control socket's commands: `queues` answers a ``QueuesReport`` as JSON; `menus reload`
    /// reloads the call flows and the routing directory and answers what happened.
    public static func controlCommands(board: LiveStateBoard, flows: CallFlows) -> [String: ControlServer.Command] {
        [
            "queues": { _ in ControlServer.jsonReply(QueuesReport(snapshot: board.snapshot(), now: Date().timeIntervalSince1970)) },
            // The same outcome the HTTP API's reload answers.
            "menus-reload": { _ in ControlServer.jsonReply(flows.reload().outcome) },
        ]
    }

    /// The live figures routing sees for `pbx` in a snapshot of the AMI live state. A PBX the
    /// daemon has no AMI connection to has no figures, and its state counts as stale (routing
    /// then queues without promising a callback).
    public static func liveLoad(_ snapshot: LiveSnapshot, pbx: String, now: Date) -> LiveLoad {
        guard let state = snapshot.pbxs[pbx] else {
            return LiveLoad(queues: [:], asOf: .distantPast, staleSince: nil)
        }
        var queues: [QueueRef: QueueLoad] = [:]
        let seconds = now.timeIntervalSince1970
        for (name, queue) in state.queues {
            let figures = queue.figures(now: seconds)
            queues[QueueRef(pbx: pbx, queue: name)] = QueueLoad(
                loggedIn: figures.loggedIn, available: figures.available, paused: figures.paused,
                callersWaiting: figures.callersWaiting, longestWaitSeconds: figures.longestWait,
                averageTalkSeconds: Double(queue.talkTime), maximumCallers: queue.maximum)
        }
        return LiveLoad(queues: queues, asOf: now, staleSince: state.staleSince.map { Date(timeIntervalSince1970: $0) })
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
        for note in configuration.outbound?.notes ?? [] { logger.warning("\(note)") }
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
                services: serviceList(),
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }

    /// The services in the order they start; graceful shutdown stops them one at a time in the
    /// reverse order, each after the one before it has ended. So FastAGI stops accepting
    /// first (Asterisk's dialplan falls back) and its sessions drain while everything they use
    /// still runs; then SIGHUP reloads, the outbound scheduler (no new Originate), the outbox,
    /// the HTTP API and the control socket stop; the AMI connections log off last, after the
    /// last call that routes on their live state.
    func serviceList() -> [ServiceGroupConfiguration.ServiceConfiguration] {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = amiClients.flatMap { client -> [ServiceGroupConfiguration.ServiceConfiguration] in
            let store = store, flows = flows, logger = logger, pbx = client.configuration.name
            let scheduler = outboundScheduler.flatMap { $0.pbx == pbx ? $0 : nil }
            let handler = PBXEvents(pbx: pbx, directory: { flows.directory }, store: store, scheduler: scheduler, logger: logger)
            let events = AMIEventHandler(client: client) { event in await handler.handle(event) }
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: events), .init(service: client)]
            if let path = configuration.queueLogs[pbx] {
                services.append(.init(service: QueueLogFollower(pbx: pbx, path: path, store: store, directory: { flows.directory }, logger: logger)))
            }
            return services
        }
        services.append(.init(service: ControlServer(path: configuration.controlSocketPath, commands: Self.controlCommands(board: board, flows: flows), logger: logger)))
        services.append(.init(service: httpServer))
        if let outboxSender { services.append(.init(service: outboxSender)) }
        if let outboundScheduler { services.append(.init(service: outboundScheduler)) }
        services.append(.init(service: ReloadOnSIGHUP(flows: flows, logger: logger)))
        services.append(.init(service: agiServer))
        return services
    }
}

/// What the daemon does with every event of an AMI endpoint's event stream (the live state is
/// kept apart, by the client, from the same events): a lifecycle service that reads the stream
/// until the client's run ends. List it before its client, so that graceful shutdown, which
/// goes in the reverse order, ends it after the client has logged off and nothing is left
/// unread.
public struct AMIEventHandler: Service {
    /// The client whose events it reads.
    public let client: AMIClient
    /// Sees each event.
    public let onEvent: @Sendable (AMIMessage) async -> Void

    /// A handler of `client`'s events.
    public init(client: AMIClient, onEvent: @escaping @Sendable (AMIMessage) async -> Void) {
        self.client = client
        self.onEvent = onEvent
    }

    /// Reads the events until the stream ends (the client's run ended), then, in a service
    /// group, waits for its own turn in the graceful shutdown (a service that ends before it is
    /// asked to counts as failed); or until cancellation.
    public func run() async throws {
        for await event in client.events {
            await onEvent(event)
        }
        try? await gracefulShutdown()
    }
}

/// Reloads the call flows and the routing directory on SIGHUP; a set with problems is
/// logged and refused, and the old one stays.
struct ReloadOnSIGHUP: Service {
    let flows: CallFlows
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            let report = flows.reload()
            if report.problems.isEmpty {
                logger.notice("Call flows reloaded", metadata: ["menus": "\(report.menus.joined(separator: ", "))"])
            } else {
                for problem in report.problems { logger.error("Reload refused; the previous call flows stay", metadata: ["problem": "\(problem)"]) }
            }
        }
    }
}

