import Foundation
import GRDB
@testable import Store
import HelplineDomain
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

/// Writes nobody waits on meanwhile (a call's row) ride in other writes' transactions.
@Suite struct DeferredWritesTests {
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
}
