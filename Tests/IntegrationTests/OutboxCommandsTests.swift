import Foundation
import Store
import HelplineDomain
import Testing

extension Integration {
    /// `helpline tickets resolve --config` and `helpline outbox list|retry` as an administrator runs them.
    @Suite(.serialized) struct OutboxCommandsTests {
        typealias CLI = HelplineServeTests

        @Test func resolvingQueuesNotificationsThatAreListedMaskedAndRetried() async throws {
            let directory = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("helpline.sqlite").path
            let config = directory.appendingPathComponent("helpline.yaml")
            try """
                database:
                  path: \(path)
                notifications:
                  sms:
                    url: https://sms.example.net/send
                    headers_env: {Authorization: UNSET_IN_THE_CLI_TEST}
                  webhooks:
                    water: https://portal.water.example.gov/resolved
                """.write(to: config, atomically: true, encoding: .utf8)
            let store = TicketStore(database: try HelplineDatabase(path: path))
            var numbers: [String] = []
            for caller in ["9876543210", "+91 98765 11234"] {
                numbers.append(try await store.createTicket(
                    NewTicket(source: .ivr, callerNumber: caller, language: "hi", district: "07", department: "water", callUniqueid: "cli-\(caller)", officer: "l1"),
                    actor: "ivr").ticket.number)
            }

            // The command line queues with the daemon's configuration, without its secrets.
            let (status, errors, output) = try await CLI.run(["tickets", "resolve", numbers[0], "--note", "pipe repaired", "--config", config.path], in: directory)
            #expect(status == 0, "\(errors)")
            #expect(output.contains("\(numbers[0]): resolved at L1"))
            #expect(output.contains("queued sms to ******3210"), "\(output)")
            #expect(output.contains("queued webhook to https://portal.water.example.gov/resolved"), "\(output)")
            let (plainStatus, _, plain) = try await CLI.run(["tickets", "resolve", numbers[1], "--note", "road fixed"], in: directory)
            #expect(plainStatus == 0)
            #expect(plain.contains("no notifications queued"), "\(plain)")
            #expect(try await store.outbox().count == 2)

            let sms = try #require(try await store.outbox(status: .pending).first { $0.kind == .sms })
            try await store.recordFailure(sms.id, error: "HTTP 400 Bad Request: unknown sender id", retryAt: nil)

            let (listStatus, _, list) = try await CLI.run(["outbox", "list"], in: directory)
            #expect(listStatus == 0)
            for expected in ["ID", "DESTINATION", "******3210", "dead", "HTTP 400 Bad Request: unknown sender id", numbers[0], "webhook", "pending"] {
                #expect(list.contains(expected), "missing '\(expected)' in:\n\(list)")
            }
            #expect(!list.contains("9876543210"), "a full phone number is never printed:\n\(list)")
            let (deadStatus, _, dead) = try await CLI.run(["outbox", "list", "--status", "dead", "--config", config.path], in: directory)
            #expect(deadStatus == 0)
            #expect(dead.contains("******3210") && !dead.contains("webhook"), "\(dead)")

            let (retryStatus, _, retried) = try await CLI.run(["outbox", "retry", "\(sms.id)"], in: directory)
            #expect(retryStatus == 0)
            #expect(retried.contains("\(sms.id): pending again"))
            let again = try #require(try await store.outbox(status: .pending).first { $0.id == sms.id })
            #expect(again.attempts == 0)

            let (unknownStatus, unknown, _) = try await CLI.run(["outbox", "retry", "\(sms.id)", "999"], in: directory)
            #expect(unknownStatus == 1)
            #expect(unknown.contains("no outbox message has the id 999"), "\(unknown)")
            #expect(unknown.contains("message \(sms.id) is pending, not dead"), "\(unknown)")

            try await store.recordFailure(sms.id, error: "HTTP 503", retryAt: nil)
            let (allStatus, _, all) = try await CLI.run(["outbox", "retry", "--all-dead"], in: directory)
            #expect(allStatus == 0)
            #expect(all.contains("1 dead messages pending again: \(sms.id)"), "\(all)")
            #expect(try await store.outbox(status: .dead).isEmpty)

            let (usageStatus, usage, _) = try await CLI.run(["outbox", "retry"], in: directory)
            #expect(usageStatus == 64)
            #expect(usage.contains("--all-dead"), "\(usage)")
            let (badStatus, bad, _) = try await CLI.run(["outbox", "list", "--status", "lost"], in: directory)
            #expect(badStatus == 64)
            #expect(bad.contains("--status must be pending, sent or dead"), "\(bad)")
        }

        @Test func outboxCommandsNeverMigrate() async throws {
            let directory = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            _ = try HelplineDatabase(path: directory.appendingPathComponent("helpline.sqlite").path, migrate: false)
            for arguments in [["outbox", "list"], ["outbox", "retry", "--all-dead"]] {
                let (status, errors, _) = try await CLI.run(arguments, in: directory)
                #expect(status == 73, "\(arguments)")
                #expect(errors.contains("needs migrating"), "\(errors)")
            }
        }
    }
}
