import Foundation
import GRDB
import Synchronization
import Store
import Testing

/// Polls `condition` every 5 ms for up to 30 s.
func waitFor(_ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("the condition did not hold within 30 s")
            return
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Writes nobody listens for (a call's row) ride in other writes' transactions, and the WAL is
/// copied back into the file off the writer's thread.
@Suite struct BackgroundWritesTests {
    static func call(_ uniqueid: String) -> CallRecord {
        CallRecord(
            uniqueid: uniqueid, linkedid: uniqueid, caller: "9876543210", dnid: "1076", language: "hi", script: "inbound",
            path: ["welcome", "route"], outcome: "handed_off:queue", startedAt: Date(timeIntervalSince1970: 1_795_000_000))
    }

    /// A call's row waits for the next write's transaction and commits in it: one sync for
    /// both, and the row's caller resumes only once it is durable.
    @Test func aCallRowRidesInTheNextWritesTransaction() async throws {
        let file = try TemporaryDatabase()
        let store = TicketStore(database: try HelplineDatabase(path: file.path), deferral: .seconds(60))
        let recorded = Task { try await store.recordCall(Self.call("1795000000.1")) }
        try await waitFor { store.groupCommitStatistics.waiting == 1 }
        #expect(store.groupCommitStatistics.transactions == 0)
        #expect(try await store.call(uniqueid: "1795000000.1") == nil, "deferred: not written before another write's transaction")
        let ticket = try await store.createTicket(complaint("1795000000.1"), actor: "ivr").ticket
        try await recorded.value
        let statistics = store.groupCommitStatistics
        #expect(statistics.transactions == 1, "\(statistics)")
        #expect(statistics.writes == 2)
        #expect(statistics.waiting == 0)
        // Returned means committed: another connection sees both.
        let other = try DatabaseQueue(path: file.path)
        let (calls, tickets) = try await other.read { db in
            (try String.fetchAll(db, sql: "SELECT uniqueid FROM calls"), try String.fetchAll(db, sql: "SELECT number FROM tickets"))
        }
        #expect(calls == ["1795000000.1"])
        #expect(tickets == [ticket.number])
    }

    /// Alone, a call's row is written once its deferral has passed.
    @Test func aCallRowAloneIsWrittenAfterItsDeferral() async throws {
        let file = try TemporaryDatabase()
        let store = TicketStore(database: try HelplineDatabase(path: file.path), deferral: .seconds(1))
        let recorded = Task { try await store.recordCall(Self.call("1795000000.2")) }
        // Seen waiting (or, on a machine too busy to look within the second, already written).
        try await waitFor { store.groupCommitStatistics.waiting == 1 || store.groupCommitStatistics.transactions == 1 }
        try await recorded.value
        #expect(try await store.call(uniqueid: "1795000000.2")?.outcome == "handed_off:queue")
        let statistics = store.groupCommitStatistics
        #expect(statistics.transactions == 1 && statistics.writes == 1 && statistics.waiting == 0, "\(statistics)")
    }

    /// Many calls ending while tickets are created: every row is stored and each caller
    /// resumes; the rows share the tickets' transactions.
    @Test func callRowsAndTicketsTogetherAreAllStored() async throws {
        let file = try TemporaryDatabase()
        let store = try file.open()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<100 {
                group.addTask { try await store.recordCall(Self.call("1795000001.\(index)")) }
                group.addTask { _ = try await store.createTicket(complaint("1795000002.\(index)"), actor: "ivr") }
            }
            try await group.waitForAll()
        }
        let statistics = store.groupCommitStatistics
        #expect(statistics.writes == 200)
        #expect(statistics.transactions < 100, "\(statistics)")
        let calls = try await store.database.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM calls") }
        #expect(calls == 100)
    }

    /// WAL frames in the file at `path`'s WAL (its header is 32 bytes, each frame a 24-byte
    /// header and a 4 KiB page).
    static func walFrames(_ path: String) throws -> Int {
        let size = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        return max(0, size - 32) / (24 + 4096)
    }

    /// With background checkpoints the writer leaves the WAL alone past SQLite's 1,000 pages;
    /// a checkpoint copies all of it, and the next write starts the WAL from its beginning.
    @Test func theWriterLeavesCheckpointsToTheCheckpointer() async throws {
        let file = try TemporaryDatabase()
        let database = try HelplineDatabase(path: file.path, checkpoints: .background)
        let autocheckpoint = try await database.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") }
        #expect(autocheckpoint == HelplineDatabase.backgroundCheckpointSafetyPages)
        let store = TicketStore(database: database)
        var created = 0
        while try Self.walFrames(file.path) < 1_500 {
            _ = try await store.createTicket(complaint("1795000003.\(created)"), actor: "ivr")
            created += 1
        }
        let checkpointer = try WALCheckpointer(path: file.path)
        let copied = try await checkpointer.checkpoint()
        #expect(copied.walFrames >= 1_500, "the writer did not checkpoint at 1,000 pages")
        #expect(copied.checkpointedFrames == copied.walFrames)
        _ = try await store.createTicket(complaint("1795000003.last"), actor: "ivr")
        let after = try await checkpointer.checkpoint()
        #expect(after.walFrames < 100, "the WAL starts again from its beginning: \(after)")
        let tickets = try await DatabaseQueue(path: file.path).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tickets") }
        #expect(tickets == created + 1)
    }

    /// By default SQLite's own checkpoint keeps the WAL near 1,000 pages.
    @Test func byDefaultTheWriterCheckpoints() async throws {
        let file = try TemporaryDatabase()
        let store = try file.open()
        for index in 0..<400 {
            _ = try await store.createTicket(complaint("1795000004.\(index)"), actor: "ivr")
        }
        let frames = try await WALCheckpointer(path: file.path).checkpoint().walFrames
        #expect(frames < 1_200, "\(frames) frames")
    }

    /// Running, the checkpointer copies pages into the database file while tickets are
    /// written (the writer does not), and checkpoints once more when its task is cancelled.
    @Test func aRunningCheckpointerCopiesWhileTicketsAreWritten() async throws {
        let file = try TemporaryDatabase()
        let store = TicketStore(database: try HelplineDatabase(path: file.path, checkpoints: .background))
        let fileSize = { (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0 }
        let initial = try fileSize()
        let checkpointer = try WALCheckpointer(path: file.path)
        let failures = Mutex<[String]>([])
        let running = Task { await checkpointer.run(every: .milliseconds(5)) { error in failures.withLock { $0.append("\(error)") } } }
        var created = 0
        while try fileSize() == initial || created < 100 {
            guard created < 5_000 else {
                Issue.record("5,000 tickets written and nothing checkpointed into the file: \(failures.withLock { $0 })")
                break
            }
            _ = try await store.createTicket(complaint("1795000005.\(created)"), actor: "ivr")
            created += 1
        }
        #expect(try Self.walFrames(file.path) < HelplineDatabase.backgroundCheckpointSafetyPages, "the writer has not checkpointed yet")
        running.cancel()
        await running.value
        #expect(failures.withLock { $0 }.isEmpty, "the last checkpoint runs after the cancellation too")
        let pages = try await store.database.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
        #expect(try fileSize() == pages * 4096, "every page is in the file")
    }
}
