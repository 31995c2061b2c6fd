import AGITestSupport
import Foundation
import HTTPAPI
import HelplineDomain
import HelplineApp
import NIOCore
import NIOPosix
import Store
import Testing
import AsteriskFakes

extension Integration {
    /// The whole loop of a complaint through `helpline serve` and nothing but real sockets:
    /// the citizen's call over FastAGI, the officer's resolutions over the HTTP API, each SMS
    /// delivered to an SMS gateway over HTTP, each feedback call originated over AMI (the fake
    /// AMI server answers with the captured Originate exchange) and played back over FastAGI
    /// into the `/feedback` script the Originate names, up the ladder to closure.
    @Suite(.serialized) struct WholeLoopTests {
        /// Sends one HTTP/1.1 request with `Connection: close`; returns the status and the body.
        static func request(_ method: String, _ path: String, port: Int, token: String, json: String? = nil) async throws -> (Int, String) {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
            let text = try await channel.executeThenClose { inbound, outbound in
                var head = ["\(method) \(path) HTTP/1.1", "Host: 127.0.0.1", "Connection: close", "Authorization: Bearer \(token)"]
                if let json { head += ["Content-Type: application/json", "Content-Length: \(json.utf8.count)"] }
                try await outbound.write(ByteBuffer(string: head.joined(separator: "\r\n") + "\r\n\r\n" + (json ?? "")))
                var reply = ByteBuffer()
                for try await var chunk in inbound { reply.writeBuffer(&chunk) }
                return String(buffer: reply)
            }
            let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
            let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
            return (status, body)
        }

        /// What never happened within the deadline.
        struct NeverHappened: Error, CustomStringConvertible {
            var what: String
            var description: String { "not within 30 s: \(what)" }
        }

        /// Polls `condition` every 20 ms for up to thirty seconds; `what` names it when it never holds.
        static func eventually(_ what: String, _ condition: @Sendable () async throws -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while try await !condition() {
                guard ContinuousClock.now < deadline else { throw NeverHappened(what: what) }
                try await Task.sleep(for: .milliseconds(20))
            }
        }

        @Test func aComplaintGoesRoundTheWholeLoopThroughRealSockets() async throws {
            let ami = try await FakeAMIServer()
            let gateway = try await TestGateway.start { _, _ in .status(202) }
            defer { Task { try? await gateway.stop() } }
            let directory = try HelplineServeTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let token = "loop-admin-\(UUID().uuidString)"
            let repository = CallFlowTests.repository
            try """
                menus:
                  folder: \(repository.appendingPathComponent("menus").path)
                routing:
                  directory: \(repository.appendingPathComponent("deploy/directory.yaml").path)
                  pbx: pbx1
                ami:
                  endpoints:
                    - {name: pbx1, host: 127.0.0.1, port: \(ami.port), username: helpline, secret: labsecret}
                notifications:
                  poll_interval: 50ms
                  sms:
                    url: \(gateway.url)/send
                    body: '{"to":"${to}","text":"${message}","ticket":"${ticket}"}'
                    messages:
                      en: "Helpline 1076: your complaint ${ticket} has been resolved. Thank you."
                outbound:
                  channel: Local/${number}@helpline-outbound/n
                  trunk: DAHDI/g1
                  caller_id: "1076"
                  max_channels: 2
                  calling_hours: "00:00-24:00"
                  poll_interval: 100ms
                http:
                  tokens:
                    - {name: loop-administrator, sha256: \(APIToken.hash(token)), role: administrator}
                """.write(to: directory.appendingPathComponent("helpline.yaml"), atomically: true, encoding: .utf8)

            let daemon = try await ServedDaemon(in: directory)
            let agi = try SocketAddress(ipAddress: "127.0.0.1", port: daemon.agiPort)
            let http = daemon.httpPort

            // The citizen calls and registers a complaint (water, district 01).
            let (_, registered) = try await CallPlayer(keyGroups: ["2", "1", "1", "01"], caller: "9000022222", uniqueid: "loop-1").run(script: "/inbound", to: agi)
            let number = try #require(registered["HELPLINE_TICKET"])

            /// The officer resolves over the API; the SMS reaches the gateway; the feedback call is
            /// originated over AMI; the citizen answers it by pressing `key`.
            @Sendable func resolveAndAnswer(_ key: String, round: Int) async throws {
                let (status, body) = try await Self.request(
                    "POST", "/api/v1/tickets/\(number)/resolve", port: http, token: token, json: #"{"report":"done, round \#(round)"}"#)
                #expect(status == 200, "\(body)")
                try await Self.eventually("SMS \(round) delivered") { gateway.requests.count == round }
                let sms = gateway.requests[round - 1]
                #expect(sms.uri == "/send" && sms.body.contains(#""to":"9000022222""#) && sms.body.contains("your complaint \(number) has been resolved"), "\(sms.body)")
                try await Self.eventually("feedback call \(round) originated") { ami.originates.withLock { $0.count } == round }
                let originate = ami.originates.withLock { $0[round - 1] }
                #expect(originate["Channel"] == "Local/9000022222@helpline-outbound/n")
                #expect(originate["Context"] == "helpline-feedback")
                let variables = originate.values("Variable")
                #expect(variables.contains("HELPLINE_TICKET=\(number)") && variables.contains("HELPLINE_PHONE=9000022222"))
                // What asterisk-conf's [helpline-feedback] runs once the citizen answers.
                let ticket = try #require(variables.first { $0.hasPrefix("HELPLINE_TICKET=") }).dropFirst("HELPLINE_TICKET=".count)
                _ = try await CallPlayer(keyGroups: [key], caller: "9000022222", uniqueid: "loop-fb-\(round)").run(script: "/feedback?ticket=\(ticket)", to: agi)
            }
            @Sendable func state() async throws -> [String] {
                let (_, body) = try await Self.request("GET", "/api/v1/tickets/\(number)", port: http, token: token)
                guard let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], let ticket = json["ticket"] as? [String: Any] else {
                    return ["not a ticket: \(body)"]
                }
                return [ticket["status"] as? String ?? "?", ticket["level"] as? String ?? "?"]
            }

            do {
                try await resolveAndAnswer("2", round: 1)  // not satisfied: back to L1
                try await Self.eventually("reopened at L1") { try await state() == ["reopened", "L1"] }
                try await resolveAndAnswer("2", round: 2)  // not satisfied again: up to L2
                try await Self.eventually("escalated to L2") { try await state() == ["escalated", "L2"] }
                try await resolveAndAnswer("1", round: 3)  // satisfied: closed
                try await Self.eventually("closed") { try await state().first == "closed" }
            } catch {
                Issue.record("\(error); the daemon's log:\n\(daemon.log)")
                throw error
            }

            let (status, log) = daemon.stop()
            #expect(status == 0, "\(log)")

            // The database: every step in the ticket's history, each SMS sent once, each feedback call done.
            let store = TicketStore(database: try HelplineDatabase(path: directory.appendingPathComponent("helpline.sqlite").path))
            let history = try #require(try await store.history(number: number))
            #expect(history.events.map(\.toStatus) == [.registered, .assigned, .resolved, .reopened, .resolved, .escalated, .resolved, .closed], "\(history.events.map(\.transition))")
            #expect(history.events.filter { $0.transition == "resolved" }.allSatisfy { $0.actor == "loop-administrator" })
            let outbox = try await store.outbox(ticketNumber: number)
            #expect(outbox.count == 3 && outbox.allSatisfy { $0.status == .sent }, "\(outbox)")
            #expect(Set(gateway.requests.compactMap(\.key)).count == 3 && gateway.deliveries.values.allSatisfy { $0 == 1 })
            #expect(try await store.feedbackCalls(ticket: number).map(\.status) == ["done", "done", "done"])
            #expect(ami.originates.withLock { $0.count } == 3, "no call made twice")
            #expect(!log.contains(token) && !log.contains("9000022222"), "no token or full phone number in the log")
        }
    }
}
