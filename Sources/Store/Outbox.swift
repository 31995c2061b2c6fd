public import Foundation
public import HelplineDomain
import GRDB
import TimeSupport

/// What an outbox message is delivered as.
public enum OutboxKind: String, Codable, Sendable, CaseIterable {
    /// A text message to a citizen, through the SMS gateway.
    case sms
    /// A JSON document posted to a department's portal.
    case webhook
}

/// Where an outbox message stands.
public enum OutboxStatus: String, Codable, Sendable, CaseIterable {
    /// Waiting for its next attempt (or being sent now).
    case pending
    /// The receiver accepted it.
    case sent
    /// Given up: refused for good, or out of attempts. `helpline outbox retry` brings it back.
    case dead
}

/// A message to put into the outbox. The store keeps it opaque: `destination` and `payload`
/// mean something only to the sender (a phone number and the text's parts for an SMS, a URL
/// and a JSON body for a webhook).
public struct OutboxMessage: Sendable, Hashable {
    /// How it is delivered.
    public var kind: OutboxKind
    /// Whom it goes to: a phone number (SMS) or a URL (webhook).
    public var destination: String
    /// What it carries (JSON text by convention).
    public var payload: String
    /// Unique among all messages ever queued; sent with every attempt so that the receiver can
    /// drop repeats. A second message with the same key is refused.
    public var idempotencyKey: String

    /// A message to queue.
    public init(kind: OutboxKind, destination: String, payload: String, idempotencyKey: String) {
        self.kind = kind
        self.destination = destination
        self.payload = payload
        self.idempotencyKey = idempotencyKey
    }
}

/// A change just applied to a ticket, inside its transaction: what a ``NotificationPolicy`` sees.
public struct TicketChange: Sendable, Hashable {
    /// The action applied.
    public var action: TicketAction
    /// The ticket as it now stands.
    public var ticket: Ticket
    /// The row id of the history entry the change appended (unique: use it in idempotency keys).
    public var eventID: Int64
    /// The note recorded with it (a resolution report).
    public var note: String?
    /// When it happened.
    public var at: Date

    /// A change (the store makes these; tests make their own).
    public init(action: TicketAction, ticket: Ticket, eventID: Int64, note: String?, at: Date) {
        self.action = action
        self.ticket = ticket
        self.eventID = eventID
        self.note = note
        self.at = at
    }
}

/// Decides which notifications a ticket change queues. The store calls it inside the change's
/// transaction and writes what it returns into the outbox in that same transaction, so a change
/// and its notifications are committed together or not at all. The store itself knows nothing
/// of SMS gateways or HTTP: the application builds the policy from its configuration.
///
/// ```swift
/// let policy = NotificationPolicy { change in
///     guard case .resolve = change.action else { return [] }
///     return [OutboxMessage(kind: .sms, destination: change.ticket.callerNumber, payload: "…",
///                           idempotencyKey: "resolve-\(change.ticket.number)-\(change.eventID)-sms")]
/// }
/// try await store.apply(.resolve, to: number, actor: "cli:ana", note: "fixed", notifications: policy)
/// ```
public struct NotificationPolicy: Sendable {
    /// The messages for one change (none when it notifies no one).
    public var messages: @Sendable (TicketChange) -> [OutboxMessage]

    /// A policy from a function of the change.
    public init(_ messages: @escaping @Sendable (TicketChange) -> [OutboxMessage]) {
        self.messages = messages
    }

    /// Queues nothing.
    public static let none = NotificationPolicy { _ in [] }
}

/// An outbox row as stored, with the number of the ticket it belongs to.
public struct OutboxEntry: Sendable, Hashable {
    /// The row id.
    public var id: Int64
    /// How it is delivered.
    public var kind: OutboxKind
    /// The ticket's row id, if it belongs to one.
    public var ticketID: Int64?
    /// The ticket's number, if it belongs to one.
    public var ticketNumber: String?
    /// A phone number (SMS) or a URL (webhook).
    public var destination: String
    /// What it carries.
    public var payload: String
    /// Sent with every attempt.
    public var idempotencyKey: String
    /// Where it stands.
    public var status: OutboxStatus
    /// Attempts started so far (an attempt counts from the moment it is claimed).
    public var attempts: Int
    /// When it may be tried next (while pending).
    public var nextAttemptAt: Date
    /// Why the last attempt failed.
    public var lastError: String?
    /// When it was queued.
    public var createdAt: Date
    /// When the receiver accepted it.
    public var sentAt: Date?

    /// An entry from its parts (the store reads these; tests make their own).
    public init(
        id: Int64, kind: OutboxKind, ticketID: Int64? = nil, ticketNumber: String? = nil, destination: String, payload: String, idempotencyKey: String,
        status: OutboxStatus = .pending, attempts: Int = 0, nextAttemptAt: Date = Date(), lastError: String? = nil, createdAt: Date = Date(), sentAt: Date? = nil
    ) {
        self.id = id
        self.kind = kind
        self.ticketID = ticketID
        self.ticketNumber = ticketNumber
        self.destination = destination
        self.payload = payload
        self.idempotencyKey = idempotencyKey
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.sentAt = sentAt
    }

    /// Decodes a row of `outbox` (with `number` from a join to `tickets`, if present).
    init(row: Row) {
        id = row["id"]
        kind = OutboxKind(rawValue: row["kind"]) ?? .sms
        ticketID = row["ticket_id"]
        ticketNumber = row.hasColumn("number") ? row["number"] : nil
        destination = row["destination"]
        payload = row["payload"]
        idempotencyKey = row["idempotency_key"]
        status = OutboxStatus(rawValue: row["status"]) ?? .pending
        attempts = row["attempts"]
        nextAttemptAt = row["next_attempt_at"]
        lastError = row["last_error"]
        createdAt = row["created_at"]
        sentAt = row["sent_at"]
    }

    /// The entry of the first row `statement` yields.
    static func fetchOne(_ statement: Statement, arguments: StatementArguments) throws -> OutboxEntry? {
        try Row.fetchOne(statement, arguments: arguments).map(OutboxEntry.init(row:))
    }

    /// The entries of every row `statement` yields.
    static func fetchAll(_ statement: Statement, arguments: StatementArguments) throws -> [OutboxEntry] {
        try Row.fetchAll(statement, arguments: arguments).map(OutboxEntry.init(row:))
    }
}

/// What `retry` did to one message.
public enum OutboxRetryResult: Sendable, Hashable {
    /// It was dead and is pending again, with its attempts reset.
    case requeued
    /// No message has this id.
    case unknown
    /// It is not dead (pending or sent): left alone.
    case notDead(OutboxStatus)
}

extension TicketStore {
    // MARK: - Outbox writes

    /// Queues messages outside any ticket change (tests, tools); each is pending and due at `now`.
    public func enqueue(_ messages: [OutboxMessage], ticketID: Int64? = nil, at now: Date = Date()) async throws {
        let time = Timestamp.text(now)
        try await groupCommit.write { db in
            for message in messages { try Self.insertOutbox(db, message, ticketID: ticketID, at: time) }
        }
    }

    /// Claims up to `limit` due messages (pending, next attempt at or before `now`), oldest due
    /// first, for one attempt each: their attempt count goes up by one and their next attempt
    /// moves to `now + lease`, all in one short transaction. The caller then sends them with no
    /// transaction open and records each outcome with ``recordSent(_:at:)`` or
    /// ``recordFailure(_:error:retryAt:at:)``. A message whose sender died mid-attempt becomes
    /// due again when its lease runs out, and is sent again with the same idempotency key.
    public func claimDueOutbox(limit: Int, lease: Duration, at now: Date = Date()) async throws -> [OutboxEntry] {
        let time = Timestamp.text(now)
        let leaseUntil = Timestamp.text(now.addingTimeInterval(lease.seconds))
        return try await groupCommit.write { db in
            let ids = try Int64.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?"),
                arguments: [time, limit])
            var claimed: [OutboxEntry] = []
            claimed.reserveCapacity(ids.count)
            let update = try db.cachedStatement(sql: "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ? RETURNING *")
            for id in ids {
                if let entry = try OutboxEntry.fetchOne(update, arguments: [leaseUntil, id]) { claimed.append(entry) }
            }
            return claimed
        }
    }

    /// Marks a pending message sent; false when it was not pending (an administrator changed it).
    @discardableResult
    public func recordSent(_ id: Int64, at now: Date = Date()) async throws -> Bool {
        let time = Timestamp.text(now)
        return try await groupCommit.write { db in
            try db.cachedStatement(sql: "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ? AND status = 'pending'")
                .execute(arguments: [time, id])
            return db.changesCount > 0
        }
    }

    /// Records a failed attempt of a pending message: it is tried again at `retryAt`, or, when
    /// `retryAt` is nil, it is dead. False when it was not pending.
    @discardableResult
    public func recordFailure(_ id: Int64, error: String, retryAt: Date?, at now: Date = Date()) async throws -> Bool {
        let next = retryAt.map(Timestamp.text)
        return try await groupCommit.write { db in
            if let next {
                try db.cachedStatement(sql: "UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ? AND status = 'pending'")
                    .execute(arguments: [next, error, id])
            } else {
                try db.cachedStatement(sql: "UPDATE outbox SET status = 'dead', last_error = ? WHERE id = ? AND status = 'pending'")
                    .execute(arguments: [error, id])
            }
            return db.changesCount > 0
        }
    }

    /// Brings dead messages back: pending, attempts reset to zero, due at `now`, their last error
    /// kept until the next attempt. Returns what happened to each id, in the order given.
    public func retryOutbox(ids: [Int64], at now: Date = Date()) async throws -> [(id: Int64, result: OutboxRetryResult)] {
        let time = Timestamp.text(now)
        let results = try await groupCommit.write { db -> [OutboxRetryOutcome] in
            try ids.map { id in
                guard let status = try String.fetchOne(db.cachedStatement(sql: "SELECT status FROM outbox WHERE id = ?"), arguments: [id]) else {
                    return OutboxRetryOutcome(id: id, result: .unknown)
                }
                guard status == OutboxStatus.dead.rawValue else {
                    return OutboxRetryOutcome(id: id, result: .notDead(OutboxStatus(rawValue: status) ?? .pending))
                }
                try db.cachedStatement(sql: "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE id = ?").execute(arguments: [time, id])
                return OutboxRetryOutcome(id: id, result: .requeued)
            }
        }
        return results.map { ($0.id, $0.result) }
    }

    /// Brings every dead message back (see ``retryOutbox(ids:at:)``); returns their ids.
    public func retryAllDeadOutbox(at now: Date = Date()) async throws -> [Int64] {
        let time = Timestamp.text(now)
        return try await groupCommit.write { db in
            try Int64.fetchAll(db, sql: "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE status = 'dead' RETURNING id", arguments: [time]).sorted()
        }
    }

    // MARK: - Outbox queries

    /// Messages, newest first, optionally of one status.
    public func outbox(status: OutboxStatus? = nil, limit: Int = 50) async throws -> [OutboxEntry] {
        guard limit > 0, limit <= 10_000 else { throw StoreError.invalidArgument("limit must be 1…10000") }
        return try await database.writer.read { db in
            if let status {
                return try OutboxEntry.fetchAll(
                    db.cachedStatement(sql: "SELECT outbox.*, tickets.number FROM outbox LEFT JOIN tickets ON tickets.id = outbox.ticket_id WHERE outbox.status = ? ORDER BY outbox.id DESC LIMIT ?"),
                    arguments: [status.rawValue, limit])
            }
            // `id > 0` (every id is): a search on the primary key, newest first, stopping at the limit.
            return try OutboxEntry.fetchAll(
                db.cachedStatement(sql: "SELECT outbox.*, tickets.number FROM outbox LEFT JOIN tickets ON tickets.id = outbox.ticket_id WHERE outbox.id > 0 ORDER BY outbox.id DESC LIMIT ?"),
                arguments: [limit])
        }
    }

    /// The ticket's messages, oldest first.
    public func outbox(ticketNumber number: String) async throws -> [OutboxEntry] {
        let key = try Self.validNumber(number)
        return try await database.writer.read { db in
            try OutboxEntry.fetchAll(
                db.cachedStatement(sql: "SELECT outbox.*, tickets.number FROM tickets JOIN outbox ON outbox.ticket_id = tickets.id WHERE tickets.number = ? ORDER BY outbox.id"),
                arguments: [key])
        }
    }

    /// How many messages are pending (due or waiting for a later attempt).
    public func pendingOutboxCount() async throws -> Int {
        try await database.writer.read { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM outbox WHERE status = 'pending'")) ?? 0
        }
    }

    // MARK: - Helpers

    static func insertOutbox(_ db: Database, _ message: OutboxMessage, ticketID: Int64?, at time: String) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO outbox (kind, ticket_id, destination, payload, idempotency_key, status, attempts, next_attempt_at, created_at)
                VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)
                """
        ).execute(arguments: [message.kind.rawValue, ticketID, message.destination, message.payload, message.idempotencyKey, time, time])
    }
}

private struct OutboxRetryOutcome: Sendable {
    var id: Int64
    var result: OutboxRetryResult
}

