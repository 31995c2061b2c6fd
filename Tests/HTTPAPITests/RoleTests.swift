import Foundation
import HTTPAPI
import HelplineDomain
import Hummingbird
import HummingbirdTesting
import Store
import Testing

/// Every endpoint under every role: who may, who gets 403, and that nobody gets in without a
/// token. Tickets are of the water department at L1; the roads officer is of another department.
@Suite struct RoleTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var method: HTTPRequest.Method
        var path: String
        var body: [String: String]?
        /// The status for each caller; callers not listed get 403 (anonymous: 401).
        var allowed: [Caller: HTTPResponse.Status]

        var testDescription: String { "\(method) \(path)" }
    }

    static let number = "{number}"
    static let cases: [Case] = [
        Case(method: .get, path: "/metrics", allowed: [.administrator: .ok, .monitor: .ok]),
        Case(method: .get, path: "/api/v1/queues", allowed: [.administrator: .ok, .monitor: .ok]),
        Case(method: .get, path: "/api/v1/tickets", allowed: [.administrator: .ok, .monitor: .ok, .waterL1: .ok, .waterL2: .ok, .roadsL1: .ok]),
        Case(method: .get, path: "/api/v1/tickets/\(number)", allowed: [.administrator: .ok, .monitor: .ok, .waterL1: .ok, .waterL2: .ok]),
        Case(method: .post, path: "/api/v1/tickets/\(number)/notes", body: ["note": "called the citizen"], allowed: [.administrator: .ok, .waterL1: .ok, .waterL2: .ok]),
        Case(method: .post, path: "/api/v1/tickets/\(number)/reassign", body: ["officer": "l1-water-02"], allowed: [.administrator: .ok, .waterL1: .ok]),
        Case(method: .post, path: "/api/v1/tickets/\(number)/resolve", body: ["report": "pipe repaired"], allowed: [.administrator: .ok, .waterL1: .ok]),
        Case(method: .post, path: "/api/v1/tickets", body: ["channel": "web", "caller_number": "9876500001", "language": "en", "category": "pothole", "description": "a pothole"],
             allowed: [.administrator: .created, .intake: .created]),
        Case(method: .get, path: "/api/v1/reports/daily", allowed: [.administrator: .ok, .monitor: .ok, .waterL1: .ok, .waterL2: .ok, .roadsL1: .ok]),
        Case(method: .post, path: "/api/v1/admin/menus/reload", allowed: [.administrator: .ok]),
        Case(method: .post, path: "/api/v1/admin/directory/reload", allowed: [.administrator: .ok]),
    ]

    @Test(arguments: cases)
    func everyRole(_ endpoint: Case) async throws {
        for caller in Caller.allCases {
            let fixture = try Fixture()
            let ticket = try await fixture.ticket()
            let path = endpoint.path.replacingOccurrences(of: Self.number, with: ticket.number)
            let expected = caller == .anonymous ? .unauthorized : endpoint.allowed[caller] ?? .forbidden
            try await fixture.test { client in
                let response = try await client.execute(
                    uri: path, method: endpoint.method, headers: caller.headers + (endpoint.body == nil ? [:] : jsonHeaders),
                    body: endpoint.body.map { jsonBody($0) })
                #expect(response.status == expected, "\(caller) \(endpoint.method) \(path): \(response.text)")
                if expected == .forbidden { #expect(response.errorCode == "forbidden") }
            }
        }
    }
}
