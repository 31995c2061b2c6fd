import Foundation
import GRDB
import Store
import HelplineDomain
import Testing

/// A policy like the daemon's: on a resolution, an SMS to the caller and a webhook.
let resolutionPolicy = NotificationPolicy { change in
    guard case .resolve = change.action else { return [] }
    let key = "resolve-\(change.ticket.number)-\(change.eventID)"
    return [
        OutboxMessage(kind: .sms, destination: change.ticket.callerNumber, payload: #"{"message":"resolved"}"#, idempotencyKey: key + "-sms"),
        OutboxMessage(kind: .webhook, destination: "http://portal.example/\(change.ticket.department)", payload: "{}", idempotencyKey: key + "-webhook"),
    ]
}

@Suite struct OutboxStoreTests {
    @Test func aResolutionWritesItsEventAndItsMessagesInOneTransaction() async throws {
        let file = try TemporaryDatabase()
        let store = try file.open()
        let number = try await store.createTicket(complaint("outbox.1"), actor: "ivr").ticket.number
        let before = store.groupCommitStatistics.transactions
        let resolved = try await store.apply(.resolve, to: number, actor: "cli:ana", note: "pipe repaired", notifications: resolutionPolicy)
        #expect(resolved.status == .resolved)
        #expect(store.groupCommitStatistics.transactions == before + 1, "one transaction for the change and its messages")

        let history = try #require(try await store.history(number: number))
        let event = try #require(history.events.last)
        #expect(event.transition == "resolved")
        let messages = try await store.outbox(ticketNumber: number)
        #expect(messages.map(\.kind) == [.sms, .webhook])
        #expect(messages.map(\.idempotencyKey) == ["resolve-\(number)-\(event.id)-sms", "resolve-\(number)-\(event.id)-webhook"])
        #expect(messages.allSatisfy { $0.status == .pending && $0.attempts == 0 && $0.ticketNumber == number })
        #expect(messages.first?.destination == "9876543210")
        #expect(messages.allSatisfy { $0.createdAt == event.at })

        // Other changes queue nothing through the same policy.
        try await store.apply(.note, to: number, actor: "cli:ana", note: "called the citizen", notifications: resolutionPolicy)
        #expect(try await store.outbox(ticketNumber: number).count == 2)
    }

    @Test func aRefusedResolutionWritesNoMessage() async throws {
        let file = try TemporaryDatabase()
        let store = try file.open()
        // Registered, not assigned: resolving is refused.
        let number = try await store.createTicket(complaint("outbox.2", officer: nil), actor: "ivr").ticket.number
        await #expect(throws: InvalidTicketTransition.self) {
            try await store.apply(.resolve, to: number, actor: "cli:ana", note: "too early", notifications: resolutionPolicy)
        }
        #expect(try await store.outbox().isEmpty)
        #expect(try await store.history(number: number)?.events.map(\.transition) == ["registered"])
    }

    @Test func aMessageThatCannotBeStoredRollsTheResolutionBack() async throws {
        let file = try TemporaryDatabase()
        let store = try file.open()
        let number = try await store.createTicket(complaint("outbox.3"), actor: "ivr").ticket.number
        try await store.enqueue([OutboxMessage(kind: .sms, destination: "1", payload: "{}", idempotencyKey: "taken")])
        let clashing = NotificationPolicy { _ in [OutboxMessage(kind: .sms, destination: "9876543210", payload: "{}", idempotencyKey: "taken")] }
        await #expect(throws: DatabaseError.self) {
            try await store.apply(.resolve, to: number, actor: "cli:ana", note: "fixed", notifications: clashing)
        }
        let ticket = try #require(try await store.ticket(number: number))
        #expect(ticket.status == .assigned, "the resolution was rolled back with its messages")
        #expect(try await store.history(number: number)?.events.count == 2)
        #expect(try await store.outbox().count == 1)
    }

    @Test func idempotencyKeysAreUniqueAcrossResolutions() async throws {
        let file = try TemporaryDatabase()
        let store = try file.open()
        let number = try await store.createTicket(complaint("outbox.4"), actor: "ivr").ticket.number
        try await store.apply(.resolve, to: number, actor: "l1", note: "first", notifications: resolutionPolicy)
        try await store.apply(.feedback(satisfied: false), to: number, actor: "ivr")
        try await store.apply(.resolve, to: number, actor: "l1", note: "second", notifications: resolutionPolicy)
        let keys = try await store.outbox(ticketNumber: number).map(\.idempotencyKey)
        #expect(keys.count == 4)
        #expect(Set(keys).count == 4, "a second resolution notifies again, under new keys")
        await #expect(throws: DatabaseError.self) {
            try await store.enqueue([OutboxMessage(kind: .sms, destination: "1", payload: "{}", idempotencyKey: keys[0])])
        }
    }

    @Test func claimsRetriesDeadLettersAndRequeues() async throws {
        let file = try TemporaryDatabase()
        let store = try file.open()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        try await store.enqueue((1...3).map { OutboxMessage(kind: .sms, destination: "98765432\($0)0", payload: "{}", idempotencyKey: "k\($0)") }, at: start)

        let claimed = try await store.claimDueOutbox(limit: 2, lease: .seconds(40), at: start)
        #expect(claimed.map(\.idempotencyKey) == ["k1", "k2"])
        #expect(claimed.allSatisfy { $0.attempts == 1 })
        // Claimed ones are not due again until their lease ends.
        #expect(try await store.claimDueOutbox(limit: 10, lease: .seconds(40), at: start).map(\.idempotencyKey) == ["k3"])
        #expect(try await store.claimDueOutbox(limit: 10, lease: .seconds(40), at: start.addingTimeInterval(39)).isEmpty)

        #expect(try await store.recordSent(claimed[0].id, at: start))
        #expect(try await store.recordFailure(claimed[1].id, error: "HTTP 503", retryAt: start.addingTimeInterval(5), at: start))
        #expect(try await store.claimDueOutbox(limit: 10, lease: .seconds(40), at: start.addingTimeInterval(4)).isEmpty)
        let again = try await store.claimDueOutbox(limit: 10, lease: .seconds(40), at: start.addingTimeInterval(5))
        #expect(again.map(\.idempotencyKey) == ["k2"])
        #expect(again.first?.attempts == 2)
        #expect(again.first?.lastError == "HTTP 503")
        #expect(try await store.recordFailure(again[0].id, error: "HTTP 400", retryAt: nil, at: start))
        #expect(!(try await store.recordSent(again[0].id, at: start)), "a dead message is not marked sent")

        #expect(try await store.outbox(status: .sent).map(\.idempotencyKey) == ["k1"])
        #expect(try await store.outbox(status: .dead).map(\.idempotencyKey) == ["k2"])
        #expect(try await store.pendingOutboxCount() == 1)

        let results = try await store.retryOutbox(ids: [again[0].id, claimed[0].id, 999], at: start)
        #expect(results.map(\.result) == [.requeued, .notDead(.sent), .unknown])
        let requeued = try #require(try await store.outbox(status: .pending).first { $0.idempotencyKey == "k2" })
        #expect(requeued.attempts == 0)
        #expect(requeued.nextAttemptAt == start)

        _ = try await store.claimDueOutbox(limit: 10, lease: .seconds(1), at: start.addingTimeInterval(100))
        for entry in try await store.outbox(status: .pending) {
            try await store.recordFailure(entry.id, error: "gone", retryAt: nil)
        }
        #expect(try await store.retryAllDeadOutbox(at: start).count == 2)
        #expect(try await store.outbox(status: .dead).isEmpty)
        #expect(try await store.outbox().map(\.idempotencyKey) == ["k3", "k2", "k1"], "newest first")
    }
}
