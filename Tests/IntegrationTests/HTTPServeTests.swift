import Foundation
import HTTPAPI
import HelplineDomain
import HelplineApp
import NIOCore
import NIOPosix
import Store
import Testing

extension Integration {
    /// `helpline serve` answering HTTP: health without a token, a ticket with one.
    @Suite(.serialized) struct HTTPServeTests {
        /// Sends one HTTP/1.1 request with `Connection: close` and returns the whole response.
        static func request(_ path: String, port: Int, headers: [String] = []) async throws -> String {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
            return try await channel.executeThenClose { inbound, outbound in
                let head = (["GET \(path) HTTP/1.1", "Host: 127.0.0.1", "Connection: close"] + headers).joined(separator: "\r\n") + "\r\n\r\n"
                try await outbound.write(ByteBuffer(string: head))
                var reply = ByteBuffer()
                for try await var chunk in inbound { reply.writeBuffer(&chunk) }
                return String(buffer: reply)
            }
        }

        @Test func servesHealthAndAnAuthenticatedTicket() async throws {
            let directory = try HelplineServeTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let databasePath = directory.appendingPathComponent("helpline.sqlite").path
            let number = try await {
                let store = TicketStore(database: try HelplineDatabase(path: databasePath))
                return try await store.createTicket(
                    NewTicket(source: .ivr, callerNumber: "9876543210", language: "en", department: "water", officer: "l1-water-01"), actor: "ivr"
                ).ticket.number
            }()
            let token = "integration-token-\(UUID().uuidString)"
            try """
                http:
                  tokens:
                    - {name: desk-water, sha256: \(APIToken.hash(token)), role: officer, department: water, level: L1}
                """.write(to: directory.appendingPathComponent("helpline.yaml"), atomically: true, encoding: .utf8)

            let daemon = try await ServedDaemon(in: directory)
            let listening = daemon.httpPort

            let health = try await Self.request("/healthz", port: listening)
            #expect(health.hasPrefix("HTTP/1.1 200"), "\(health)")
            #expect(health.contains(#"{"status":"ok"}"#))

            let refused = try await Self.request("/api/v1/tickets/\(number)", port: listening)
            #expect(refused.hasPrefix("HTTP/1.1 401"), "\(refused)")

            let ticket = try await Self.request("/api/v1/tickets/\(number)", port: listening, headers: ["Authorization: Bearer \(token)"])
            #expect(ticket.hasPrefix("HTTP/1.1 200"), "\(ticket)")
            #expect(ticket.contains(#""number":"\#(number)""#))
            #expect(ticket.contains(#""actor":"ivr""#))

            let (status, log) = daemon.stop()
            #expect(status == 0, "\(log)")
            #expect(!log.contains(token), "the token is never logged")
            #expect(!log.contains("9876543210"), "nor a full phone number")
        }
    }
}
