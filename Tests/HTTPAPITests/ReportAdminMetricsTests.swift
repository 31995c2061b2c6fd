import Foundation
import HTTPAPI
import HelplineDomain
import Hummingbird
import HummingbirdTesting
import Prometheus
import Store
import Testing
import Yams

@Suite struct ReportTests {
    /// Two tickets registered yesterday (IST), one resolved and one escalated today, and one
    /// whose due time passed today without a resolution.
    static func seeded() async throws -> Fixture {
        let fixture = try Fixture()
        let yesterday = Fixture.now.addingTimeInterval(-86_400)
        let resolvedOne = try await fixture.ticket(createdAt: yesterday)
        try await fixture.ticket(department: "roads", createdAt: yesterday)
        try await fixture.store.apply(.resolve, to: resolvedOne.number, actor: "t", at: Fixture.now.addingTimeInterval(-60))
        _ = try await fixture.escalatedTicket()
        try await fixture.ticket(department: "roads", createdAt: Fixture.now.addingTimeInterval(-73 * 3600))
        // Today's queue calls, as the daemon records AMI's events: water answered in 5 s (talked
        // 100 s) and in 30 s (still talking), one abandoned after 40 s; the general queue's answered in 2 s.
        let store = fixture.store
        func event(_ event: QueueCallEvent, _ secondsAgo: Double) async throws {
            try await store.recordQueueEvent(event, pbx: "pbx1", at: Fixture.now.addingTimeInterval(-secondsAgo))
        }
        try await event(.joined(uniqueid: "q.1", queue: "water-l1", department: "water", callerNumber: "9876500001"), 600)
        try await event(.answered(uniqueid: "q.1", queue: "water-l1", waited: 5, member: "Seat 1001"), 595)
        try await event(.completed(uniqueid: "q.1", queue: "water-l1", talked: 100), 495)
        try await event(.joined(uniqueid: "q.2", queue: "water-l1", department: "water", callerNumber: nil), 400)
        try await event(.answered(uniqueid: "q.2", queue: "water-l1", waited: 30, member: nil), 370)
        try await event(.joined(uniqueid: "q.3", queue: "water-overflow", department: "water", callerNumber: nil), 300)
        try await event(.abandoned(uniqueid: "q.3", queue: "water-overflow", waited: 40), 260)
        try await event(.abandoned(uniqueid: "q.3", queue: "water-overflow", waited: 41), 259)  // repeated: no change
        // Answered before the daemon saw it join (it started meanwhile): the join is inferred.
        try await event(.answered(uniqueid: "q.4", queue: "helpline-general", waited: 2, member: nil), 100)
        // Let go unanswered when no seat was left (queue_log's EXITEMPTY): offered, not abandoned.
        try await event(.joined(uniqueid: "q.5", queue: "roads-l1", department: "roads", callerNumber: nil), 90)
        try await event(.abandoned(uniqueid: "q.5", queue: "roads-l1", waited: 12), 78)
        try await event(.left(uniqueid: "q.5", queue: "roads-l1", waited: 12), 78)
        return fixture
    }

    @Test func callsPerDayAndDepartment() async throws {
        try await Self.seeded().test { client in
            let response = try await client.execute(uri: "/api/v1/reports/daily?from=2026-09-21&to=2026-09-21", method: .get, headers: Caller.monitor.headers)
            #expect(response.json["service_level_seconds"] as? Int == 20)
            let lines = (response.json["days"] as? [[String: Any]] ?? []).map { line in
                ["department", "calls_offered", "calls_answered", "calls_abandoned", "calls_left", "service_level", "average_wait_seconds", "average_talk_seconds"]
                    .map { line[$0].map { "\($0)" } ?? "-" }.joined(separator: " ")
            }
            #expect(lines == ["general 1 1 0 0 100 2 -", "roads 1 0 0 1 0 - -", "water 3 2 1 0 33.3 17.5 100"], "\(lines)")
            let stricter = try await client.execute(
                uri: "/api/v1/reports/daily?from=2026-09-21&to=2026-09-21&service_level_seconds=4&format=csv", method: .get, headers: Caller.monitor.headers)
            #expect(stricter.text.contains("\r\n2026-09-21,water,3,2,1,0.0,17.5,100.0,1,3,1,0,0\r\n"), "\(stricter.text)")
            let bad = try await client.execute(uri: "/api/v1/reports/daily?service_level_seconds=0", method: .get, headers: Caller.monitor.headers)
            #expect(bad.status == .badRequest)
        }
    }

    @Test func complaintsPerDayAndDepartmentAsJSON() async throws {
        try await Self.seeded().test { client in
            let response = try await client.execute(uri: "/api/v1/reports/daily?from=2026-09-20&to=2026-09-21", method: .get, headers: Caller.monitor.headers)
            #expect(response.status == .ok, "\(response.text)")
            #expect(response.json["utc_offset_seconds"] as? Int == 19_800)
            let lines = (response.json["days"] as? [[String: Any]] ?? []).map { line in
                "\(line["day"]!) \(line["department"]!) \(line["registered"]!) \(line["resolved"]!) \(line["escalated"]!) \(line["overdue"]!)"
            }
            #expect(lines == [
                "2026-09-20 roads 1 0 0 0",
                "2026-09-20 water 1 0 0 0",
                "2026-09-21 general 0 0 0 0",
                "2026-09-21 roads 0 0 0 1",
                "2026-09-21 water 1 3 1 0",
            ])
        }
    }

    @Test func asCSVByFormatOrAccept() async throws {
        try await Self.seeded().test { client in
            for (query, headers) in [("&format=csv", HTTPFields()), ("", [.accept: "text/csv"])] {
                let response = try await client.execute(uri: "/api/v1/reports/daily?from=2026-09-21&to=2026-09-21\(query)", method: .get, headers: Caller.administrator.headers + headers)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/csv") == true)
                #expect(response.text == """
                    day,department,calls_offered,calls_answered,calls_abandoned,service_level,average_wait_seconds,average_talk_seconds,registered,resolved,escalated,overdue,calls_left\r
                    2026-09-21,general,1,1,0,100.0,2.0,,0,0,0,0,0\r
                    2026-09-21,roads,1,0,0,0.0,,,0,0,0,1,1\r
                    2026-09-21,water,3,2,1,33.3,17.5,100.0,1,3,1,0,0\r

                    """, "\(response.text)")
            }
        }
    }

    @Test func anOfficerSeesTheirDepartment() async throws {
        try await Self.seeded().test { client in
            let own = try await client.execute(uri: "/api/v1/reports/daily?from=2026-09-20&to=2026-09-21&format=csv", method: .get, headers: Caller.roadsL1.headers)
            #expect(own.text.split(separator: "\r\n").dropFirst().allSatisfy { $0.contains(",roads,") })
            let other = try await client.execute(uri: "/api/v1/reports/daily?department=water", method: .get, headers: Caller.roadsL1.headers)
            #expect(other.status == .forbidden)
        }
    }

    @Test(arguments: [
        ("from=2026-02-30", HTTPResponse.Status.badRequest, "invalid_request"), ("from=21-09-2026", .badRequest, "invalid_request"),
        ("from=2026-09-22&to=2026-09-21", .badRequest, "invalid_request"), ("from=2024-01-01&to=2026-01-01", .badRequest, "invalid_request"),
        ("format=xml", .notAcceptable, "not_acceptable"),
    ])
    func badParameters(_ query: String, _ status: HTTPResponse.Status, _ code: String) async throws {
        try await Fixture().test { client in
            let response = try await client.execute(uri: "/api/v1/reports/daily?\(query)", method: .get, headers: Caller.monitor.headers)
            #expect(response.status == status, "\(query): \(response.text)")
            #expect(response.errorCode == code)
        }
    }
}

@Suite struct AdministrationTests {
    @Test func reloadsAndSaysWhatIsServed() async throws {
        let fixture = try Fixture()
        let flows = fixture.flows
        try await fixture.test { client in
            for path in ["/api/v1/admin/menus/reload", "/api/v1/admin/directory/reload"] {
                let response = try await client.execute(uri: path, method: .post, headers: Caller.administrator.headers)
                #expect(response.status == .ok)
                #expect(response.json["reloaded"] as? Bool == true)
                #expect(response.json["menus"] as? [String] == ["feedback", "inbound"])
            }
        }
        #expect(flows.state.withLock { $0.reloads } == 2)
    }

    @Test func aReloadWithProblemsIsRefusedWithThem() async throws {
        let fixture = try Fixture()
        fixture.flows.state.withLock { $0.problems = ["menus/inbound.yaml:3:5: unknown node 'x'"] }
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/v1/admin/menus/reload", method: .post, headers: Caller.administrator.headers)
            #expect(response.status == .unprocessableContent)
            #expect(response.errorCode == "reload_refused")
            #expect((response.json["error"] as? [String: Any])?["details"] as? [String] == ["menus/inbound.yaml:3:5: unknown node 'x'"])
        }
    }
}

@Suite struct MetricsAndQueuesTests {
    @Test func metricsShowTicketsQueuesAndStaleness() async throws {
        let fixture = try Fixture()
        try await fixture.ticket()
        try await fixture.ticket(department: "roads")
        _ = try await fixture.store.addCallback(callerNumber: "9876500001", callUniqueid: "m.1", department: "water", queue: "water-l1", reason: "abandoned")
        // A counter some other part of the daemon made through swift-metrics' factory reaches the same registry.
        fixture.registry.makeCounter(descriptor: MetricNameDescriptor(metricName: "agi_sessions_accepted", unitName: "total", helpText: "Sessions accepted.")).increment(by: Int64(3))
        try await fixture.test { client in
            let response = try await client.execute(uri: "/metrics", method: .get, headers: Caller.monitor.headers)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = response.text
            #expect(text.contains(#"helpline_tickets_open{department="water",status="assigned"} 1.0"#), "\(text)")
            #expect(text.contains(#"helpline_tickets_open{department="health",status="assigned"} 0.0"#), "every department of the directory, with zeros")
            #expect(text.contains(#"helpline_queue_callers_waiting{pbx="pbx1",queue="water-l1"} 1.0"#))
            #expect(text.contains(#"helpline_queue_longest_wait_seconds{pbx="pbx1",queue="water-l1"} 42.0"#))
            #expect(text.contains(#"helpline_ami_state_stale{pbx="pbx1"} 0.0"#))
            #expect(text.contains("agi_sessions_accepted_total 3"))
            #expect(text.contains(#"helpline_seat_paused{pbx="pbx1",seat="Local/agent1@seats",queue="water-l1"} 0.0"#), "\(text)")
            #expect(text.contains(#"helpline_seat_on_call{pbx="pbx1",seat="Local/agent1@seats",queue="water-l1"} 0.0"#))
            #expect(text.contains(#"helpline_outbound_calls{kind="callback",status="pending"} 1.0"#))
            #expect(text.contains(#"helpline_outbound_calls{kind="feedback",status="pending"} 0.0"#))
            #expect(text.contains(#"helpline_outbox_messages{status="pending"} 0.0"#))
        }
    }

    @Test func withoutARegistryThereIsNoMetricsEndpoint() async throws {
        try await Fixture(metrics: false).test { client in
            let response = try await client.execute(uri: "/metrics", method: .get, headers: Caller.monitor.headers)
            #expect(response.status == .notFound)
        }
    }

    @Test func queuesPerPBXAndMergedWithStaleness() async throws {
        try await Fixture().test { client in
            let response = try await client.execute(uri: "/api/v1/queues", method: .get, headers: Caller.monitor.headers)
            #expect(response.status == .ok)
            let endpoints = response.json["endpoints"] as? [[String: Any]] ?? []
            #expect(endpoints.first?["name"] as? String == "pbx1")
            #expect(endpoints.first?["stale_since"] == nil, "live")
            let queue = (response.json["queues"] as? [[String: Any]])?.first
            #expect(queue?["name"] as? String == "water-l1")
            #expect((queue?["figures"] as? [String: Any])?["callers_waiting"] as? Int == 1)
            #expect(((queue?["seats"] as? [[String: Any]])?.first)?["pbx"] as? String == "pbx1")
        }
    }
}

@Suite struct OpenAPITests {
    @Test func theDocumentIsServedWithoutAToken() async throws {
        try await Fixture().test { client in
            let response = try await client.execute(uri: "/api/v1/openapi.yaml", method: .get)
            #expect(response.status == .ok)
            #expect(response.text == OpenAPIDocument.yaml)
        }
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() throws {
        let document = try #require(try Yams.load(yaml: OpenAPIDocument.yaml) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: Any])
        var documented: Set<String> = []
        for (path, operations) in paths {
            for method in (operations as? [String: Any] ?? [:]).keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let fixture = try Fixture()
        defer { fixture.remove() }
        let router = fixture.router
        let routed = Set(router.routes.map { route in
            let path = route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return "\(route.method) /\(path)"
        })
        // The HTML pages are not part of the API, and not in its document.
        let pages: Set<String> = [
            "GET /", "GET /pages.css", "GET /signin", "POST /signin", "POST /signout", "GET /dashboard", "GET /desk", "GET /desk/tickets/{number}",
            "POST /desk/tickets/{number}/resolve", "GET /desk/tickets/{number}/recording",
        ]
        #expect(routed.isSuperset(of: pages), "pages not routed: \(pages.subtracting(routed))")
        let api = routed.subtracting(pages)
        #expect(api == documented, "only routed: \(api.subtracting(documented)); only documented: \(documented.subtracting(api))")
    }

    @Test func everyErrorCodeIsDocumented() {
        for code in APIError.Code.all {
            #expect(OpenAPIDocument.yaml.contains(code.name), "\(code.name)")
        }
    }
}
