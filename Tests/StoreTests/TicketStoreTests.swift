import Foundation
import GRDB
@testable import Store
import HelplineDomain
import Testing

/// A database file in a fresh temporary folder, removed with it.
final class TemporaryDatabase: Sendable {
    let folder: URL
    var path: String { folder.appendingPathComponent("helpline.sqlite").path }

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("helpline-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    func open() throws -> TicketStore { TicketStore(database: try HelplineDatabase(path: path)) }
}

func complaint(_ uniqueid: String?, caller: String = "9876543210", department: String = "water", officer: String? = "l1-water-07") -> NewTicket {
    NewTicket(source: .ivr, callerNumber: caller, language: "hi", district: "07", department: department, category: "supply", descriptionRecording: "/var/spool/asterisk/complaints/\(uniqueid ?? "x").wav", callUniqueid: uniqueid, officer: officer)
}

@Suite struct TicketStoreTests {
    @Test func createsATicketWithItsHistoryAndDecisionInOneGo() async throws {
        let file = try TemporaryDatabase()
        let store = try file.open()
        let decision = RoutingDecisionInput(callUniqueid: "1732200000.1", inputsJSON: #"{"category":"supply","district":"07"}"#, outcome: "queue", department: "water", queue: "water-l1", priority: 5, reasons: ["category supply belongs to water", "3 seats free"])
        let created = try await store.createTicket(complaint("1732200000.1"), decision: decision, actor: "ivr")
        #expect(created.created)
        #expect(created.ticket.number == "1000002", "the first serial is 100000")
        #expect(created.ticket.status == .assigned)
        #expect(created.ticket.assignedOfficer == "l1-water-07")

        let history = try #require(try await store.history(number: created.ticket.number))
        #expect(history.events.map(\.transition) == ["registered", "assigned"])
        #expect(history.events.allSatisfy { $0.actor == "ivr" })
        #expect(history.decisions.count == 1)
        #expect(history.decisions.first?.reasonList == ["category supply belongs to water", "3 seats free"])
        #expect(history.decisions.first?.queue == "water-l1")

        let second = try await store.createTicket(complaint("1732200000.2", officer: nil), actor: "ivr")
        #expect(second.ticket.number == TicketNumber(serial: 100_001).description)
        #expect(second.ticket.status == .registered)
    }

    @Test func theSameCallTwiceGivesOneTicket() async throws {
        let file = try TemporaryDatabase()
        let store = try file.open()
        let first = try await store.createTicket(complaint("1732200000.7"), actor: "ivr")
        let again = try await store.createTicket(complaint("1732200000.7", caller: "1111111111"), actor: "ivr")
        #expect(!again.created)
        #expect(again.ticket == first.ticket)
        // Concurrent retries land in the same transaction: still one ticket.
        let results = try await withThrowingTaskGroup(of: TicketCreation.self) { group in
            for _ in 0..<20 { group.addTask { try await store.createTicket(complaint("1732200000.8"), actor: "ivr") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(results.map(\.ticket.number)).count == 1)
        #expect(results.filter(\.created).count == 1)
        let count = try await store.database.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tickets") }
        #expect(count == 2)
    }

    @Test func walksTheLadderAndRecordsEveryStep() async throws {
        let store = TicketStore(database: try .inMemory())
        let number = try await store.createTicket(complaint("c1"), actor: "ivr").ticket.number
        let due = Date(timeIntervalSince1970: 1_800_000_000)
        try await store.apply(.resolve, to: number, actor: "l1-water-07", note: "pipe repaired")
        var ticket = try await store.apply(.feedback(satisfied: false), to: number, actor: "ivr", dueAt: due, callUniqueid: "fb1")
        #expect(ticket.status == .reopened)
        #expect(ticket.resolvedAt == nil)
        #expect(ticket.dueAt == due)
        try await store.apply(.resolve, to: number, actor: "l1-water-07")
        ticket = try await store.apply(.feedback(satisfied: false), to: number, actor: "ivr", callUniqueid: "fb2")
        #expect(ticket.status == .escalated)
        #expect(ticket.level == .l2)
        try await store.apply(.reassign(officer: "l2-water"), to: number, actor: "admin")
        ticket = try await store.apply(.resolve, to: number, actor: "l2-water")
        #expect(ticket.resolvedAt != nil)
        ticket = try await store.apply(.feedback(satisfied: true), to: number, actor: "ivr", callUniqueid: "fb3")
        #expect(ticket.status == .closed)
        #expect(ticket.closedAt != nil)
        #expect(ticket.assignedOfficer == "l2-water")

        let history = try #require(try await store.history(number: number))
        #expect(history.events.map(\.transition) == ["registered", "assigned", "resolved", "reopened", "resolved", "escalated", "reassigned", "resolved", "closed"])
        #expect(history.events[2].note == "pipe repaired")
        #expect(history.events[6].note == "assigned to l2-water")
        let feedback = try await store.database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT level, satisfied, call_uniqueid FROM feedback ORDER BY id").map { "\($0[0] as String)/\($0[1] as Bool)/\($0[2] as String)" }
        }
        #expect(feedback == ["L1/false/fb1", "L1/false/fb2", "L2/true/fb3"])
    }

    @Test func anInvalidTransitionChangesNothing() async throws {
        let store = TicketStore(database: try .inMemory())
        let number = try await store.createTicket(complaint("c1", officer: nil), actor: "ivr").ticket.number
        await #expect(throws: InvalidTicketTransition.self) {
            try await store.apply(.feedback(satisfied: true), to: number, actor: "ivr")
        }
        let history = try #require(try await store.history(number: number))
        #expect(history.ticket.status == .registered)
        #expect(history.events.count == 1)
        let feedbackRows = try await store.database.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM feedback") }
        #expect(feedbackRows == 0, "the feedback row is rolled back with the refused transition")
    }

    @Test func numbersAreToldApart() async throws {
        let store = TicketStore(database: try .inMemory())
        let number = try await store.createTicket(complaint("c1"), actor: "ivr").ticket.number
        guard case .found(let ticket) = try await store.lookup(keyed: number) else { Issue.record("not found"); return }
        #expect(ticket.number == number)
        #expect(try await store.lookup(keyed: TicketNumber(serial: 555_555).description) == .unknown)
        var mistyped = Array(number)
        mistyped.swapAt(1, 2)
        mistyped[1] = mistyped[1] == "9" ? "8" : "9"
        #expect(try await store.lookup(keyed: String(mistyped)) == .mistyped)
        #expect(try await store.lookup(keyed: "12ab") == .malformed)
        await #expect(throws: StoreError.unknownTicket(TicketNumber(serial: 555_555).description)) {
            try await store.apply(.resolve, to: TicketNumber(serial: 555_555).description, actor: "x")
        }
    }

    @Test func numbersAreNeverReusedAfterDeletionOrRestart() async throws {
        let file = try TemporaryDatabase()
        var numbers: [String] = []
        do {
            let store = try file.open()
            for call in 0..<3 { numbers.append(try await store.createTicket(complaint("u\(call)"), actor: "ivr").ticket.number) }
            try await store.database.writer.write { db in try db.execute(sql: "DELETE FROM tickets") }
        }
        let reopened = try file.open()
        let next = try await reopened.createTicket(complaint("u9"), actor: "ivr").ticket.number
        #expect(!numbers.contains(next))
        #expect(next == TicketNumber(serial: 100_003).description)
    }

    @Test func queriesServeTheDeskAndTheDashboard() async throws {
        let store = TicketStore(database: try .inMemory())
        let day = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18 (UTC)
        var water: [String] = []
        for index in 0..<5 {
            let created = try await store.createTicket(
                NewTicket(source: .ivr, callerNumber: index < 2 ? "900" : "901", language: "en", department: "water", callUniqueid: "w\(index)", officer: "o", dueAt: day.addingTimeInterval(3600)),
                actor: "ivr", at: day.addingTimeInterval(Double(index) * 60))
            water.append(created.ticket.number)
        }
        _ = try await store.createTicket(NewTicket(source: .api, callerNumber: "900", language: "en", department: "roads"), actor: "web", at: day.addingTimeInterval(86_400))
        try await store.apply(.resolve, to: water[0], actor: "o", at: day.addingTimeInterval(600))
        try await store.apply(.feedback(satisfied: true), to: water[0], actor: "ivr", at: day.addingTimeInterval(700))

        #expect(try await store.openTickets(callerNumber: "900").count == 2, "water[1] and the roads ticket")
        let page1 = try await store.tickets(department: "water", status: .assigned, level: .l1, limit: 2)
        let page2 = try await store.tickets(department: "water", status: .assigned, level: .l1, limit: 2, offset: 2)
        #expect(page1.map(\.number) == Array(water[1...2]))
        #expect(page2.map(\.number) == Array(water[3...4]))
        let overdue = try await store.overdueTickets(at: day.addingTimeInterval(7200))
        #expect(overdue.map(\.number).sorted() == water[1...4].sorted(), "closed tickets are never overdue")
        #expect(try await store.overdueTickets(at: day).isEmpty)

        let counts = try await store.dailyCounts(from: day.addingTimeInterval(-86_400), to: day.addingTimeInterval(3 * 86_400))
        #expect(counts.contains(DailyCount(day: "2026-11-18", department: "water", status: .assigned, count: 4)))
        #expect(counts.contains(DailyCount(day: "2026-11-18", department: "water", status: .closed, count: 1)))
        #expect(counts.contains(DailyCount(day: "2026-11-19", department: "roads", status: .registered, count: 1)))
        #expect(counts.reduce(0) { $0 + $1.count } == 6)
    }

    @Test func callsAndDecisionsAreKeptPerCall() async throws {
        let store = TicketStore(database: try .inMemory())
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        try await store.recordCall(CallRecord(uniqueid: "k1", linkedid: "k1", caller: "900", dnid: "1076", language: "hi", script: "inbound", path: ["welcome"], startedAt: start))
        try await store.recordDecision(RoutingDecisionInput(callUniqueid: "k1", inputsJSON: "{}", outcome: "callback", department: "water", reasons: ["no seat logged in"]))
        try await store.recordCall(CallRecord(uniqueid: "k1", linkedid: "k1", caller: "900", dnid: "1076", language: "hi", script: "inbound", path: ["welcome", "language", "callback"], outcome: "callback", startedAt: start, endedAt: start.addingTimeInterval(42)))
        let call = try #require(try await store.call(uniqueid: "k1"))
        #expect(call.path == #"["welcome","language","callback"]"#)
        #expect(call.outcome == "callback")
        let decisions = try await store.decisions(callUniqueid: "k1")
        #expect(decisions.map(\.outcome) == ["callback"])
        await #expect(throws: (any Error).self, "inputs must be JSON") {
            try await store.recordDecision(RoutingDecisionInput(callUniqueid: "k1", inputsJSON: "{not json", outcome: "queue"))
        }
    }

    @Test func oneFailingWriteDoesNotSinkItsBatch() async throws {
        let file = try TemporaryDatabase()
        let store = try file.open()
        let numbers = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<200 {
                group.addTask {
                    if index % 10 == 0 {
                        // Refused inside the shared transaction: rolls back alone.
                        _ = try? await store.apply(.resolve, to: TicketNumber(serial: 1).description, actor: "x")
                        return nil
                    }
                    return try await store.createTicket(complaint("b\(index)"), actor: "ivr").ticket.number
                }
            }
            return try await group.reduce(into: [String]()) { if let number = $1 { $0.append(number) } }
        }
        #expect(numbers.count == 180)
        #expect(Set(numbers).count == 180)
        let statistics = store.groupCommitStatistics
        #expect(statistics.writes == 200)
        #expect(statistics.transactions < 100, "200 concurrent writes shared transactions: \(statistics)")
        #expect(statistics.largestBatch > 1)
        // Returned means committed: another connection sees every acknowledged ticket.
        let other = try DatabaseQueue(path: file.path)
        let seen = try await other.read { db in Set(try String.fetchAll(db, sql: "SELECT number FROM tickets")) }
        #expect(seen == Set(numbers))
        let count = try await store.database.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tickets") }
        #expect(count == 180)
        let events = try await store.database.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ticket_events") }
        #expect(events == 360)
    }

    @Test func historyIsAppendOnly() async throws {
        let store = TicketStore(database: try .inMemory())
        _ = try await store.createTicket(complaint("c1"), actor: "ivr")
        await #expect(throws: DatabaseError.self) {
            try await store.database.writer.write { db in try db.execute(sql: "UPDATE ticket_events SET actor = 'someone else'") }
        }
    }
}
