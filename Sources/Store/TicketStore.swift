public import Foundation
public import HelplineDomain
import GRDB

/// Tickets, their history, calls and routing decisions: the helpline's write and query API.
///
/// Every method is async and runs its SQL off the caller's thread, so FastAGI sessions on NIO
/// event loops can call it directly. Writes from concurrent callers share transactions
/// (group commit); each call returns only once its own write is durable.
///
/// ```swift
/// let store = TicketStore(database: try HelplineDatabase(path: "helpline.sqlite"))
/// let created = try await store.createTicket(
///     NewTicket(source: .ivr, callerNumber: "9876543210", language: "hi", district: "07",
///               department: "water", callUniqueid: "1732200000.42", officer: "l1-water-07"),
///     actor: "ivr")
/// // speak created.ticket.number only now: it is on disk
/// ```
public final class TicketStore: Sendable {
    /// The database.
    public let database: HelplineDatabase
    let groupCommit: GroupCommitWriter

    /// How long a call's row waits for another write's transaction, by default: at 1,000
    /// registrations/s most rows find one within it (BENCHMARKS.md, section 6), and a lone
    /// call on a quiet helpline reaches its queue at most this much later.
    public static let defaultDeferral: Duration = .milliseconds(2)

    /// A store over an opened (and migrated) database.
    ///
    /// `deferral` is how long a write nobody waits on meanwhile (``recordCall(_:decisions:)``)
    /// waits for another write's transaction to ride in (``GroupCommitWriter``).
    public init(database: HelplineDatabase, deferral: Duration = defaultDeferral) {
        self.database = database
        self.groupCommit = GroupCommitWriter(writer: database.writer, deferral: deferral)
    }

    /// Runs `work` as one write in a shared transaction (see ``GroupCommitWriter``).
    func groupCommitWrite<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await groupCommit.write(work)
    }

    /// How many transactions the writes so far took: fewer than writes when they were grouped.
    public var groupCommitStatistics: GroupCommitStatistics { groupCommit.statistics }

    // MARK: - Writes

    /// Registers a complaint with its first history entries and, when given, the routing
    /// decision that sent it, all in one transaction.
    ///
    /// When `new.callUniqueid` already has a ticket, nothing is written and that ticket is
    /// returned with `created == false`: a retried FastAGI session never makes a second one.
    /// `note` goes with the `registered` history entry (how a web complaint came in).
    public func createTicket(_ new: NewTicket, decision: RoutingDecisionInput? = nil, actor: String, note: String? = nil, at now: Date = Date()) async throws -> TicketCreation {
        try await groupCommit.write { db in
            if let uniqueid = new.callUniqueid,
               let existing = try Ticket.fetchOne(db.cachedStatement(sql: "SELECT * FROM tickets WHERE call_uniqueid = ?"), arguments: [uniqueid]) {
                return TicketCreation(ticket: existing, created: false)
            }
            guard let serial = try Int64.fetchOne(db.cachedStatement(sql: "UPDATE ticket_serial SET next = next + 1 WHERE id = 1 RETURNING next - 1")) else {
                throw StoreError.corrupt("the ticket_serial row is missing")
            }
            let number = TicketNumber(serial: serial).description
            let status: TicketStatus = new.officer == nil ? .registered : .assigned
            let time = Timestamp.text(now)
            try db.cachedStatement(
                sql: """
                    INSERT INTO tickets (number, created_at, updated_at, source, caller_number, caller_name, language,
                        district, department, category, description_recording, description_text, status, level,
                        reopen_count, assigned_officer, due_at, call_uniqueid)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'L1', 0, ?, ?, ?)
                    """
            ).execute(
                arguments: [
                    number, time, time, new.source.rawValue, new.callerNumber, new.callerName, new.language,
                    new.district, new.department, new.category, new.descriptionRecording, new.descriptionText,
                    status.rawValue, new.officer, new.dueAt.map(Timestamp.text), new.callUniqueid,
                ])
            let id = db.lastInsertedRowID
            try Self.appendEvent(db, ticket: id, at: time, transition: "registered", from: nil, to: .registered, level: .l1, actor: actor, note: note)
            if let officer = new.officer {
                try Self.appendEvent(db, ticket: id, at: time, transition: "assigned", from: .registered, to: .assigned, level: .l1, actor: actor, note: "assigned to \(officer)")
            }
            if let decision {
                try Self.insertDecision(db, decision, ticket: id, at: time)
            }
            // The row as inserted, built here rather than read back: the write path stays short.
            let ticket = Ticket(
                id: id, number: number, createdAt: Timestamp.date(time) ?? now, updatedAt: Timestamp.date(time) ?? now,
                source: new.source, callerNumber: new.callerNumber, callerName: new.callerName, language: new.language,
                district: new.district, department: new.department, category: new.category,
                descriptionRecording: new.descriptionRecording, descriptionText: new.descriptionText, status: status,
                level: .l1, reopenCount: 0, assignedOfficer: new.officer, dueAt: new.dueAt.map(Timestamp.text).flatMap(Timestamp.date),
                resolvedAt: nil, closedAt: nil, callUniqueid: new.callUniqueid, duplicateOf: nil)
            return TicketCreation(ticket: ticket, created: true)
        }
    }

    /// Applies a lifecycle action to the ticket `number` and appends its history entry, in one
    /// transaction; returns the ticket as it now stands.
    ///
    /// - Parameters:
    ///   - dueAt: a new SLA due time (a reopened or escalated ticket gets a new deadline).
    ///   - officer: the officer the ticket goes to with this action (the L2 officer on escalation).
    ///   - callUniqueid: for feedback, the call that took it.
    ///   - notifications: the messages this change queues in the outbox (the SMS and webhooks of
    ///     a resolution), written in the same transaction: all of them with the change, or none.
    /// - Throws: ``StoreError`` for an unknown or mistyped number, ``InvalidTicketTransition``
    ///   when the action is not valid now.
    @discardableResult
    public func apply(_ action: TicketAction, to number: String, actor: String, note: String? = nil, dueAt: Date? = nil, officer newOfficer: String? = nil, callUniqueid: String? = nil, notifications: NotificationPolicy? = nil, at now: Date = Date()) async throws -> Ticket {
        let key = try Self.validNumber(number)
        let time = Timestamp.text(now)
        return try await groupCommit.write { db in
            guard let ticket = try Ticket.fetchOne(db.cachedStatement(sql: "SELECT * FROM tickets WHERE number = ?"), arguments: [key]) else {
                throw StoreError.unknownTicket(key)
            }
            let transition = try TicketLifecycle.apply(action, to: ticket.position)
            let next = transition.position
            var officer = ticket.assignedOfficer
            var resolvedAt = ticket.resolvedAt
            var closedAt = ticket.closedAt
            var duplicateOf = ticket.duplicateOf
            var eventNote = note
            switch action {
            case .assign(let name), .reassign(let name):
                officer = name
                eventNote = [note, "assigned to \(name)"].compactMap { $0 }.joined(separator: "; ")
            case .resolve:
                resolvedAt = now
            case .feedback(let satisfied):
                try db.cachedStatement(sql: "INSERT INTO feedback (ticket_id, at, level, satisfied, call_uniqueid) VALUES (?, ?, ?, ?, ?)").execute(
                    arguments: [ticket.id, time, ticket.level.rawValue, satisfied, callUniqueid])
                if next.status == .reopened || next.status == .escalated { resolvedAt = nil }
            case .markDuplicate(let original):
                let target = original.description
                guard target != ticket.number else { throw StoreError.invalidArgument("a ticket cannot duplicate itself") }
                guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM tickets WHERE number = ?)", arguments: [target]) == true else {
                    throw StoreError.unknownTicket(target)
                }
                duplicateOf = target
                eventNote = [note, "duplicate of \(target)"].compactMap { $0 }.joined(separator: "; ")
            case .escalate, .cancel, .note:
                break
            }
            if let newOfficer, officer != newOfficer, next.status.isOpen {
                // An escalation hands the ticket to its L2 officer in the same transaction.
                officer = newOfficer
                eventNote = [eventNote, "assigned to \(newOfficer)"].compactMap { $0 }.joined(separator: "; ")
            }
            if !next.status.isOpen, ticket.status.isOpen { closedAt = now }
            try db.cachedStatement(
                sql: """
                    UPDATE tickets SET status = ?, level = ?, reopen_count = ?, assigned_officer = ?, resolved_at = ?,
                        closed_at = ?, duplicate_of = ?, due_at = COALESCE(?, due_at), updated_at = ?
                    WHERE id = ?
                    """
            ).execute(
                arguments: [
                    next.status.rawValue, next.level.rawValue, next.reopenCount, officer, resolvedAt.map(Timestamp.text),
                    closedAt.map(Timestamp.text), duplicateOf, dueAt.map(Timestamp.text), time, ticket.id,
                ])
            try Self.appendEvent(db, ticket: ticket.id, at: time, transition: transition.name, from: ticket.status, to: next.status, level: next.level, actor: actor, note: eventNote)
            let eventID = db.lastInsertedRowID
            let changed = try Self.ticket(db, id: ticket.id)
            try Self.scheduleFeedbackCall(db, after: action, ticket: changed, eventID: eventID, at: time)
            if let notifications {
                let change = TicketChange(action: action, ticket: changed, eventID: eventID, note: note, at: now)
                for message in notifications.messages(change) {
                    try Self.insertOutbox(db, message, ticketID: ticket.id, at: time)
                }
            }
            return changed
        }
    }

    /// Records a routing decision that created no ticket (a call queued, a callback offered);
    /// returns its row id.
    @discardableResult
    public func recordDecision(_ decision: RoutingDecisionInput, at now: Date = Date()) async throws -> Int64 {
        try await groupCommit.write { db in
            try Self.insertDecision(db, decision, ticket: nil, at: Timestamp.text(now))
            return db.lastInsertedRowID
        }
    }

    /// Registers a callback owed to a caller (a promise made by the IVR, or a caller who hung up
    /// before being served); returns its row id. The outbound scheduler dials it.
    ///
    /// Calls from the same number are merged: while a callback to that number is still to be
    /// made, a new one joins it (it keeps its place in the list; a department, queue or ticket
    /// it lacked is filled in, and the reasons are joined) and its id is returned. A callback
    /// is due at `dueAt` (a closed department's next opening), or at once.
    @discardableResult
    public func addCallback(callerNumber: String, callUniqueid: String?, department: String?, queue: String?, reason: String, ticket: String? = nil, dueAt: Date? = nil, at now: Date = Date()) async throws -> Int64 {
        let time = Timestamp.text(now)
        let due = Timestamp.text(max(dueAt ?? now, now))
        return try await groupCommit.write { db in
            let ticketID = try ticket.flatMap { try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM tickets WHERE number = ?"), arguments: [$0]) }
            if let existing = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT id FROM callbacks WHERE caller_number = ? AND status IN ('pending', 'dialling') ORDER BY id LIMIT 1"),
                arguments: [callerNumber]) {
                try db.cachedStatement(sql: """
                    UPDATE callbacks SET department = COALESCE(department, ?), queue = COALESCE(queue, ?), ticket_id = COALESCE(ticket_id, ?),
                        reason = reason || '; ' || ? WHERE id = ?
                    """).execute(arguments: [department, queue, ticketID, reason, existing])
                return existing
            }
            try db.cachedStatement(sql: """
                INSERT INTO callbacks (caller_number, ticket_id, call_uniqueid, department, queue, reason, status, attempts, next_attempt_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)
                """).execute(arguments: [callerNumber, ticketID, callUniqueid, department, queue, reason, due, time])
            return db.lastInsertedRowID
        }
    }

    /// The callbacks still to be made, oldest first.
    public func pendingCallbacks(limit: Int = 100) async throws -> [PendingCallback] {
        try await database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, caller_number, call_uniqueid, department, queue, reason FROM callbacks WHERE status = 'pending' ORDER BY next_attempt_at, id LIMIT ?", arguments: [limit]).map { row in
                PendingCallback(id: row[0], callerNumber: row[1], callUniqueid: row[2], department: row[3], queue: row[4], reason: row[5])
            }
        }
    }

    /// Records an IVR session, or updates the row its uniqueid already has, with the routing
    /// decisions made during it that were not stored yet, in one transaction.
    ///
    /// Returns once they are durable. The write may wait about the store's `deferral` (by
    /// default 2 ms) for another write's transaction and share its sync. The caller's session
    /// ends, and Asterisk moves the call on to its queue, only after this returns.
    public func recordCall(_ call: CallRecord, decisions: [(decision: RoutingDecisionInput, at: Date)] = []) async throws {
        let decisions = decisions.map { ($0.decision, Timestamp.text($0.at)) }
        try await groupCommit.write(deferrable: true) { db in
            for (decision, time) in decisions {
                try Self.insertDecision(db, decision, ticket: nil, at: time)
            }
            // By hand with a cached statement: GRDB's record upsert built and prepared its SQL
            // anew for every call (see BENCHMARKS.md, section 6). Same effect: every column but
            // the uniqueid replaced.
            try db.cachedStatement(
                sql: """
                    INSERT INTO calls (uniqueid, linkedid, caller, dnid, language, script, path, outcome, started_at, queued_at, ended_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (uniqueid) DO UPDATE SET linkedid = excluded.linkedid, caller = excluded.caller,
                        dnid = excluded.dnid, language = excluded.language, script = excluded.script, path = excluded.path,
                        outcome = excluded.outcome, started_at = excluded.started_at, queued_at = excluded.queued_at,
                        ended_at = excluded.ended_at
                    """
            ).execute(
                arguments: [
                    call.uniqueid, call.linkedid, call.caller, call.dnid, call.language, call.script, call.path, call.outcome,
                    Timestamp.text(call.startedAt), call.queuedAt.map(Timestamp.text), call.endedAt.map(Timestamp.text),
                ])
        }
    }

    // MARK: - Queries

    /// The ticket with this number, if any.
    public func ticket(number: String) async throws -> Ticket? {
        let key = try Self.validNumber(number)
        return try await database.writer.read { db in
            try Ticket.fetchOne(db.cachedStatement(sql: "SELECT * FROM tickets WHERE number = ?"), arguments: [key])
        }
    }

    /// What a number keyed by a caller refers to: a ticket, no ticket, or a typing error.
    public func lookup(keyed digits: String) async throws -> TicketLookup {
        switch TicketNumber.parse(digits) {
        case .malformed: return .malformed
        case .checkDigitMismatch: return .mistyped
        case .valid(let number):
            guard let ticket = try await ticket(number: number.description) else { return .unknown }
            return .found(ticket)
        }
    }

    /// The caller's tickets that are still open, newest first.
    public func openTickets(callerNumber: String) async throws -> [Ticket] {
        try await database.writer.read { db in
            try Ticket.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM tickets WHERE caller_number = ? AND status IN \(Schema.openStatuses) ORDER BY created_at DESC, id DESC"),
                arguments: [callerNumber])
        }
    }

    /// A department's tickets (every department's when `department` is nil), oldest first,
    /// optionally of one status and level, one page at a time.
    public func tickets(department: String?, status: TicketStatus? = nil, level: TicketLevel? = nil, limit: Int = 50, offset: Int = 0) async throws -> [Ticket] {
        try await tickets(department: department, statuses: status.map { [$0] } ?? [], level: level, limit: limit, offset: offset)
    }

    /// A department's tickets (every department's when `department` is nil), oldest first, in
    /// any of `statuses` (any status when empty), optionally of one level, one page at a time.
    public func tickets(department: String?, statuses: [TicketStatus], level: TicketLevel? = nil, limit: Int = 50, offset: Int = 0) async throws -> [Ticket] {
        guard limit > 0, limit <= 1000, offset >= 0 else { throw StoreError.invalidArgument("limit must be 1…1000 and offset not negative") }
        return try await database.writer.read { db in
            var sql = "SELECT * FROM tickets WHERE 1"
            var arguments: StatementArguments = []
            if let department {
                sql += " AND department = ?"
                arguments += [department]
            }
            if !statuses.isEmpty {
                sql += " AND status IN (\(statuses.map { _ in "?" }.joined(separator: ", ")))"
                arguments += StatementArguments(statuses.map(\.rawValue))
            }
            if let level {
                sql += " AND level = ?"
                arguments += [level.rawValue]
            }
            sql += " ORDER BY created_at, id LIMIT ? OFFSET ?"
            arguments += [limit, offset]
            return try Ticket.fetchAll(db, sql: sql, arguments: arguments)
        }
    }

    /// Open tickets past their SLA due time at `now`, most overdue first; resolved tickets
    /// awaiting the citizen's feedback are not overdue (the department has done its part).
    public func overdueTickets(at now: Date = Date(), limit: Int = 100) async throws -> [Ticket] {
        try await database.writer.read { db in
            try Ticket.fetchAll(
                db,
                sql: "SELECT * FROM tickets WHERE status IN \(Schema.openStatuses) AND status != 'resolved' AND due_at < ? ORDER BY due_at LIMIT ?",
                arguments: [now, limit])
        }
    }

    /// A ticket with its history, its feedback and the routing decisions of it and its call.
    public func history(number: String) async throws -> TicketHistory? {
        let key = try Self.validNumber(number)
        return try await database.writer.read { db in
            guard let ticket = try Ticket.fetchOne(db.cachedStatement(sql: "SELECT * FROM tickets WHERE number = ?"), arguments: [key]) else { return nil }
            let events = try DecodedRow<TicketEvent>.all(db.cachedStatement(sql: "SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id"), arguments: [ticket.id])
            let decisions = try DecodedRow<RoutingDecision>.all(
                db.cachedStatement(sql: "SELECT * FROM routing_decisions WHERE ticket_id = ? UNION SELECT * FROM routing_decisions WHERE call_uniqueid = ? ORDER BY id"),
                arguments: [ticket.id, ticket.callUniqueid])
            let call = try ticket.callUniqueid.flatMap { try DecodedRow<CallRecord>.one(db.cachedStatement(sql: "SELECT * FROM calls WHERE uniqueid = ?"), arguments: [$0]) }
            return TicketHistory(ticket: ticket, events: events, decisions: decisions, call: call)
        }
    }

    /// The routing decisions made for a call, in order.
    public func decisions(callUniqueid: String) async throws -> [RoutingDecision] {
        try await database.writer.read { db in
            try DecodedRow<RoutingDecision>.all(db.cachedStatement(sql: "SELECT * FROM routing_decisions WHERE call_uniqueid = ? ORDER BY id"), arguments: [callUniqueid])
        }
    }

    /// The IVR session with this uniqueid.
    public func call(uniqueid: String) async throws -> CallRecord? {
        try await database.writer.read { db in
            try DecodedRow<CallRecord>.one(db.cachedStatement(sql: "SELECT * FROM calls WHERE uniqueid = ?"), arguments: [uniqueid])
        }
    }

    /// Tickets registered per local day, department and current status, for days in
    /// `from..<to` (local days start at midnight `utcOffset` seconds east of UTC; IST is 19800).
    public func dailyCounts(from start: Date, to end: Date, utcOffset: Int = 0) async throws -> [DailyCount] {
        try await database.writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT date(created_at, ? || ' seconds') AS day, department, status, COUNT(*) AS count
                    FROM tickets WHERE created_at >= ? AND created_at < ?
                    GROUP BY day, department, status ORDER BY day, department, status
                    """,
                arguments: [utcOffset >= 0 ? "+\(utcOffset)" : "\(utcOffset)", start, end]
            ).map { row in
                DailyCount(day: row["day"], department: row["department"], status: TicketStatus(rawValue: row["status"]) ?? .registered, count: row["count"])
            }
        }
    }

    // MARK: - Helpers

    static func validNumber(_ number: String) throws -> String {
        switch TicketNumber.parse(number) {
        case .valid(let parsed): return parsed.description
        case .checkDigitMismatch: throw StoreError.mistypedNumber(number)
        case .malformed: throw StoreError.malformedNumber(number)
        }
    }

    private static func ticket(_ db: Database, id: Int64) throws -> Ticket {
        guard let ticket = try Ticket.fetchOne(db.cachedStatement(sql: "SELECT * FROM tickets WHERE id = ?"), arguments: [id]) else {
            throw StoreError.corrupt("ticket \(id) vanished")
        }
        return ticket
    }

    private static func appendEvent(_ db: Database, ticket: Int64, at: String, transition: String, from: TicketStatus?, to: TicketStatus, level: TicketLevel, actor: String, note: String?) throws {
        try db.cachedStatement(sql: "INSERT INTO ticket_events (ticket_id, at, transition, from_status, to_status, level, actor, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").execute(
            arguments: [ticket, at, transition, from?.rawValue, to.rawValue, level.rawValue, actor, note])
    }

    private static func insertDecision(_ db: Database, _ decision: RoutingDecisionInput, ticket: Int64?, at: String) throws {
        let reasons = JSONText.array(decision.reasons)
        try db.cachedStatement(
            sql: """
                INSERT INTO routing_decisions (call_uniqueid, ticket_id, decided_at, inputs, outcome, department, queue, priority, reasons)
                VALUES (?, ?, ?, json(?), ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [decision.callUniqueid, ticket, at, decision.inputsJSON, decision.outcome, decision.department, decision.queue, decision.priority, reasons])
    }
}

/// The result of ``TicketStore/createTicket(_:decision:actor:note:at:)``.
public struct TicketCreation: Sendable, Hashable {
    /// The ticket (the existing one when the call already had one).
    public var ticket: Ticket
    /// False when the call's uniqueid already had this ticket.
    public var created: Bool
}

/// What a keyed number refers to.
public enum TicketLookup: Sendable, Hashable {
    /// A ticket.
    case found(Ticket)
    /// Well formed, but no ticket has it.
    case unknown
    /// The check digit does not match: a typing error.
    case mistyped
    /// Not a ticket number.
    case malformed
}

/// A ticket with everything recorded about it.
public struct TicketHistory: Sendable, Hashable {
    /// The ticket.
    public var ticket: Ticket
    /// Its history, oldest first.
    public var events: [TicketEvent]
    /// The routing decisions of the ticket and of its call.
    public var decisions: [RoutingDecision]
    /// The IVR session that registered it.
    public var call: CallRecord?
}

/// A callback owed to a caller.
public struct PendingCallback: Sendable, Hashable {
    /// The row id.
    public var id: Int64
    /// Whom to call.
    public var callerNumber: String
    /// The call it comes from.
    public var callUniqueid: String?
    /// The department.
    public var department: String?
    /// The queue to connect the caller to.
    public var queue: String?
    /// Why it is owed.
    public var reason: String
}

/// One line of the dashboard's daily figures.
public struct DailyCount: Sendable, Hashable {
    /// The local day, `YYYY-MM-DD`.
    public var day: String
    /// The department.
    public var department: String
    /// The tickets' current status.
    public var status: TicketStatus
    /// How many.
    public var count: Int

    /// A line of figures.
    public init(day: String, department: String, status: TicketStatus, count: Int) {
        self.day = day
        self.department = department
        self.status = status
        self.count = count
    }
}
