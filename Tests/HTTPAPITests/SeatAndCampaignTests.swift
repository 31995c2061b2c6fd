import AMIClient
import Foundation
import HTTPAPI
import HelplineDomain
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Store
import Testing
import AsteriskFakes

/// `/api/v1/seats` over a real AMI client connected to the fake AMI server (captured replies),
/// and `/api/v1/campaigns` over a real database.
@Suite(.serialized) struct SeatAndCampaignTests {
    struct NeverHappened: Error {}

    /// Polls `condition` every 10 ms for up to thirty seconds (a deadline for a loaded CI machine).
    static func wait(_ condition: @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw NeverHappened() }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test func seatsAreListedAndControlledByAdministratorsOnly() async throws {
        let fixture = try Fixture()
        let server = try await FakeAMIServer()
        let ami = AMIClient(
            configuration: .init(name: "pbx1", host: "127.0.0.1", port: server.port, username: "helpline", secret: "labsecret"),
            board: fixture.board, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await ami.run() }
        defer {
            running.cancel()
            Task { await ami.shutdown() }
        }
        try await Self.wait { ami.connection != nil && fixture.board.snapshot().pbxs["pbx1"]?.queues["dept-health"] != nil }
        var dependencies = fixture.dependencies
        dependencies.seats = SeatControl(clients: [ami], board: fixture.board, defaultPBX: "pbx1")
        let router = APIRouter.build(configuration: fixture.configuration, dependencies: dependencies)
        let noAMI = fixture.router
        defer { fixture.remove() }

        try await Application(router: noAMI).test(.router) { client in
            let refused = try await client.execute(uri: "/api/v1/seats/pause", method: .post, headers: Caller.administrator.headers + jsonHeaders,
                                                   body: jsonBody(["seat": "PJSIP/1001", "reason": "break"]))
            #expect(refused.status == .serviceUnavailable && refused.errorCode == "ami_unavailable")
        }
        try await Application(router: router, logger: fixture.logs.logger(label: "http")).test(.router) { client in
            let listed = try await client.execute(uri: "/api/v1/seats", method: .get, headers: Caller.monitor.headers)
            #expect(listed.status == .ok)
            let seats = try #require(listed.json["seats"] as? [[String: Any]])
            let agent2 = try #require(seats.first { $0["interface"] as? String == "Local/agent2@agents/n" })
            #expect((agent2["queues"] as? [[String: Any]])?.first?["queue"] as? String == "dept-health")

            for caller in [Caller.monitor, .waterL1, .intake] {
                let forbidden = try await client.execute(uri: "/api/v1/seats/login", method: .post, headers: caller.headers + jsonHeaders,
                                                         body: jsonBody(["seat": "PJSIP/1001", "queues": ["dept-health"]]))
                #expect(forbidden.status == .forbidden, "\(caller)")
            }
            let partly = try await client.execute(uri: "/api/v1/seats/login", method: .post, headers: Caller.administrator.headers + jsonHeaders,
                                                  body: jsonBody(["seat": "PJSIP/1001", "queues": ["dept-health", "dept-nowhere"], "name": "Seat 1001"]))
            #expect(partly.status == .badGateway && partly.errorCode == "seat_action_failed")
            #expect((partly.json["error"] as? [String: Any])?["details"] as? [String] == [
                "dept-health: done: Added interface to queue", "dept-nowhere: refused: Unable to add interface to queue: No such queue",
            ])
            try await Self.wait { fixture.board.snapshot().pbxs["pbx1"]?.queues["dept-health"]?.members["PJSIP/1001"] != nil }

            let noReason = try await client.execute(uri: "/api/v1/seats/pause", method: .post, headers: Caller.administrator.headers + jsonHeaders,
                                                    body: jsonBody(["seat": "PJSIP/1001"]))
            #expect(noReason.status == .badRequest && noReason.errorCode == "invalid_request")
            let badSeat = try await client.execute(uri: "/api/v1/seats/logout", method: .post, headers: Caller.administrator.headers + jsonHeaders,
                                                   body: jsonBody(["seat": "1001"]))
            #expect(badSeat.status == .badRequest)

            let paused = try await client.execute(uri: "/api/v1/seats/pause", method: .post, headers: Caller.administrator.headers + jsonHeaders,
                                                  body: jsonBody(["seat": "PJSIP/1001", "reason": "meeting"]))
            #expect(paused.status == .ok, "\(paused.text)")
            try await Self.wait { fixture.board.snapshot().pbxs["pbx1"]?.queues["dept-health"]?.members["PJSIP/1001"]?.pausedReason == "meeting" }
            let unpaused = try await client.execute(uri: "/api/v1/seats/unpause", method: .post, headers: Caller.administrator.headers + jsonHeaders,
                                                    body: jsonBody(["seat": "PJSIP/1001"]))
            #expect(unpaused.status == .ok)
            let out = try await client.execute(uri: "/api/v1/seats/logout", method: .post, headers: Caller.administrator.headers + jsonHeaders,
                                               body: jsonBody(["seat": "PJSIP/1001"]))
            #expect(out.status == .ok)
            #expect((out.json["results"] as? [[String: Any]])?.map { $0["queue"] as? String } == ["dept-health"])
        }
        #expect(fixture.logs.all.contains { $0.message == "Seat action" && $0.metadata["token"] == "admin-1" && $0.metadata["seat"] == "PJSIP/1001" })
        #expect(server.seatActions.withLock { $0 }.count == 5)
    }

    @Test func campaignsAreListedStartedPausedAndReported() async throws {
        let fixture = try Fixture()
        fixture.flows.state.withLock { $0.menus.append("scheme-survey") }
        _ = try await fixture.store.importContacts(
            [CampaignContact(phone: "9876500501", name: "Asha", language: "hi", fields: ["village": "Rampur"]), CampaignContact(phone: "9876500502")],
            campaign: "awas-q4", menu: "scheme-survey")
        _ = try await fixture.store.importContacts([CampaignContact(phone: "9876500503")], campaign: "old-menu", menu: "welfare-2025")
        try await fixture.test { client in
            let listed = try await client.execute(uri: "/api/v1/campaigns", method: .get, headers: Caller.monitor.headers)
            let campaigns = try #require(listed.json["campaigns"] as? [[String: Any]])
            #expect(campaigns.map { $0["name"] as? String } == ["old-menu", "awas-q4"])
            #expect((campaigns[1]["contacts"] as? [String: Int])?["pending"] == 2)

            let forbidden = try await client.execute(uri: "/api/v1/campaigns/awas-q4/start", method: .post, headers: Caller.monitor.headers)
            #expect(forbidden.status == .forbidden)
            let badWindow = try await client.execute(uri: "/api/v1/campaigns/awas-q4/start", method: .post, headers: Caller.administrator.headers + jsonHeaders,
                                                     body: jsonBody(["window": "9-5"]))
            #expect(badWindow.status == .badRequest && badWindow.errorCode == "invalid_request")
            let started = try await client.execute(uri: "/api/v1/campaigns/awas-q4/start", method: .post, headers: Caller.administrator.headers + jsonHeaders,
                                                   body: jsonBody(["window": "10:00-17:00", "channels": 2, "max_attempts": 4]))
            #expect(started.status == .ok, "\(started.text)")
            #expect(started.json["status"] as? String == "running" && started.json["window"] as? String == "10:00-17:00" && started.json["channels"] as? Int == 2)
            #expect(try await fixture.store.campaign(named: "awas-q4")?.settings == CampaignSettings(window: "10:00-17:00", maximumAttempts: 4, channels: 2))

            let unknownMenu = try await client.execute(uri: "/api/v1/campaigns/old-menu/start", method: .post, headers: Caller.administrator.headers + jsonHeaders, body: jsonBody([:]))
            #expect(unknownMenu.status == .conflict && unknownMenu.errorCode == "campaign_not_startable")
            let unknown = try await client.execute(uri: "/api/v1/campaigns/nobody/pause", method: .post, headers: Caller.administrator.headers)
            #expect(unknown.status == .notFound && unknown.errorCode == "campaign_not_found")
            let paused = try await client.execute(uri: "/api/v1/campaigns/awas-q4/pause", method: .post, headers: Caller.administrator.headers)
            #expect(paused.json["status"] as? String == "paused")
            // Started again with no body at all (curl -X POST): the settings stay as they are.
            let restarted = try await client.execute(uri: "/api/v1/campaigns/awas-q4/start", method: .post, headers: Caller.administrator.headers)
            #expect(restarted.status == .ok, "\(restarted.text)")
            #expect(restarted.json["status"] as? String == "running" && restarted.json["channels"] as? Int == 2)

            let report = try await client.execute(uri: "/api/v1/campaigns/awas-q4/report", method: .get, headers: Caller.monitor.headers)
            #expect(report.status == .ok)
            let rows = try #require(report.json["rows"] as? [[String: Any]])
            #expect(rows.map { $0["phone"] as? String } == ["9876500501", "9876500502"])
            #expect((rows[0]["fields"] as? [String: String])?["village"] == "Rampur")
            let csv = try await client.execute(uri: "/api/v1/campaigns/awas-q4/report", method: .get, headers: Caller.monitor.headers + [.accept: "text/csv"])
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.text.hasPrefix("phone,name,district,language,status,attempts,last_result,answered_at,village\r\n9876500501,Asha,,hi,pending,0,,,Rampur\r\n"))
            let officer = try await client.execute(uri: "/api/v1/campaigns/awas-q4/report", method: .get, headers: Caller.waterL1.headers)
            #expect(officer.status == .forbidden)
        }
    }
}
