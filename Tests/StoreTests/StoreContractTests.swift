import Foundation
import HelplineDomain
import Store
import Testing

/// A store backend the contract tests run against, opened fresh for each test.
struct StoreBackend: Sendable, CustomTestStringConvertible {
    /// The name in the test's output.
    var name: String
    /// A fresh, empty, migrated store, and what keeps its files until the test ends.
    var open: @Sendable () throws -> (store: any HelplineStore, keep: (any Sendable)?)

    var testDescription: String { name }

    /// Every backend of the store. A second backend (PostgreSQL) is added here and must pass
    /// every contract test unchanged.
    static let all: [StoreBackend] = [
        StoreBackend(name: "SQLite file") {
            let file = try TemporaryDatabase()
            return (try file.open(), file)
        },
        StoreBackend(name: "SQLite in memory") {
            (TicketStore(database: try .inMemory()), nil)
        },
    ]
}

/// What every backend of the store promises, driven only through the store's protocols
/// (``HelplineStore``): the app, the IVR actions and the HTTP API see no more than this.
@Suite struct StoreContractTests {
    static let now = Date(timeIntervalSince1970: 1_795_300_000)  // 2026-11-22

    @Test(arguments: StoreBackend.all)
    func aComplaintIsRegisteredOncePerCallAndWalksTheLadder(_ backend: StoreBackend) async throws {
        let (store, keep) = try backend.open()
        defer { withExtendedLifetime(keep) {} }
        let decision = RoutingDecisionInput(callUniqueid: "c-1", inputsJSON: "{}", outcome: "queue", department: "water", queue: "water-l1@pbx1", priority: 0, reasons: ["category 'supply' belongs to department 'water'"])
        let created = try await store.createTicket(complaint("c-1"), decision: decision, actor: "ivr", note: nil, at: Self.now)
        #expect(created.created && created.ticket.status == .assigned)
        let again = try await store.createTicket(complaint("c-1", caller: "1111111111"), decision: decision, actor: "ivr", note: nil, at: Self.now)
        #expect(!again.created && again.ticket == created.ticket, "a retried session never makes a second ticket")
        let number = created.ticket.number
        #expect(TicketNumber.parse(number) == .valid(TicketNumber(serial: 100_000)))

        // Keyed back by a caller: found, mistyped (check digit) or unknown.
        #expect(try await store.lookup(keyed: number) == .found(created.ticket))
        let mistyped = String(number.dropLast()) + String((Int(String(number.last!))! + 1) % 10)
        #expect(try await store.lookup(keyed: mistyped) == .mistyped)

        // Resolved, sent back by the citizen, resolved again, sent back: L2.
        try await store.apply(.resolve, to: number, actor: "l1-water-07", note: "Pipe repaired", dueAt: nil, officer: nil, callUniqueid: nil, notifications: nil, at: Self.now)
        try await store.apply(.feedback(satisfied: false), to: number, actor: "ivr", note: nil, dueAt: nil, officer: nil, callUniqueid: "f-1", notifications: nil, at: Self.now)
        try await store.apply(.resolve, to: number, actor: "l1-water-07", note: "Valve replaced", dueAt: nil, officer: nil, callUniqueid: nil, notifications: nil, at: Self.now)
        let escalated = try await store.apply(.feedback(satisfied: false), to: number, actor: "ivr", note: nil, dueAt: nil, officer: "l2-water", callUniqueid: "f-2", notifications: nil, at: Self.now)
        #expect(escalated.status == .escalated && escalated.level == .l2 && escalated.assignedOfficer == "l2-water")
        await #expect(throws: InvalidTicketTransition.self) {
            try await store.apply(.feedback(satisfied: true), to: number, actor: "ivr", note: nil, dueAt: nil, officer: nil, callUniqueid: nil, notifications: nil, at: Self.now)
        }

        let history = try #require(try await store.history(number: number))
        #expect(history.events.map(\.transition) == ["registered", "assigned", "resolved", "reopened", "resolved", "escalated"])
        #expect(history.decisions.map(\.reasonList) == [["category 'supply' belongs to department 'water'"]])
        #expect(try await store.openTickets(callerNumber: "9876543210").map(\.number) == [number])
        #expect(try await store.tickets(department: "water", status: .escalated, level: .l2, limit: 10, offset: 0).map(\.number) == [number])
        #expect(try await store.tickets(department: "roads", statuses: [], level: nil, limit: 10, offset: 0).isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func aCallIsRecordedWithItsDecisionsAndACallbackIsOwed(_ backend: StoreBackend) async throws {
        let (store, keep) = try backend.open()
        defer { withExtendedLifetime(keep) {} }
        let decision = RoutingDecisionInput(callUniqueid: "c-2", inputsJSON: "{}", outcome: "callback", department: "water", queue: "water-l1@pbx1", priority: 0, reasons: ["no seat is logged in to water-l1@pbx1"])
        try await store.recordCall(CallRecord(uniqueid: "c-2", caller: "9876543210", dnid: "1076", language: "hi", script: "inbound", path: ["welcome", "language"], outcome: "callback", startedAt: Self.now), decisions: [(decision, Self.now)])
        #expect(try await store.call(uniqueid: "c-2")?.path == #"["welcome","language"]"#)
        #expect(try await store.decisions(callUniqueid: "c-2").map(\.outcome) == ["callback"])

        let id = try await store.addCallback(callerNumber: "9876543210", callUniqueid: "c-2", department: "water", queue: "water-l1", reason: "IVR: callback", ticket: nil, dueAt: nil, at: Self.now)
        let again = try await store.addCallback(callerNumber: "9876543210", callUniqueid: "c-3", department: "water", queue: "water-l1", reason: "abandoned queue water-l1", ticket: nil, dueAt: nil, at: Self.now)
        #expect(again == id, "one callback owed per number")
        #expect(try await store.pendingCallbacks(limit: 10).map(\.callerNumber) == ["9876543210"])
        let due = try await store.dueOutboundCalls(at: Self.now.addingTimeInterval(1), limit: 10)
        #expect(due.map(\.phone) == ["9876543210"])
        let call = try #require(due.first)
        #expect(try await store.claim(call, at: Self.now))
        #expect(try await !store.claim(call, at: Self.now), "a call is claimed once")
    }

    @Test(arguments: StoreBackend.all)
    func anOutboxMessageIsClaimedOnceAndSentOnce(_ backend: StoreBackend) async throws {
        let (store, keep) = try backend.open()
        defer { withExtendedLifetime(keep) {} }
        let message = OutboxMessage(kind: .sms, destination: "9876543210", payload: #"{"text":"resolved"}"#, idempotencyKey: "sms-1")
        try await store.enqueue([message], ticketID: nil, at: Self.now)
        #expect(try await store.pendingOutboxCount() == 1)
        let claimed = try await store.claimDueOutbox(limit: 10, lease: .seconds(30), at: Self.now)
        #expect(claimed.map(\.idempotencyKey) == ["sms-1"])
        #expect(try await store.claimDueOutbox(limit: 10, lease: .seconds(30), at: Self.now).isEmpty, "leased: not claimed twice")
        try await store.recordSent(claimed[0].id, at: Self.now)
        #expect(try await store.pendingOutboxCount() == 0)
        #expect(try await store.outbox(status: .sent, limit: 10).map(\.idempotencyKey) == ["sms-1"])
    }

    @Test(arguments: StoreBackend.all)
    func queueCallsAddUpToTheDailyFigures(_ backend: StoreBackend) async throws {
        let (store, keep) = try backend.open()
        defer { withExtendedLifetime(keep) {} }
        try await store.recordQueueEvent(.joined(uniqueid: "q-1", queue: "water-l1", department: "water", callerNumber: "9876543210"), pbx: "pbx1", at: Self.now)
        try await store.recordQueueEvent(.answered(uniqueid: "q-1", queue: "water-l1", waited: 12, member: "PJSIP/1001"), pbx: "pbx1", at: Self.now)
        try await store.recordQueueEvent(.completed(uniqueid: "q-1", queue: "water-l1", talked: 95), pbx: "pbx1", at: Self.now)
        try await store.recordQueueEvent(.joined(uniqueid: "q-2", queue: "water-l1", department: "water", callerNumber: nil), pbx: "pbx1", at: Self.now)
        try await store.recordQueueEvent(.abandoned(uniqueid: "q-2", queue: "water-l1", waited: 40), pbx: "pbx1", at: Self.now)
        let figures = try await store.dailyCallFigures(from: Self.now.addingTimeInterval(-86_400), to: Self.now.addingTimeInterval(86_400), utcOffset: 19_800, threshold: 20)
        let water = try #require(figures.first { $0.department == "water" })
        #expect((water.offered, water.answered, water.abandoned, water.answeredWithinThreshold) == (2, 1, 1, 1))
        #expect(water.averageTalk == 95)
        #expect(try await store.ticketCount() == 0)
    }
}
