import Foundation
import GRDB
@testable import Store
import HelplineDomain
import Testing

extension Integration {
    /// `helpline db …` and `helpline tickets …` as an administrator runs them.
    @Suite(.serialized) struct StoreCommandsTests {
        typealias CLI = HelplineServeTests

        @Test func ticketsAreShownListedResolvedAndCancelled() async throws {
            let directory = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("helpline.sqlite").path
            let store = TicketStore(database: try HelplineDatabase(path: path))
            var numbers: [String] = []
            for index in 0..<3 {
                let created = try await store.createTicket(
                    NewTicket(source: .ivr, callerNumber: "98765\(index)", language: "hi", district: "07", department: "water", category: "supply", callUniqueid: "cli-\(index)", officer: "l1-water-07"),
                    decision: RoutingDecisionInput(callUniqueid: "cli-\(index)", inputsJSON: "{}", outcome: "queue", queue: "water-l1", reasons: ["supply belongs to water"]),
                    actor: "ivr")
                numbers.append(created.ticket.number)
            }

            let (listStatus, _, list) = try await CLI.run(["tickets", "list", "--department", "water", "--status", "assigned"], in: directory)
            #expect(listStatus == 0)
            #expect(numbers.allSatisfy(list.contains), "\(list)")

            let (resolveStatus, resolveErrors, resolved) = try await CLI.run(["tickets", "resolve", numbers[0], "--note", "pipeline repaired on 21 Nov"], in: directory)
            #expect(resolveStatus == 0, "\(resolveErrors)")
            #expect(resolved.contains("\(numbers[0]): resolved at L1"))
            let (againStatus, again, _) = try await CLI.run(["tickets", "resolve", numbers[0], "--note", "twice"], in: directory)
            #expect(againStatus == 1)
            #expect(again.contains("cannot resolve a ticket that is resolved at L1"), "\(again)")

            let (cancelStatus, _, _) = try await CLI.run(["tickets", "cancel", numbers[1], "--reason", "caller withdrew"], in: directory)
            #expect(cancelStatus == 0)

            let (showStatus, _, shown) = try await CLI.run(["tickets", "show", numbers[0]], in: directory)
            #expect(showStatus == 0)
            for expected in ["ticket \(numbers[0])  resolved at L1", "registered", "assigned", "pipeline repaired on 21 Nov", "cli:", "queue → water-l1", "supply belongs to water"] {
                #expect(shown.contains(expected), "missing '\(expected)' in:\n\(shown)")
            }

            var mistyped = Array(numbers[2])
            mistyped.swapAt(0, 1)
            if mistyped == Array(numbers[2]) { mistyped[0] = mistyped[0] == "1" ? "2" : "1" }
            let (mistypedStatus, mistypedError, _) = try await CLI.run(["tickets", "show", String(mistyped)], in: directory)
            #expect(mistypedStatus == 65)
            #expect(mistypedError.contains("check digit does not match"), "\(mistypedError)")

            let final = try await store.history(number: numbers[1])
            #expect(final?.ticket.status == .cancelled)
            #expect(final?.events.last?.note == "caller withdrew")
            #expect(final?.events.last?.actor.hasPrefix("cli:") == true)
        }

        @Test func theDatabaseIsMigratedBackedUpAndChecked() async throws {
            let directory = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let (missingStatus, missing, _) = try await CLI.run(["db", "check"], in: directory)
            #expect(missingStatus == 66)
            #expect(missing.contains("no database at 'helpline.sqlite'"))

            let (migrateStatus, _, migrated) = try await CLI.run(["db", "migrate"], in: directory)
            #expect(migrateStatus == 0)
            #expect(migrated.contains("applied  001 tickets and their history"))
            let (checkStatus, _, checked) = try await CLI.run(["db", "check"], in: directory)
            #expect(checkStatus == 0)
            #expect(checked.contains("integrity     ok"))

            let (backupStatus, backupErrors, backedUp) = try await CLI.run(["db", "backup", "copy.sqlite"], in: directory)
            #expect(backupStatus == 0, "\(backupErrors)")
            #expect(backedUp.contains("integrity ok"))
            let copy = try HelplineDatabase(path: directory.appendingPathComponent("copy.sqlite").path, migrate: false)
            #expect(try copy.migrationStatus().pending.isEmpty)
            let (overwriteStatus, overwrite, _) = try await CLI.run(["db", "backup", "copy.sqlite"], in: directory)
            #expect(overwriteStatus == 1)
            #expect(overwrite.contains("never overwrites"))
        }

        @Test func commandsNeverMigrateADatabaseBehindTheDaemonsBack() async throws {
            let directory = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            _ = try HelplineDatabase(path: directory.appendingPathComponent("helpline.sqlite").path, migrate: false)
            let (status, errors, _) = try await CLI.run(["tickets", "list", "--department", "water"], in: directory)
            #expect(status == 73)
            #expect(errors.contains("needs migrating (001 tickets and their history, 002 calls and routing decisions, 003 outbox, callbacks and campaigns, 004 outbox by ticket and by status, 005 tickets by status, events by transition, due times, 006 feedback calls, 007 campaign answers, 008 queue calls, 009 queue calls that left unanswered, and the queue_log read, 010 accounts, their sessions and the audit log); run helpline db migrate"), "\(errors)")
            let database = try HelplineDatabase(path: directory.appendingPathComponent("helpline.sqlite").path, migrate: false)
            #expect(try database.migrationStatus().applied.isEmpty, "still unmigrated")
        }

        @Test func serveRefusesADatabaseFromANewerHelpline() async throws {
            let directory = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("helpline.sqlite").path
            do {
                let database = try HelplineDatabase(path: path)
                try await database.writer.write { db in try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('900 from the future')") }
            }
            let (status, errors, _) = try await CLI.run(["serve", "--agi-listen", "127.0.0.1:0"], in: directory)
            #expect(status == 73)
            #expect(errors.contains("migrated by a newer Helpline"), "\(errors)")
            let (checkStatus, _, checked) = try await CLI.run(["db", "check"], in: directory)
            #expect(checkStatus == 1)
            #expect(checked.contains("900 from the future"))
        }
    }
}
