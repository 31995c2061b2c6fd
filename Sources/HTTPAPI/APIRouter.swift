import AMIClient
import Foundation
public import Hummingbird
import Logging
import NIOCore
import TimeSupport

/// Builds the router of the daemon's HTTP side.
///
/// Routes are added area by area (health, metrics, queues, tickets, reports, administration,
/// and the HTML pages of ``PageRoutes``); later parts (seat control) add their own areas the same way: a `static func add…Routes(to:)` over the public router for pages with
/// their own authentication, or over `authenticated` for API routes behind bearer tokens.
public enum APIRouter {
    /// The API's path prefix.
    public static let prefix = "/api/v1"

    /// The router for `configuration` over `dependencies`. Every error answers JSON
    /// (``APIError``); every request is logged at info with its status.
    public static func build(configuration: HTTPAPIServer.Configuration, dependencies: HTTPAPIDependencies) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: APIErrorMiddleware())

        addHealthRoutes(to: router, dependencies: dependencies)
        router.get("\(prefix)/openapi.yaml") { _, _ in
            APIJSON.text(OpenAPIDocument.yaml, contentType: "application/yaml; charset=utf-8")
        }

        // One table and one limiter for the API and the pages' sign-in: a guess counts the same
        // whichever way it comes.
        let tokens = TokenTable(tokens: configuration.tokens)
        let limiter = FailedAuthenticationLimiter(limit: configuration.failedAuthenticationsPerMinute)
        PageRoutes(configuration: configuration, dependencies: dependencies, tokens: tokens, limiter: limiter).add(to: router)

        let authenticated = router.group()
            .add(middleware: AuthenticationMiddleware(tokens: tokens, limiter: limiter, trustedProxies: configuration.trustedProxies, now: dependencies.now))
        if let registry = dependencies.metrics {
            let collector = MetricsCollector(registry: registry, dependencies: dependencies)
            authenticated.get("/metrics") { _, context in
                _ = try context.require(.administrator, .monitor, to: "read the metrics")
                try await collector.refresh()
                return APIJSON.text(registry.emitToString(), contentType: "text/plain; version=0.0.4; charset=utf-8")
            }
        }
        authenticated.get("\(prefix)/queues") { _, context in
            _ = try context.require(.administrator, .monitor, to: "read the live queues")
            let now = dependencies.now().timeIntervalSince1970
            return APIJSON.response(QueuesReport(snapshot: dependencies.board.snapshot(), now: now))
        }
        TicketRoutes(
            dependencies: dependencies, maxBodySize: configuration.maxBodySize, recordingsFolder: configuration.recordingsFolder, soundsFolder: configuration.soundsFolder
        ).add(to: authenticated)
        ReportRoutes(dependencies: dependencies).add(to: authenticated)
        SeatRoutes(dependencies: dependencies, maxBodySize: configuration.maxBodySize).add(to: authenticated)
        CampaignRoutes(dependencies: dependencies, maxBodySize: configuration.maxBodySize).add(to: authenticated)
        addAdministrationRoutes(to: authenticated, dependencies: dependencies)
        return router
    }

    static func addHealthRoutes(to router: Router<APIRequestContext>, dependencies: HTTPAPIDependencies) {
        router.get("/healthz") { _, _ in
            APIJSON.response(["status": "ok"])
        }
        router.get("/readyz") { _, _ in
            let readiness = await Readiness.check(dependencies)
            return APIJSON.response(readiness, status: readiness.ready ? .ok : .serviceUnavailable)
        }
    }

    static func reloaded(_ outcome: ReloadOutcome, _ what: String, _ context: APIRequestContext) throws -> Response {
        guard outcome.reloaded else {
            context.logger.error("Reload refused; the previous \(what) stays", metadata: ["problems": "\(outcome.problems.joined(separator: "; "))"])
            throw APIError(.reloadRefused, "the new \(what) has problems; the previous one stays in force", details: outcome.problems)
        }
        context.logger.notice("Reloaded \(what)", metadata: ["menus": "\(outcome.menus.joined(separator: ", "))"])
        return APIJSON.response(outcome)
    }

    static func addAdministrationRoutes(to group: RouterGroup<APIRequestContext>, dependencies: HTTPAPIDependencies) {
        group.post("\(prefix)/admin/menus/reload") { _, context in
            _ = try context.require(.administrator, to: "reload the menus")
            return try reloaded(dependencies.callFlows.reloadMenusAndDirectory(), "call flows and directory", context)
        }
        group.post("\(prefix)/admin/directory/reload") { _, context in
            _ = try context.require(.administrator, to: "reload the routing directory")
            return try reloaded(dependencies.callFlows.reloadDirectoryOnly(), "routing directory", context)
        }
    }
}

/// What `/readyz` answers: ready only when every check passes, with each check's detail.
struct Readiness: Codable, Sendable {
    struct Check: Codable, Sendable {
        var name: String
        var ok: Bool
        var detail: String
    }

    var ready: Bool
    var checks: [Check]

    static func check(_ dependencies: HTTPAPIDependencies) async -> Readiness {
        var checks: [Check] = []
        do {
            try await dependencies.store.checkWritable()
            checks.append(Check(name: "database", ok: true, detail: "writable"))
        } catch {
            checks.append(Check(name: "database", ok: false, detail: "not writable: \(error)"))
        }
        let snapshot = dependencies.board.snapshot()
        for endpoint in dependencies.amiEndpoints {
            switch snapshot.pbxs[endpoint]?.staleSince {
            case .none where snapshot.pbxs[endpoint] != nil:
                checks.append(Check(name: "ami:\(endpoint)", ok: true, detail: "connected and synced"))
            case .some(let since) where since > 0:
                let time = Date(timeIntervalSince1970: since).formatted(.iso8601)
                checks.append(Check(name: "ami:\(endpoint)", ok: false, detail: "disconnected or resyncing since \(time)"))
            default:
                checks.append(Check(name: "ami:\(endpoint)", ok: false, detail: "not connected yet"))
            }
        }
        let menus = dependencies.callFlows.menuNames
        checks.append(Check(name: "menus", ok: !menus.isEmpty, detail: menus.isEmpty ? "no call flows loaded" : menus.joined(separator: ", ")))
        let directory = dependencies.callFlows.directory
        checks.append(Check(name: "directory", ok: directory != nil, detail: directory == nil ? "no routing directory loaded" : "\(directory?.departments.count ?? 0) departments"))
        return Readiness(ready: checks.allSatisfy(\.ok), checks: checks)
    }
}

/// Logs each request once it is answered: method, path (no query: it may hold a phone number),
/// status and time taken. Never the Authorization header or a body.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        context.logger.info(
            "HTTP request",
            metadata: [
                "http.method": "\(request.method)", "http.path": "\(request.uri.path)", "http.status": "\(response.status.code)",
                "http.duration_ms": "\(elapsed.milliseconds)",
            ])
        return response
    }
}
