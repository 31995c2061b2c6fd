import Foundation
import Synchronization

/// The browser sessions of the pages: who signed in with which token, kept in memory.
///
/// A browser cannot send a bearer header, so the sign-in page takes the token once and answers
/// with a session cookie: a random id (256 bits) naming an entry here. Each session has its
/// own random CSRF token, which every form of the pages carries in a hidden field. Sessions end
/// at sign-out, after ``HTTPAPIServer/Configuration/sessionLifetime``, or when the daemon
/// restarts (then everyone signs in again).
final class PageSessions: Sendable {
    /// A signed-in browser.
    struct Session: Sendable, Hashable {
        /// The cookie's value.
        var id: String
        /// The token's name and role.
        var principal: Principal
        /// The value every form must carry back.
        var csrfToken: String
        /// When it ends.
        var expires: Date
    }

    /// The session cookie's name.
    static let cookieName = "helpline_session"
    /// At most this many sessions are kept; the oldest go first beyond it.
    static let maximumCount = 10_000

    let lifetime: TimeInterval
    private let sessions = Mutex<[String: Session]>([:])

    /// Sessions lasting `lifetime` seconds from sign-in.
    init(lifetime: TimeInterval) {
        self.lifetime = lifetime
    }

    /// A new session for `principal`.
    func create(_ principal: Principal, now: Date) -> Session {
        let session = Session(id: Self.randomToken(), principal: principal, csrfToken: Self.randomToken(), expires: now.addingTimeInterval(lifetime))
        sessions.withLock { table in
            if table.count >= Self.maximumCount {
                table = table.filter { $0.value.expires > now }
                while table.count >= Self.maximumCount, let oldest = table.min(by: { $0.value.expires < $1.value.expires }) {
                    table[oldest.key] = nil
                }
            }
            table[session.id] = session
        }
        return session
    }

    /// The live session with this id, if any (an expired one is forgotten).
    func session(_ id: String, now: Date) -> Session? {
        sessions.withLock { table in
            guard let session = table[id] else { return nil }
            guard session.expires > now else {
                table[id] = nil
                return nil
            }
            return session
        }
    }

    /// Ends a session.
    func remove(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }

    /// How many sessions are kept (tests).
    var count: Int { sessions.withLock { $0.count } }

    /// 32 random bytes from the system's generator, base64url without padding (cookie-safe).
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Whether two secrets are equal, in time that depends on their lengths only.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
