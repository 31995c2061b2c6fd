import AGIServer
import AMIClient
import Foundation
@testable import HTTPAPI
import HelplineDomain
import Hummingbird
import HummingbirdTesting
import NIOCore
import Store
import Testing

@Suite struct HealthTests {
    @Test func healthzAnswersWithoutAToken() async throws {
        try await Fixture().test { client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(response.status == .ok)
            #expect(response.json["status"] as? String == "ok")
        }
    }

    @Test func readyzIsReadyWhenTheDatabaseTheAMILinksAndTheFlowsAre() async throws {
        try await Fixture().test { client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            #expect(response.status == .ok, "\(response.text)")
            #expect(response.json["ready"] as? Bool == true)
            let names = (response.json["checks"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["database", "ami:pbx1", "menus", "directory"])
        }
    }

    @Test func readyzSaysWhatIsNotReady() async throws {
        // pbx2 never connected; pbx1 went stale; no menus, no directory.
        let fixture = try Fixture(endpoints: ["pbx1", "pbx2"], directory: false)
        fixture.board.publish(PBXState(name: "pbx1", staleSince: Fixture.now.timeIntervalSince1970 - 60))
        fixture.flows.state.withLock { $0.menus = [] }
        try await fixture.test { client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            #expect(response.status == .serviceUnavailable)
            #expect(response.json["ready"] as? Bool == false)
            let checks = (response.json["checks"] as? [[String: Any]]) ?? []
            let failing = checks.filter { $0["ok"] as? Bool == false }.compactMap { check in (check["name"] as? String).map { ($0, check["detail"] as? String ?? "") } }
            #expect(failing.map(\.0) == ["ami:pbx1", "ami:pbx2", "menus", "directory"])
            #expect(failing[0].1.contains("disconnected or resyncing since"))
            #expect(failing[1].1 == "not connected yet")
            #expect(checks.first?["ok"] as? Bool == true, "the database is writable")
        }
    }

    @Test func anUnknownPathIsAJSON404() async throws {
        try await Fixture().test { client in
            let response = try await client.execute(uri: "/api/v1/nothing", method: .get, headers: Caller.administrator.headers)
            #expect(response.status == .notFound)
            #expect(response.errorCode == "not_found")
        }
    }
}

@Suite struct AuthenticationTests {
    @Test func noTokenIs401WithAChallenge() async throws {
        try await Fixture().test { client in
            let response = try await client.execute(uri: "/api/v1/tickets", method: .get)
            #expect(response.status == .unauthorized)
            #expect(response.errorCode == "unauthorized")
            #expect(response.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test func aWrongTokenIs401() async throws {
        try await Fixture().test { client in
            for header in ["Bearer not-a-token", "Basic YWRtaW46YWRtaW4=", "Bearer "] {
                let response = try await client.execute(uri: "/api/v1/tickets", method: .get, headers: [.authorization: header])
                #expect(response.status == .unauthorized, "\(header)")
                #expect(response.errorCode == "unauthorized")
            }
        }
    }

    @Test func tenFailuresAMinuteFromOneAddressAre429ThenEvenAGoodToken() async throws {
        let fixture = try Fixture()
        let logs = fixture.logs
        try await fixture.test { client in
            let attacker: HTTPFields = [.init("X-Real-IP")!: "203.0.113.9"]
            for attempt in 1...10 {
                let response = try await client.execute(uri: "/api/v1/tickets", method: .get, headers: attacker + [.authorization: "Bearer guess-\(attempt)"])
                #expect(response.status == .unauthorized)
            }
            let refused = try await client.execute(uri: "/api/v1/tickets", method: .get, headers: attacker + Caller.administrator.headers)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.errorCode == "too_many_failed_authentications")
            #expect(refused.headers[.retryAfter] == "60")
            // Another client is not affected.
            let other = try await client.execute(uri: "/api/v1/tickets", method: .get, headers: [.init("X-Real-IP")!: "203.0.113.10"] + Caller.administrator.headers)
            #expect(other.status == .ok)
        }
        let failures = logs.all.filter { $0.message == "Authentication failed" }
        #expect(failures.count == 10)
        #expect(!logs.all.contains { record in record.metadata.values.contains { $0.contains("guess-") } }, "a presented token is never logged")
    }

    @Test func theLimiterForgetsFailuresAfterAMinute() {
        let limiter = FailedAuthenticationLimiter(limit: 3)
        let start = Date(timeIntervalSince1970: 1000)
        for second in 0..<3 { limiter.recordFailure("10.0.0.1", now: start.addingTimeInterval(Double(second))) }
        #expect(limiter.retryAfter("10.0.0.1", now: start.addingTimeInterval(3)) == 57)
        #expect(limiter.retryAfter("10.0.0.2", now: start.addingTimeInterval(3)) == nil)
        #expect(limiter.retryAfter("10.0.0.1", now: start.addingTimeInterval(60.5)) == nil, "the first failure is over a minute old")
    }

    @Test func tokensMatchByHashWhateverTheirOrder() {
        let table = TokenTable(tokens: Caller.tokens)
        #expect(table.match(Caller.monitor.secret)?.name == "monitoring")
        #expect(table.match(Caller.waterL2.secret)?.role == .officer(department: "water", level: .l2))
        #expect(table.match("secret-monito") == nil)
        #expect(table.match("") == nil)
        #expect(APIToken.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(APIToken(name: "x", sha256: APIToken.hash("abc"), role: .monitor)?.sha256 == APIToken(name: "x", secret: "abc", role: .monitor).sha256)
        #expect(APIToken(name: "x", sha256: "abc", role: .monitor) == nil)
        #expect(APIToken(name: "x", sha256: String(repeating: "g", count: 64), role: .monitor) == nil)
    }

    @Test func aProxysForwardedAddressIsTrustedOnlyFromTheProxy() throws {
        let request = Request(
            head: .init(method: .get, scheme: "http", authority: "x", path: "/", headerFields: [.init("X-Real-IP")!: "198.51.100.7"]),
            body: .init(buffer: ByteBuffer()))
        let proxy = try SocketAddress(ipAddress: "127.0.0.1", port: 40000)
        let stranger = try SocketAddress(ipAddress: "192.0.2.1", port: 40000)
        #expect(AuthenticationMiddleware.clientAddress(request, peer: proxy, trustedProxies: AGIPeerRule.loopback) == "198.51.100.7")
        #expect(AuthenticationMiddleware.clientAddress(request, peer: stranger, trustedProxies: AGIPeerRule.loopback) == "192.0.2.1")
    }

    @Test func phoneNumbersAreMaskedButTheirLastFourDigits() {
        #expect(PhoneNumber.masked("9876543210") == "******3210")
        #expect(PhoneNumber.masked("+91 98765 43210") == "+** ***** *3210")
        #expect(PhoneNumber.masked("123") == "123")
    }
}
