import AGIServer
import Crypto
public import Foundation
import Hummingbird
import Logging
import NIOCore
public import HelplineDomain
import Synchronization

/// What a token may do.
public enum APIRole: Sendable, Hashable, CustomStringConvertible {
    /// Everything: every department's tickets, reports, metrics, reloads, web intake.
    case administrator
    /// Read everything (tickets, live queues, reports, metrics); change nothing.
    case monitor
    /// A department officer at a level: reads the department's tickets and reports, resolves and
    /// reassigns its tickets at that level, adds notes to any of its tickets. Nothing else.
    case officer(department: String, level: TicketLevel)
    /// A website or chat front end: registers complaints (web intake) and nothing else.
    case intake

    /// `administrator`, `monitor`, `officer (water, L1)`, `intake`.
    public var description: String {
        switch self {
        case .administrator: "administrator"
        case .monitor: "monitor"
        case .officer(let department, let level): "officer (\(department), \(level.rawValue))"
        case .intake: "intake"
        }
    }
}

/// A bearer token from the configuration: its name, the SHA-256 of its secret and its role.
///
/// The daemon never stores the token itself: a request's token is hashed and compared with
/// every configured hash in constant time. The name is what the history (`ticket_events.actor`)
/// and the logs record.
public struct APIToken: Sendable, Hashable {
    /// The token's name (`desk-water-01`): the actor of every write made with it.
    public var name: String
    /// SHA-256 of the token, 32 bytes.
    public var sha256: [UInt8]
    /// What it may do.
    public var role: APIRole

    /// A token from its name, its hash as 64 hexadecimal digits, and its role; nil when the
    /// hash is not 64 hexadecimal digits.
    public init?(name: String, sha256 hex: String, role: APIRole) {
        guard let bytes = Self.bytes(hex: hex) else { return nil }
        self.name = name
        self.sha256 = bytes
        self.role = role
    }

    /// A token with the hash of `secret` (tests and tools).
    public init(name: String, secret: String, role: APIRole) {
        self.name = name
        self.sha256 = Array(SHA256.hash(data: Data(secret.utf8)))
        self.role = role
    }

    /// The SHA-256 of a token as 64 lowercase hexadecimal digits: what `http.tokens[].sha256`
    /// holds (`helpline tokens hash` prints it).
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
        }.joined()
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for index in stride(from: 0, to: 64, by: 2) {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Who made a request: the matching token's name and role.
public struct Principal: Sendable, Hashable {
    /// The token's name.
    public var name: String
    /// Its role.
    public var role: APIRole
}

extension Principal {
    /// The department a request of this principal covers: for an officer its own department
    /// (403 when `requested` names another), for every other role `requested` as it is.
    ///
    /// - Parameters:
    ///   - requested: The department the request asks for; nil for every department.
    ///   - action: What the request does, for the refusal: `list the tickets` gives "the token
    ///     'desk-water-01' may list the tickets of department 'water' only".
    /// - Returns: The department to read; nil for every department.
    func departmentScope(requested: String?, to action: String) throws -> String? {
        guard case .officer(let own, _) = role else { return requested }
        if let requested, requested != own {
            throw APIError(.forbidden, "the token '\(name)' may \(action) of department '\(own)' only")
        }
        return own
    }
}

/// The configured tokens, matched in constant time.
struct TokenTable: Sendable {
    let tokens: [APIToken]

    /// The token whose hash is the SHA-256 of `secret`, if any. Every configured hash is compared
    /// in full, whatever matches, so the time taken says nothing about which bytes matched.
    func match(_ secret: String) -> APIToken? {
        let digest = Array(SHA256.hash(data: Data(secret.utf8)))
        var found: APIToken?
        for token in tokens {
            var difference: UInt8 = 0
            for index in 0..<32 { difference |= token.sha256[index] ^ digest[index] }
            if difference == 0 { found = token }
        }
        return found
    }
}

/// Counts failed authentications per client address over a sliding minute; a client over
/// the limit is refused (429) until its oldest failure is a minute old.
public final class FailedAuthenticationLimiter: Sendable {
    /// Failures allowed per client in any minute.
    public let limit: Int
    private let window: TimeInterval = 60
    private let failures = Mutex<[String: [Date]]>([:])

    /// A limiter allowing `limit` failures per client per minute.
    public init(limit: Int) {
        self.limit = limit
    }

    /// Nil when `client` may try; otherwise the seconds until it may try again.
    public func retryAfter(_ client: String, now: Date) -> Int? {
        failures.withLock { table in
            guard let times = table[client] else { return nil }
            let recent = times.filter { now.timeIntervalSince($0) < window }
            table[client] = recent.isEmpty ? nil : recent
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
        }
    }

    /// Records a failure of `client`.
    public func recordFailure(_ client: String, now: Date) {
        failures.withLock { table in
            // A flood of distinct addresses cannot grow the table without end: old entries go first.
            if table.count > 10_000 {
                table = table.filter { _, times in times.last.map { now.timeIntervalSince($0) < window } ?? false }
            }
            table[client, default: []].append(now)
        }
    }
}

/// Authenticates every request of the routes it guards: `Authorization: Bearer TOKEN` must
/// match a configured token, else 401; a client with too many recent failures gets 429
/// before its token is even looked at.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    let tokens: TokenTable
    let limiter: FailedAuthenticationLimiter
    let trustedProxies: [AGIPeerRule]
    let now: @Sendable () -> Date

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let client = Self.clientAddress(request, peer: context.remoteAddress, trustedProxies: trustedProxies)
        let now = now()
        if let seconds = limiter.retryAfter(client, now: now) {
            throw APIError(.tooManyFailedAuthentications, "too many failed authentications from this address; try again in \(seconds) s",
                           headers: [.retryAfter: "\(seconds)"])
        }
        guard let header = request.headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            // No credentials at all is not a guess: not counted.
            throw APIError(.unauthorized, "this endpoint needs a bearer token (Authorization: Bearer TOKEN)", headers: [.wwwAuthenticate: "Bearer"])
        }
        guard let token = tokens.match(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)) else {
            limiter.recordFailure(client, now: now)
            context.logger.notice("Authentication failed", metadata: ["client": "\(client)"])
            throw APIError(.unauthorized, "the bearer token is not valid", headers: [.wwwAuthenticate: #"Bearer error="invalid_token""#])
        }
        var context = context
        context.principal = Principal(name: token.name, role: token.role)
        context.logger[metadataKey: "token"] = "\(token.name)"
        return try await next(request, context)
    }

    /// The client's address: the peer's, or the `X-Real-IP` a trusted reverse proxy (nginx on
    /// the same machine, by default) set. A request with no peer address (the in-memory test
    /// transport) is treated like one from a trusted proxy.
    static func clientAddress(_ request: Request, peer: SocketAddress?, trustedProxies: [AGIPeerRule]) -> String {
        let trusted = peer.map { address in trustedProxies.contains { $0.matches(address) } } ?? true
        if trusted, let forwarded = request.headers.first(where: { $0.name.canonicalName == "x-real-ip" })?.value, !forwarded.isEmpty {
            return forwarded
        }
        return peer?.ipAddress ?? "unknown"
    }
}
