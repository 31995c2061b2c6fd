public import Hummingbird
public import NIOCore

/// The request context of the API's routes: Hummingbird's core storage, the peer address
/// (for the failed-authentication limit) and, once authenticated, who is asking.
public struct APIRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer; nil in the in-memory test transport.
    public let remoteAddress: SocketAddress?
    /// The token's name and role; nil on the routes that need none.
    public var principal: Principal?
    /// The browser session of a signed-in page request (its CSRF token); nil elsewhere.
    var pageSession: PageSessions.Session?
    /// The language of a page request.
    var pageLanguage: PageLanguage = .english

    /// A context for a request arriving on `source`'s channel.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The principal, which every authenticated route has.
    func caller() throws -> Principal {
        guard let principal else { throw APIError(.unauthorized, "this endpoint needs a bearer token") }
        return principal
    }

    /// The principal when its role is one of `roles`, else 403.
    func require(_ roles: RoleKind..., to action: String) throws -> Principal {
        let principal = try caller()
        guard roles.contains(principal.role.kind) else {
            throw APIError(.forbidden, "a token with the role \(principal.role) may not \(action)")
        }
        return principal
    }
}

/// A role without its department and level.
enum RoleKind: Sendable {
    case administrator, monitor, officer, intake
}

extension APIRole {
    var kind: RoleKind {
        switch self {
        case .administrator: .administrator
        case .monitor: .monitor
        case .officer: .officer
        case .intake: .intake
        }
    }
}
