import Foundation
import Store
import HelplineDomain
import Testing

@Suite struct OutboundCallsTests {
    static let t0 = Date(timeIntervalSince1970: 1_795_300_000)

    @Test func aResolutionOwesAFeedbackCallAndTheAnswerEndsIt() async throws {
        let file = try TemporaryDatabase()
        let store = try file.open()
        let number = try await store.createTicket(complaint("fb.1"), actor: "ivr").ticket.number
        #expect(try await store.dueOutboundCalls(at: Self.t0.addingTimeInterval(60)).isEmpty, "nothing is owed before a resolution")

        try await store.apply(.resolve, to: number, actor: "cli:ana", note: "pipe repaired", at: Self.t0)
        let due = try await store.dueOutboundCalls(at: Self.t0.addingTimeInterval(1))
        #expect(due.count == 1)
        let call = try #require(due.first)
        #expect(call.kind == .feedback && call.ticketNumber == number && call.phone == "9876543210" && call.language == "hi" && call.district == "07")
        #expect(try await store.dueOutboundCalls(at: Self.t0.addingTimeInterval(-1)).isEmpty, "not due before the resolution")

        // Claimed once only: a second scheduler (or a second loop) does not dial it again.
        #expect(try await store.claim(call))
        #expect(try await store.claim(call) == false)
        #expect(try await store.dueOutboundCalls(at: Self.t0.addingTimeInterval(1)).isEmpty)

        // No answer: pending again later, one attempt counted.
        try await store.finish(call, result: .noAnswer, retryAt: Self.t0.addingTimeInterval(1800))
        #expect(try await store.feedbackCalls(ticket: number).map(\.status) == ["pending"])
        #expect(try await store.dueOutboundCalls(at: Self.t0.addingTimeInterval(1799)).isEmpty)
        let again = try #require(try await store.dueOutboundCalls(at: Self.t0.addingTimeInterval(1800)).first)
        #expect(again.attempts == 1)

        // The citizen answers (on that call or another way): the ladder moves, nothing is left to ask.
        try await store.apply(.feedback(satisfied: false), to: number, actor: "ivr")
        #expect(try await store.feedbackCalls(ticket: number).map(\.status) == ["cancelled"])
        #expect(try await store.dueOutboundCalls(at: Self.t0.addingTimeInterval(9999)).isEmpty)

        // The next resolution owes a new call.
        try await store.apply(.resolve, to: number, actor: "cli:ana", at: Self.t0.addingTimeInterval(7200))
        #expect(try await store.feedbackCalls(ticket: number).map(\.status) == ["cancelled", "pending"])
    }

    @Test func outcomesEndOrRetryAClaimedCall() async throws {
        let file = try TemporaryDatabase()
        let store = try file.open()
        let first = try await store.addCallback(callerNumber: "9000000001", callUniqueid: "cb.1", department: "water", queue: "water-l1", reason: "abandoned the queue", at: Self.t0)
        let second = try await store.addCallback(callerNumber: "9000000002", callUniqueid: "cb.2", department: "roads", queue: nil, reason: "hung up at district", at: Self.t0.addingTimeInterval(5))
        let due = try await store.dueOutboundCalls(at: Self.t0.addingTimeInterval(10))
        #expect(due.map(\.id) == [first, second], "in the order they were owed")
        #expect(due.first?.queue == "water-l1" && due.first?.department == "water")

        for call in due { #expect(try await store.claim(call)) }
        try await store.finish(due[0], result: .answered, retryAt: nil)
        try await store.finish(due[1], result: .busy, retryAt: nil)
        #expect(try await store.callback(id: first)?.status == "done")
        let failed = try #require(try await store.callback(id: second))
        #expect(failed.status == "failed" && failed.attempts == 1 && failed.lastResult == "busy")

        // A finished call is not finished twice (a late OriginateResponse changes nothing).
        try await store.finish(due[0], result: .noAnswer, retryAt: Self.t0)
        #expect(try await store.callback(id: first)?.status == "done")
    }

    @Test func callbacksToTheSameNumberAreMerged() async throws {
        let file = try TemporaryDatabase()
        let store = try file.open()
        let first = try await store.addCallback(callerNumber: "9000000003", callUniqueid: "m.1", department: nil, queue: nil, reason: "hung up at category", at: Self.t0)
        let second = try await store.addCallback(callerNumber: "9000000003", callUniqueid: "m.2", department: "water", queue: "water-l1", reason: "abandoned the queue", at: Self.t0.addingTimeInterval(60))
        #expect(first == second)
        let merged = try #require(try await store.dueOutboundCalls(at: Self.t0.addingTimeInterval(61)).first)
        #expect(merged.department == "water" && merged.queue == "water-l1")
        #expect(merged.dueAt == Self.t0, "it keeps its place")
        #expect(try await store.callback(id: first)?.reason == "hung up at category; abandoned the queue")

        // Once made, a new callback to that number is a new entry.
        #expect(try await store.claim(merged))
        try await store.finish(merged, result: .answered, retryAt: nil)
        let third = try await store.addCallback(callerNumber: "9000000003", callUniqueid: "m.3", department: "water", queue: nil, reason: "abandoned again", at: Self.t0.addingTimeInterval(600))
        #expect(third != first)
    }

    @Test func callsInterruptedByARestartGoBackToTheList() async throws {
        let file = try TemporaryDatabase()
        let number: String
        do {
            let store = try file.open()
            number = try await store.createTicket(complaint("r.1"), actor: "ivr").ticket.number
            try await store.apply(.resolve, to: number, actor: "cli:ana", at: Self.t0)
            _ = try await store.addCallback(callerNumber: "9000000004", callUniqueid: "r.2", department: "water", queue: "water-l1", reason: "offer accepted", at: Self.t0)
            for call in try await store.dueOutboundCalls(at: Self.t0) { #expect(try await store.claim(call)) }
            #expect(try await store.dueOutboundCalls(at: Self.t0.addingTimeInterval(9999)).isEmpty)
        }
        // A new daemon on the same file.
        let store = try file.open()
        #expect(try await store.recoverInterruptedCalls(retryAt: Self.t0.addingTimeInterval(300)) == 2)
        let due = try await store.dueOutboundCalls(at: Self.t0.addingTimeInterval(300))
        #expect(due.map(\.kind).sorted { $0.rawValue < $1.rawValue } == [.callback, .feedback])
        #expect(due.allSatisfy { $0.attempts == 1 })
        #expect(try await store.feedbackCalls(ticket: number).first?.lastResult == "the daemon stopped while dialling: outcome unknown")
    }
}
