import AGIServer
import Foundation
import Hummingbird
import Logging
import NIOCore
import Store
import HelplineDomain
import TimeSupport

/// The HTML pages: sign-in and sign-out, the monitoring dashboard, the department desk.
///
/// The pages use the same tokens and roles as the API. A browser signs in once by pasting its
/// token (a failure counts against the same failed-authentication limit as a bad bearer
/// token) and gets a session cookie (HttpOnly, SameSite=Strict; Secure behind the TLS proxy).
/// Every form carries the session's CSRF token, and a form sent from another origin is
/// refused. The pages work without JavaScript: the dashboard reloads itself with
/// `<meta http-equiv="refresh">`.
///
/// | route | who |
/// |---|---|
/// | `GET /signin`, `POST /signin`, `POST /signout` | anyone |
/// | `GET /` | signed in: the dashboard or the desk, by role |
/// | `GET /dashboard` | administrator, monitor |
/// | `GET /desk`, `GET /desk/tickets/{number}`, `GET /desk/tickets/{number}/recording` | administrator, monitor, officer (own department) |
/// | `POST /desk/tickets/{number}/resolve` | administrator, officer (own department and level) |
struct PageRoutes: Sendable {
    let configuration: HTTPAPIServer.Configuration
    let dependencies: HTTPAPIDependencies
    let tickets: TicketRoutes
    let tokens: TokenTable
    let limiter: FailedAuthenticationLimiter
    let sessions: PageSessions

    /// How often the dashboard reloads itself, in seconds.
    static let refreshSeconds = 5
    /// Tickets on one page of the desk.
    static let pageSize = 50

    init(configuration: HTTPAPIServer.Configuration, dependencies: HTTPAPIDependencies, tokens: TokenTable, limiter: FailedAuthenticationLimiter) {
        self.configuration = configuration
        self.dependencies = dependencies
        self.tickets = TicketRoutes(dependencies: dependencies, maxBodySize: configuration.maxBodySize)
        self.tokens = tokens
        self.limiter = limiter
        self.sessions = PageSessions(lifetime: configuration.sessionLifetime.seconds)
    }

    func add(to router: Router<APIRequestContext>) {
        let pages = router.group().add(middleware: PageMiddleware(sessions: sessions, now: dependencies.now))
        pages.get("/pages.css") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=300"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: PageLayout.stylesheet)))
        }
        pages.get("/signin") { request, context in
            signInPage(request, context, next: request.uri.queryParameters["next"].map(String.init), problem: nil, status: .ok)
        }
        pages.post("/signin") { request, context in try await signIn(request, context) }
        pages.post("/signout") { request, context in try await signOut(request, context) }

        let signedIn = pages.group().add(middleware: SignedInMiddleware())
        signedIn.get("/") { _, context in
            Self.redirect(Self.home(try context.caller().role))
        }
        let dashboard = DashboardPage(dependencies: dependencies)
        signedIn.get("/dashboard") { request, context in try await dashboard.render(request, context) }
        let desk = DeskPages(routes: self)
        signedIn.get("/desk") { request, context in try await desk.list(request, context) }
        signedIn.get("/desk/tickets/:number") { request, context in try await desk.ticket(request, context) }
        signedIn.post("/desk/tickets/:number/resolve") { request, context in try await desk.resolve(request, context) }
        signedIn.get("/desk/tickets/:number/recording") { request, context in try await desk.recording(request, context) }
    }

    // MARK: - Signing in and out

    /// The sign-in form; `next` is where a successful sign-in leads (a path of this site).
    func signInPage(_ request: Request, _ context: APIRequestContext, next: String?, problem: String?, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        let t = PageStrings(language: context.pageLanguage)
        let next = next.flatMap(Self.localPath) ?? ""
        let hours = Int((sessions.lifetime / 3600).rounded())
        let alert: HTML = problem.map { "<p class=\"error\" role=\"alert\">\($0)</p>" } ?? .empty
        let main: HTML = """
            \(alert)
            <form class="stacked" method="post" action="/signin">
            <input type="hidden" name="next" value="\(next)">
            <label for="token">\(t(.tokenLabel))</label>
            <input type="password" id="token" name="token" autocomplete="off" autocapitalize="off" spellcheck="false" required>
            <p class="muted">\(t(.signInHelp, String(hours)))</p>
            <button type="submit">\(t(.signIn))</button>
            </form>
            """
        var response = PageLayout.page(title: t(.signIn), section: .signIn, context: context, request: request, main: main).response(status: status)
        for field in headers { response.headers.append(field) }
        return response
    }

    func signIn(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let t = PageStrings(language: context.pageLanguage)
        try Self.requireSameOrigin(request, t)
        let client = AuthenticationMiddleware.clientAddress(request, peer: context.remoteAddress, trustedProxies: configuration.trustedProxies)
        let now = dependencies.now()
        if let seconds = limiter.retryAfter(client, now: now) {
            return signInPage(request, context, next: nil, problem: t(.tooManyAttempts, String(seconds)), status: .tooManyRequests, headers: [.retryAfter: "\(seconds)"])
        }
        let form = try await Self.form(request, maxBodySize: configuration.maxBodySize)
        let next = form["next"]
        let secret = (form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty else {
            // No credentials at all is not a guess: not counted, as with the API.
            return signInPage(request, context, next: next, problem: t(.signInFailed), status: .unauthorized)
        }
        guard let token = tokens.match(secret) else {
            limiter.recordFailure(client, now: now)
            context.logger.notice("Sign-in failed", metadata: ["client": "\(client)"])
            return signInPage(request, context, next: next, problem: t(.signInFailed), status: .unauthorized)
        }
        guard token.role.kind != .intake else {
            return signInPage(request, context, next: next, problem: t(.signInNoPages), status: .forbidden)
        }
        if let old = context.pageSession { sessions.remove(old.id) }
        let session = sessions.create(Principal(name: token.name, role: token.role), now: now)
        context.logger.notice("Signed in to the pages", metadata: ["token": "\(token.name)", "client": "\(client)"])
        var response = Self.redirect(form["next"].flatMap(Self.localPath) ?? Self.home(token.role))
        response.setCookie(sessionCookie(session.id, request, context, maxAge: Int(sessions.lifetime)))
        return response
    }

    func signOut(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        if let session = context.pageSession {
            let form = try await Self.form(request, maxBodySize: configuration.maxBodySize)
            try Self.checkForm(form, request, context)
            sessions.remove(session.id)
            context.logger.notice("Signed out of the pages", metadata: ["token": "\(session.principal.name)"])
        }
        var response = Self.redirect("/signin")
        response.setCookie(sessionCookie("", request, context, maxAge: 0))
        return response
    }

    /// The session cookie: HttpOnly, SameSite=Strict, for the whole site; Secure when the
    /// request came through the TLS proxy (`X-Forwarded-Proto: https` from a trusted peer).
    func sessionCookie(_ value: String, _ request: Request, _ context: APIRequestContext, maxAge: Int) -> Cookie {
        let trusted = context.remoteAddress.map { address in configuration.trustedProxies.contains { $0.matches(address) } } ?? true
        let secure = trusted && request.headers.first(where: { $0.name.canonicalName == "x-forwarded-proto" })?.value.lowercased() == "https"
        return Cookie(name: PageSessions.cookieName, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    // MARK: - Helpers

    /// Where a role lands after signing in.
    static func home(_ role: APIRole) -> String {
        switch role.kind {
        case .administrator, .monitor: "/dashboard"
        case .officer, .intake: "/desk"
        }
    }

    /// A 303 to `location` (a path of this site).
    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// `path` when it is a path of this site (`/desk?x=1`), nil for anything that could lead
    /// elsewhere (`//evil.example`, `https://…`, a backslash, a control character).
    static func localPath(_ path: String) -> String? {
        guard path.hasPrefix("/"), !path.hasPrefix("//"), path.count <= 2000,
              !path.contains("\\"), !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f })
        else { return nil }
        return path
    }

    /// Refuses a form sent from another site: `Sec-Fetch-Site` other than same-origin, or an
    /// `Origin` whose host and port are not the request's `Host`. (A browser sends at least
    /// one of them with every form; tools that send neither are not browsers.)
    static func requireSameOrigin(_ request: Request, _ t: PageStrings) throws {
        let refused = PageError(status: .forbidden, title: .forbiddenTitle, message: t(.forbiddenCSRF))
        if let site = request.headers.first(where: { $0.name.canonicalName == "sec-fetch-site" })?.value,
           site != "same-origin", site != "none" {
            throw refused
        }
        if let origin = request.headers.first(where: { $0.name.canonicalName == "origin" })?.value {
            let host = request.head.authority ?? request.headers[HeaderName("Host")!] ?? ""
            guard let separator = origin.range(of: "://"), origin[separator.upperBound...].lowercased() == host.lowercased() else {
                throw refused
            }
        }
    }

    /// Refuses a form of a signed-in page whose CSRF token is not the session's, or that
    /// came from another origin.
    static func checkForm(_ form: [String: String], _ request: Request, _ context: APIRequestContext) throws {
        let t = PageStrings(language: context.pageLanguage)
        guard let session = context.pageSession else {
            throw PageError(status: .unauthorized, title: .unauthorizedTitle, message: t(.sessionExpired))
        }
        try requireSameOrigin(request, t)
        guard let token = form["csrf"], PageSessions.constantTimeEqual(token, session.csrfToken) else {
            context.logger.notice("Form refused: its CSRF token is not the session's", metadata: ["http.path": "\(request.uri.path)"])
            throw PageError(status: .forbidden, title: .forbiddenTitle, message: t(.forbiddenCSRF))
        }
    }

    /// A form body (`application/x-www-form-urlencoded`, at most `maxBodySize` bytes) as its
    /// fields; a field given twice keeps its first value.
    static func form(_ request: Request, maxBodySize: Int) async throws -> [String: String] {
        let buffer = try await APIBody.collect(
            request, maxBodySize: maxBodySize, mediaType: "application/x-www-form-urlencoded", noun: "the form",
            requirement: "sent as application/x-www-form-urlencoded")
        return parseForm(String(buffer: buffer))
    }

    /// `a=1&b=x+y%21` as `["a": "1", "b": "x y!"]`.
    static func parseForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            let name = decode(parts[0])
            guard !name.isEmpty, fields[name] == nil else { continue }
            fields[name] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
