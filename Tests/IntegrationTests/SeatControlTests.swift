import AGITestSupport
import AMIClient
import Foundation
import HelplineApp
import HelplineDomain
import Logging
import NIOCore
import Testing
import AsteriskFakes

extension Integration {
    /// Seats logged in, paused and logged out through the fake AMI server, which answers
    /// QueueAdd, QueueRemove and QueuePause with the captured replies and events; the live
    /// state follows Asterisk's events. Then the same from the seat's own phone (`/seat`).
    @Suite(.serialized) struct SeatControlTests {
        static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

        /// A connected client on the fake server, with its live state synced.
        static func connected(_ body: @Sendable (FakeAMIServer, AMIClient, LiveStateBoard) async throws -> Void) async throws {
            try await ConnectedPBX.run { pbx in try await body(pbx.server, pbx.client, pbx.board) }
        }

        @Test func aSeatIsLoggedInPausedResumedAndLoggedOut() async throws {
            try await Self.connected { server, client, board in
                let seats = SeatControl(clients: [client], board: board, defaultPBX: "pbx1")
                let member: @Sendable (String) -> QueueMember? = { queue in board.snapshot().pbxs["pbx1"]?.queues[queue]?.members["PJSIP/1001"] }

                let login = try await seats.login(seat: "PJSIP/1001", queues: ["dept-health", "dept-nowhere"], memberName: "Seat 1001")
                #expect(login.map(\.ok) == [true, false])
                #expect(login[1].message == "Unable to add interface to queue: No such queue")
                try await waitUntil { member("dept-health") != nil }
                #expect(member("dept-health")?.name == "Seat 1001")
                let again = try await seats.login(seat: "PJSIP/1001", queues: ["dept-health"])
                #expect(again.first?.message == "Unable to add interface: Already there")

                let paused = try await seats.pause(seat: "PJSIP/1001", reason: "training")
                #expect(paused.ok && paused.message == "Interface paused successfully")
                try await waitUntil { member("dept-health")?.paused == true }
                #expect(member("dept-health")?.pausedReason == "training")
                let listed = seats.seats(now: Date().timeIntervalSince1970).first { $0.interface == "PJSIP/1001" }
                #expect(listed?.queues.map { "\($0.queue) \($0.paused) \($0.pausedReason)" } == ["dept-health true training"])

                let resumed = try await seats.pause(seat: "PJSIP/1001", paused: false)
                #expect(resumed.ok)
                try await waitUntil { member("dept-health")?.paused == false }

                // Out of every queue the live state shows it in.
                let logout = try await seats.logout(seat: "PJSIP/1001")
                #expect(logout == [SeatControl.Result(queue: "dept-health", ok: true, message: "Removed interface from queue")])
                try await waitUntil { member("dept-health") == nil }
                let notThere = try await seats.pause(seat: "PJSIP/1001", reason: "break", queue: "dept-health")
                #expect(!notThere.ok && notThere.message == "Interface not found")

                let sent = server.seatActions.withLock { $0 }
                #expect(sent.map { $0["Action"] ?? "" } == ["QueueAdd", "QueueAdd", "QueueAdd", "QueuePause", "QueuePause", "QueueRemove", "QueuePause"])
                #expect(sent[3]["Reason"] == "training" && sent[3]["Queue"] == nil, "a pause in every queue")
                #expect(sent[0]["Paused"] == "false" && sent[0]["MemberName"] == "Seat 1001")
            }
        }

        @Test func badArgumentsAreRefusedBeforeAnythingIsSent() async throws {
            try await Self.connected { server, client, board in
                let seats = SeatControl(clients: [client], board: board, defaultPBX: "pbx1")
                let cases: [(String, @Sendable () async throws -> Void)] = [
                    ("'PJSIP 1001' is not a seat interface like PJSIP/1001 (technology/resource, no spaces)", { _ = try await seats.login(seat: "PJSIP 1001", queues: ["q"]) }),
                    ("'1001' is not a seat interface like PJSIP/1001 (technology/resource, no spaces)", { _ = try await seats.logout(seat: "1001") }),
                    ("name at least one queue to log the seat into", { _ = try await seats.login(seat: "PJSIP/1001", queues: []) }),
                    ("'water l1' is not a queue name (letters, digits, -, _ or .)", { _ = try await seats.login(seat: "PJSIP/1001", queues: ["water l1"]) }),
                    ("give a reason for the pause (break, training, meeting …)", { _ = try await seats.pause(seat: "PJSIP/1001") }),
                    ("the reason must be 1 to 40 letters, digits, spaces, - or _ (like break, training, meeting), not 'tea\r\nAction: Logoff'",
                     { _ = try await seats.pause(seat: "PJSIP/1001", reason: "tea\r\nAction: Logoff") }),
                    ("'pbx9' is not an AMI endpoint; the endpoints are: pbx1", { _ = try await seats.logout(seat: "PJSIP/1001", pbx: "pbx9") }),
                ]
                for (message, action) in cases {
                    do {
                        try await action()
                        Issue.record("accepted: \(message)")
                    } catch let error as SeatControl.Problem {
                        #expect(error.message == message)
                    }
                }
                #expect(server.seatActions.withLock { $0 }.isEmpty)
                #expect(SeatControl.seat(ofChannel: "PJSIP/1001-0000002a") == "PJSIP/1001")
                #expect(SeatControl.seat(ofChannel: "Local/s@helpline-call-00000001;1") == nil)
            }
        }

        @Test func theSeatsOwnPhoneLogsItInAndPausesIt() async throws {
            let server = try await FakeAMIServer()
            let folder = try HelplineServeTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            var configuration = HelplineConfiguration()
            configuration.databasePath = folder.appendingPathComponent("helpline.sqlite").path
            configuration.menusFolder = CallFlowTests.repository.appendingPathComponent("menus").path
            configuration.directoryPath = CallFlowTests.repository.appendingPathComponent("deploy/directory.yaml").path
            configuration.amiEndpoints = [.init(name: "pbx1", host: "127.0.0.1", port: server.port, username: "helpline", secret: "labsecret")]
            let daemon = try HelplineDaemon(configuration: configuration, logger: Self.logger)
            let client = try #require(daemon.amiClients.first)
            let running = Task { try await client.run() }
            defer {
                running.cancel()
                Task { await client.shutdown() }
            }
            try await waitUntil { daemon.board.snapshot().pbxs["pbx1"]?.staleSince == nil && client.connection != nil }
            try await withAGIServer(routes: daemon.routes) { _, address in
                func dial(_ key: String) async throws -> [CallPlayer.Event] {
                    var call = CallPlayer(keyGroups: [key], caller: "1001", dnid: "*45", uniqueid: "seat-\(key)")
                    call.channel = "PJSIP/1001-0000002a"
                    return try await call.run(script: "/seat?queues=dept-health,dept-police", to: address).events
                }
                let login = try await dial("1")
                #expect(login.contains(.played("seat-logged-in", key: nil)), "\(login)")
                try await waitUntil { daemon.board.snapshot().pbxs["pbx1"]?.queues["dept-police"]?.members["PJSIP/1001"] != nil }
                #expect(daemon.board.snapshot().pbxs["pbx1"]?.queues["dept-health"]?.members["PJSIP/1001"] != nil)

                let pause = try await dial("4")  // training
                #expect(pause.contains(.played("seat-paused", key: nil)))
                try await waitUntil { daemon.board.snapshot().pbxs["pbx1"]?.queues["dept-police"]?.members["PJSIP/1001"]?.pausedReason == "training" }

                let logout = try await dial("2")
                #expect(logout.contains(.played("seat-logged-out", key: nil)))
                try await waitUntil { daemon.board.snapshot().pbxs["pbx1"]?.queues["dept-police"]?.members["PJSIP/1001"] == nil }
                // Nothing left to log out of: the agent hears that it could not be done.
                let nothing = try await dial("2")
                #expect(nothing.contains(.played("seat-failed", key: nil)))

                let actions = server.seatActions.withLock { $0 }.map { "\($0["Action"] ?? "") \($0["Queue"] ?? "*") \($0["Interface"] ?? "")" }
                #expect(actions == [
                    "QueueAdd dept-health PJSIP/1001", "QueueAdd dept-police PJSIP/1001", "QueuePause * PJSIP/1001",
                    "QueueRemove dept-health PJSIP/1001", "QueueRemove dept-police PJSIP/1001",
                ])
            }
        }
    }
}
