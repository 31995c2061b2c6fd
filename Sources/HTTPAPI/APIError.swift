import Foundation
public import Hummingbird
import Logging

/// An error the API answers with: an HTTP status and a JSON body
/// `{"error": {"code": "…", "message": "…"}}` whose code is stable (clients branch on it; the
/// message is for people and may change).
///
/// ```swift
/// throw APIError(.ticketNotFound, "no ticket has the number 1000002")
/// ```
public struct APIError: Error, Sendable, CustomStringConvertible {
    /// A stable error code and the HTTP status it is answered with.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code as it appears in the body (`ticket_not_found`).
        public let name: String
        /// The HTTP status.
        public let status: HTTPResponse.Status

        /// The code's name.
        public var description: String { name }

        private init(_ name: String, _ status: HTTPResponse.Status) {
            self.name = name
            self.status = status
        }

        /// 400: the request is malformed (bad JSON, a missing field, a bad query parameter).
        public static let invalidRequest = Code("invalid_request", .badRequest)
        /// 400: the ticket number's check digit does not match (a digit mistyped).
        public static let ticketNumberMistyped = Code("ticket_number_mistyped", .badRequest)
        /// 400: not a ticket number at all.
        public static let ticketNumberMalformed = Code("ticket_number_malformed", .badRequest)
        /// 400: a category the routing directory does not have.
        public static let unknownCategory = Code("unknown_category", .badRequest)
        /// 400: a district the routing directory does not have.
        public static let unknownDistrict = Code("unknown_district", .badRequest)
        /// 400: an officer the routing directory does not have in the ticket's department.
        public static let unknownOfficer = Code("unknown_officer", .badRequest)
        /// 401: no bearer token, or one that no configured token matches.
        public static let unauthorized = Code("unauthorized", .unauthorized)
        /// 403: the token's role may not do this (or not to this department's tickets).
        public static let forbidden = Code("forbidden", .forbidden)
        /// 404: no such route.
        public static let notFound = Code("not_found", .notFound)
        /// 404: no ticket has this number.
        public static let ticketNotFound = Code("ticket_not_found", .notFound)
        /// 406: the report cannot be given in the format asked for.
        public static let notAcceptable = Code("not_acceptable", .notAcceptable)
        /// 409: the action is not valid in the ticket's current state.
        public static let invalidTransition = Code("invalid_transition", .conflict)
        /// 413: the request body is larger than `http.max_body_size`.
        public static let bodyTooLarge = Code("body_too_large", .contentTooLarge)
        /// 415: a request body that is not JSON.
        public static let unsupportedMediaType = Code("unsupported_media_type", .unsupportedMediaType)
        /// 422: the new menus or directory have problems; the previous ones stay.
        public static let reloadRefused = Code("reload_refused", .unprocessableContent)
        /// 429: too many failed authentications from this client; try after `Retry-After` seconds.
        public static let tooManyFailedAuthentications = Code("too_many_failed_authentications", .tooManyRequests)
        /// 500: something failed inside the daemon (logged with the request id).
        public static let internalError = Code("internal_error", .internalServerError)
        /// 503: the routing directory is not loaded, so complaints cannot be routed.
        public static let noDirectory = Code("no_directory", .serviceUnavailable)
        /// 503: no AMI endpoint is configured or connected, so seats cannot be controlled.
        public static let amiUnavailable = Code("ami_unavailable", .serviceUnavailable)
        /// 502: Asterisk refused a seat action in some queue (each queue's answer in details).
        public static let seatActionFailed = Code("seat_action_failed", .badGateway)
        /// 404: the ticket has no recording, or its file is not on this server (outside
        /// `http.recordings`, or missing).
        public static let recordingNotFound = Code("recording_not_found", .notFound)
        /// 404: no campaign has that name.
        public static let campaignNotFound = Code("campaign_not_found", .notFound)
        /// 409: the campaign cannot start (nobody left to call, or its menu is not a campaign menu).
        public static let campaignNotStartable = Code("campaign_not_startable", .conflict)
        /// Any other HTTP error, named by its status.
        static func other(_ status: HTTPResponse.Status) -> Code { Code("http_\(status.code)", status) }

        /// Every code, for the OpenAPI document's test.
        public static let all: [Code] = [
            .invalidRequest, .ticketNumberMistyped, .ticketNumberMalformed, .unknownCategory, .unknownDistrict, .unknownOfficer,
            .unauthorized, .forbidden, .notFound, .ticketNotFound, .notAcceptable, .invalidTransition, .bodyTooLarge,
            .unsupportedMediaType, .reloadRefused, .tooManyFailedAuthentications, .internalError, .noDirectory,
            .amiUnavailable, .seatActionFailed, .campaignNotFound, .campaignNotStartable, .recordingNotFound,
        ]
    }

    /// The code.
    public var code: Code
    /// What went wrong, for people.
    public var message: String
    /// Further lines (the problems of a refused reload).
    public var details: [String]
    /// Extra response headers (`WWW-Authenticate`, `Retry-After`).
    public var headers: HTTPFields

    /// An error with a code and a message.
    public init(_ code: Code, _ message: String, details: [String] = [], headers: HTTPFields = [:]) {
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    /// `code: message`.
    public var description: String { "\(code.name): \(message)" }

    /// The JSON response.
    func response() -> Response {
        var body: [String: [String: JSONValue]] = ["error": ["code": .string(code.name), "message": .string(message)]]
        if !details.isEmpty { body["error"]?["details"] = .array(details.map(JSONValue.string)) }
        var response = APIJSON.response(body, status: code.status)
        for field in headers { response.headers.append(field) }
        return response
    }
}

/// Turns every error into the JSON error body: ``APIError`` as it is, Hummingbird's errors (an
/// unknown route, a body over the limit) by their status, anything else as `internal_error`,
/// logged with the request id and never shown to the client.
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch let error as any HTTPResponseError {
            switch error.status {
            case .notFound where !request.uri.path.hasPrefix(APIRouter.prefix) && request.headers[.accept]?.contains("text/html") == true:
                // A browser that mistyped a page's address gets a page, not JSON.
                var context = context
                context.pageLanguage = PageLanguage.of(request)
                return PageMiddleware.errorPage(error, request: request, context: context)
            case .notFound: return APIError(.notFound, "no such endpoint: \(request.method) \(request.uri.path)").response()
            case .contentTooLarge: return APIError(.bodyTooLarge, "the request body is too large").response()
            default: return APIError(.other(error.status), error.status.reasonPhrase).response()
            }
        } catch {
            context.logger.error("Request failed", metadata: ["error": "\(error)"])
            return APIError(.internalError, "the request failed inside the daemon; its log has the details (request id \(context.id))").response()
        }
    }
}
