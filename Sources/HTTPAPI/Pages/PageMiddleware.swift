import AGIServer
import Foundation
import Hummingbird
import Logging
import NIOCore

/// An error a page answers with: an HTTP status, a title and a message already in the page's
/// language.
struct PageError: Error, Sendable {
    var status: HTTPResponse.Status
    var title: PageText
    var message: String
    var headers: HTTPFields = [:]
}

/// The outer middleware of every page: picks the page's language, finds the browser's
/// session, and answers every error as an HTML page (never the API's JSON).
///
/// A `?lang=` in the address is remembered in a cookie, so the next pages keep the language.
struct PageMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    let sessions: PageSessions
    let now: @Sendable () -> Date

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.pageLanguage = PageLanguage.of(request)
        if let id = request.cookies[PageSessions.cookieName]?.value, let session = sessions.session(id, now: now()) {
            context.pageSession = session
            context.principal = session.principal
            context.logger[metadataKey: "token"] = "\(session.principal.name)"
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = Self.errorPage(error, request: request, context: context)
        }
        if let query = request.uri.queryParameters["lang"], let language = PageLanguage(rawValue: String(query)) {
            response.setCookie(Cookie(name: PageLanguage.cookieName, value: language.rawValue, maxAge: 365 * 86_400, path: "/", httpOnly: true, sameSite: .lax))
        }
        return response
    }

    /// The HTML page for an error of a page route.
    static func errorPage(_ error: any Error, request: Request, context: APIRequestContext) -> Response {
        let t = PageStrings(language: context.pageLanguage)
        let page: PageError
        switch error {
        case let error as PageError:
            page = error
        case let error as APIError:
            page = PageError(status: error.code.status, title: title(error.code.status), message: error.message, headers: error.headers)
        case let error as any HTTPResponseError:
            let message = error.status == .notFound ? "\(request.method) \(request.uri.path)" : error.status.reasonPhrase
            page = PageError(status: error.status, title: title(error.status), message: message)
        default:
            context.logger.error("Page failed", metadata: ["error": "\(error)"])
            page = PageError(
                status: .internalServerError, title: .serverErrorTitle,
                message: "The request failed inside the daemon; its log has the details (request id \(context.id)).")
        }
        return render(page, request: request, context: context, t: t)
    }

    static func render(_ page: PageError, request: Request, context: APIRequestContext, t: PageStrings) -> Response {
        var links: [HTML] = []
        switch context.pageSession?.principal.role.kind {
        case .administrator?, .monitor?:
            links = ["<a href=\"/dashboard\">\(t(.backToDashboard))</a>", "<a href=\"/desk\">\(t(.backToDesk))</a>"]
        case .officer?:
            links = ["<a href=\"/desk\">\(t(.backToDesk))</a>"]
        case .intake?, nil:
            links = ["<a href=\"/signin\">\(t(.signInAgain))</a>"]
        }
        let main: HTML = """
            <p class="error" role="alert">\(page.message)</p>
            <p class="pager">\(links)</p>
            """
        var response = PageLayout.page(title: t(page.title), section: .error, context: context, request: request, main: main).response(status: page.status)
        for field in page.headers where field.name != .wwwAuthenticate {
            response.headers.append(field)
        }
        return response
    }

    /// The title of an error page with this status.
    static func title(_ status: HTTPResponse.Status) -> PageText {
        switch status {
        case .badRequest, .contentTooLarge, .unsupportedMediaType, .notAcceptable, .unprocessableContent: .badRequest
        case .unauthorized: .unauthorizedTitle
        case .forbidden: .forbiddenTitle
        case .notFound: .notFoundTitle
        case .conflict: .conflictTitle
        case .tooManyRequests: .tooManyTitle
        case .internalServerError, .serviceUnavailable: .serverErrorTitle
        default: .errorTitle
        }
    }
}

/// Guards the pages that need a signed-in browser: without a session a page is answered with
/// a redirect to the sign-in page (which comes back here after), any other request with 401.
struct SignedInMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.pageSession == nil else { return try await next(request, context) }
        let t = PageStrings(language: context.pageLanguage)
        guard request.method == .get || request.method == .head else {
            throw PageError(status: .unauthorized, title: .unauthorizedTitle, message: t(.sessionExpired))
        }
        var target = request.uri.path
        if let query = request.uri.query, !query.isEmpty { target += "?" + query }
        return PageRoutes.redirect(target == "/" ? "/signin" : "/signin?next=\(HTML.queryValue(target))")
    }
}
