import Foundation
import GRDB
@testable import Store
import HelplineDomain
import Testing

@Suite struct BackupTests {
    @Test func aBackupTakenDuringHeavyWritesOpensAndIsConsistent() async throws {
        let file = try TemporaryDatabase()
        let store = try file.open()
        for index in 0..<200 { _ = try await store.createTicket(complaint("seed\(index)"), actor: "ivr") }

        let copies = (0..<3).map { file.folder.appendingPathComponent("backup-\($0).sqlite").path }
        let written = try await withThrowingTaskGroup(of: Int.self) { group in
            for writer in 0..<32 {
                group.addTask {
                    var count = 0
                    for index in 0..<60 {
                        let number = try await store.createTicket(complaint("w\(writer)-\(index)"), actor: "ivr").ticket.number
                        try await store.apply(.resolve, to: number, actor: "o")
                        count += 1
                    }
                    return count
                }
            }
            group.addTask {
                for copy in copies {
                    try await Task.sleep(for: .milliseconds(50))
                    try store.database.backup(to: copy)
                }
                return 0
            }
            return try await group.reduce(0, +)
        }
        #expect(written == 32 * 60)

        var previous = 0
        for copy in copies {
            let backup = try HelplineDatabase(path: copy)
            #expect(try backup.integrityProblems().isEmpty)
            let (tickets, events, resolvedWithoutEvent) = try await backup.writer.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tickets") ?? 0,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ticket_events") ?? 0,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tickets t WHERE status = 'resolved' AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.transition = 'resolved')") ?? 0
                )
            }
            #expect(tickets >= 200)
            #expect(tickets >= previous, "later copies hold at least as much")
            #expect(resolvedWithoutEvent == 0, "a snapshot never splits a transaction")
            #expect(events >= tickets * 2, "every ticket has registered and assigned events")
            previous = tickets
        }
    }

    @Test func aBackupNeverOverwrites() async throws {
        let file = try TemporaryDatabase()
        let store = try file.open()
        let target = file.folder.appendingPathComponent("existing.sqlite").path
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: target))
        #expect(throws: StoreError.self) { try store.database.backup(to: target) }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep me")
        let missingFolder = file.folder.appendingPathComponent("no/such/folder/copy.sqlite").path
        #expect(throws: StoreError.self) { try store.database.backup(to: missingFolder) }
    }
}
