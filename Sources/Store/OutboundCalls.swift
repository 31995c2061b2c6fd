public import Foundation
public import HelplineDomain
import GRDB

/// What kind of call the helpline places.
public enum OutboundKind: String, Sendable, Hashable, CaseIterable {
    /// After a resolution: the citizen says whether they are satisfied (the `feedback` menu).
    case feedback
    /// A callback owed to a caller (abandoned a queue, hung up mid-menu, accepted an offer),
    /// connected to the department's queue when answered.
    case callback
    /// A contact of a running outbound campaign, called into the campaign's menu.
    case campaign
}

/// The campaign a contact's call belongs to.
public struct CampaignCall: Sendable, Hashable {
    /// The campaign's row id.
    public var id: Int64
    /// Its name.
    public var name: String
    /// The menu the call runs.
    public var menu: String
    /// Its window, pacing and retry rules.
    public var settings: CampaignSettings

    /// A campaign as the scheduler sees it.
    public init(id: Int64, name: String, menu: String, settings: CampaignSettings = CampaignSettings()) {
        self.id = id
        self.name = name
        self.menu = menu
        self.settings = settings
    }
}

/// One call due to be placed, as the scheduler sees it.
public struct OutboundCall: Sendable, Hashable {
    /// Feedback, callback or campaign.
    public var kind: OutboundKind
    /// The row id in `feedback_calls`, `callbacks` or `contacts`.
    public var id: Int64
    /// Whom to call.
    public var phone: String
    /// The ticket it is about (always for feedback; a callback may have none).
    public var ticketNumber: String?
    /// The citizen's language, when known.
    public var language: String?
    /// The citizen's district, when known (calling hours may differ per district).
    public var district: String?
    /// The department (a callback's queue is the department's).
    public var department: String?
    /// The queue a callback connects to, when known.
    public var queue: String?
    /// Attempts so far.
    public var attempts: Int
    /// When it became due.
    public var dueAt: Date
    /// The campaign of a campaign call.
    public var campaign: CampaignCall?

    /// A call to place.
    public init(kind: OutboundKind, id: Int64, phone: String, ticketNumber: String? = nil, language: String? = nil, district: String? = nil,
                department: String? = nil, queue: String? = nil, attempts: Int = 0, dueAt: Date, campaign: CampaignCall? = nil) {
        self.campaign = campaign
        self.kind = kind
        self.id = id
        self.phone = phone
        self.ticketNumber = ticketNumber
        self.language = language
        self.district = district
        self.department = department
        self.queue = queue
        self.attempts = attempts
        self.dueAt = dueAt
    }
}

/// How a placed call went.
public enum OutboundResult: Sendable, Hashable, CustomStringConvertible {
    /// The citizen answered (a feedback call ran its menu; a callback went to the queue).
    case answered
    /// It rang out.
    case noAnswer
    /// The line was busy.
    case busy
    /// The trunk or the network failed (congestion, no route, unknown number …).
    case failed(String)

    /// The text stored in `last_result`.
    public var description: String {
        switch self {
        case .answered: "answered"
        case .noAnswer: "no answer"
        case .busy: "busy"
        case .failed(let reason): "failed: \(reason)"
        }
    }
}

/// Outbound calls: what is due, claiming one before dialling, and recording how it went.
///
/// A call is claimed (`pending` → `dialling`, one more attempt) in the database before it is
/// originated, so two schedulers never dial it twice and a restart knows what was under way.
extension TicketStore {
    /// Feedback calls and callbacks due at `now`, oldest first (callbacks keep their place),
    /// then the due contacts of running campaigns, oldest first: the calls the helpline owes
    /// go before its campaigns. At most `limit` of each.
    public func dueOutboundCalls(at now: Date = Date(), limit: Int = 50) async throws -> [OutboundCall] {
        let time = Timestamp.text(now)
        return try await database.writer.read { db in
            let feedback = try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT f.id, f.phone, t.number, t.language, t.district, t.department, f.attempts, f.next_attempt_at
                    FROM feedback_calls f JOIN tickets t ON t.id = f.ticket_id
                    WHERE f.status = 'pending' AND f.next_attempt_at <= ? ORDER BY f.next_attempt_at, f.id LIMIT ?
                    """),
                arguments: [time, limit]
            ).map { row in
                OutboundCall(kind: .feedback, id: row[0], phone: row[1], ticketNumber: row[2], language: row[3], district: row[4],
                             department: row[5], attempts: row[6], dueAt: Timestamp.date(row[7]) ?? now)
            }
            let callbacks = try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT c.id, c.caller_number, t.number, t.language, t.district, c.department, c.queue, c.attempts, c.next_attempt_at
                    FROM callbacks c LEFT JOIN tickets t ON t.id = c.ticket_id
                    WHERE c.status = 'pending' AND c.next_attempt_at <= ? ORDER BY c.next_attempt_at, c.id LIMIT ?
                    """),
                arguments: [time, limit]
            ).map { row in
                OutboundCall(kind: .callback, id: row[0], phone: row[1], ticketNumber: row[2], language: row[3], district: row[4],
                             department: row[5], queue: row[6], attempts: row[7], dueAt: Timestamp.date(row[8]) ?? now)
            }
            let contacts = try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT c.id, c.phone, c.language, c.district, c.attempts, c.next_attempt_at, k.id, k.name, k.menu, k.settings
                    FROM campaigns k JOIN contacts c ON c.campaign_id = k.id
                    WHERE k.status = 'running' AND c.status = 'pending' AND c.next_attempt_at <= ? ORDER BY c.next_attempt_at, c.id LIMIT ?
                    """),
                arguments: [time, limit]
            ).map { row in
                OutboundCall(kind: .campaign, id: row[0], phone: row[1], language: row[2], district: row[3], attempts: row[4],
                             dueAt: Timestamp.date(row[5]) ?? now,
                             campaign: CampaignCall(id: row[6], name: row[7], menu: row[8], settings: CampaignSettings.decode(row[9])))
            }
            let owed = (feedback + callbacks).sorted { ($0.dueAt, $0.kind.rawValue, $0.id) < ($1.dueAt, $1.kind.rawValue, $1.id) }.prefix(limit)
            return Array(owed) + contacts
        }
    }

    /// Claims a due call before it is dialled: true when this caller got it (it was still pending).
    public func claim(_ call: OutboundCall, at now: Date = Date()) async throws -> Bool {
        let table = Self.table(call.kind)
        return try await groupCommitWrite { db in
            try db.cachedStatement(sql: "UPDATE \(table) SET status = 'dialling', attempts = attempts + 1 WHERE id = ? AND status = 'pending'")
                .execute(arguments: [call.id])
            return db.changesCount == 1
        }
    }

    /// Records how a claimed call went: answered → done; otherwise pending again at `retryAt`,
    /// or failed for good when `retryAt` is nil (no attempts left).
    public func finish(_ call: OutboundCall, result: OutboundResult, retryAt: Date?, at now: Date = Date()) async throws {
        let table = Self.table(call.kind)
        let status = result == .answered ? "done" : retryAt == nil ? "failed" : "pending"
        let next = retryAt.map(Timestamp.text)
        try await groupCommitWrite { db in
            try db.cachedStatement(
                sql: "UPDATE \(table) SET status = ?, last_result = ?, next_attempt_at = COALESCE(?, next_attempt_at) WHERE id = ? AND status = 'dialling'"
            ).execute(arguments: [status, result.description, next, call.id])
            if let campaign = call.campaign { try Self.finishCampaignIfDone(db, campaign: campaign.id) }
        }
    }

    /// Calls left `dialling` by a daemon that stopped mid-call go back to the list, due at
    /// `retryAt`: their outcome is unknown. A feedback call the citizen did answer was cancelled
    /// by the answer itself, so only callbacks can be placed twice this way (a callback is
    /// never lost; a campaign contact who answered had the call's answers stored and is done).
    /// Returns how many were put back.
    @discardableResult
    public func recoverInterruptedCalls(retryAt: Date, at now: Date = Date()) async throws -> Int {
        let next = Timestamp.text(retryAt)
        return try await groupCommitWrite { db in
            var count = 0
            for table in ["feedback_calls", "callbacks", "contacts"] {
                try db.cachedStatement(
                    sql: "UPDATE \(table) SET status = 'pending', next_attempt_at = ?, last_result = 'the daemon stopped while dialling: outcome unknown' WHERE status = 'dialling'"
                ).execute(arguments: [next])
                count += db.changesCount
            }
            return count
        }
    }

    /// The citizen answered the feedback call but pressed nothing (or hung up before pressing):
    /// the ticket's latest feedback call is due again at `retryAt` while it has made fewer than
    /// `maximumAttempts` attempts, and ends as failed after that. Only a ticket still resolved
    /// (awaiting its feedback) is called again.
    /// - Returns: whether the call will be made again.
    @discardableResult
    public func feedbackNotGiven(ticket number: String, retryAt: Date, maximumAttempts: Int = CallRetry.standard.maximumAttempts) async throws -> Bool {
        let next = Timestamp.text(retryAt)
        return try await groupCommitWrite { db in
            guard let row = try Row.fetchOne(
                db.cachedStatement(sql: """
                    SELECT f.id, f.attempts FROM tickets t JOIN feedback_calls f ON f.ticket_id = t.id
                    WHERE t.number = ? AND t.status = 'resolved' AND f.status IN ('dialling', 'done') ORDER BY f.id DESC LIMIT 1
                    """), arguments: [number])
            else { return false }
            return try Self.callAgainOrFail(db, table: "feedback_calls", id: row[0], attempts: row[1], maximumAttempts: maximumAttempts, next: next, result: "answered, nothing pressed")
        }
    }

    /// An answered call that did not do its job: pending again at `next` while it has made
    /// fewer than `maximumAttempts` attempts, failed after that. Returns whether it is made again.
    static func callAgainOrFail(_ db: Database, table: String, id: Int64, attempts: Int, maximumAttempts: Int, next: String, result: String) throws -> Bool {
        if attempts < maximumAttempts {
            try db.cachedStatement(sql: "UPDATE \(table) SET status = 'pending', next_attempt_at = ?, last_result = ? WHERE id = ?").execute(arguments: [next, result, id])
            return true
        }
        try db.cachedStatement(sql: "UPDATE \(table) SET status = 'failed', last_result = ? WHERE id = ?").execute(arguments: [result + "; no attempts left", id])
        return false
    }

    /// The citizen answered callback `id` but left the queue before a seat answered (hung up,
    /// or the dialplan dropped the call): the callback is due again at `retryAt` while it has
    /// made fewer than `maximumAttempts` attempts, and ends as failed after that, so a call
    /// that fails in the queue is never dialled in a loop.
    /// - Returns: whether the callback will be made again.
    @discardableResult
    public func callbackLeftQueue(id: Int64, retryAt: Date, maximumAttempts: Int = CallRetry.standard.maximumAttempts) async throws -> Bool {
        let next = Timestamp.text(retryAt)
        return try await groupCommitWrite { db in
            guard let attempts = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT attempts FROM callbacks WHERE id = ? AND status IN ('dialling', 'done')"), arguments: [id])
            else { return false }
            return try Self.callAgainOrFail(db, table: "callbacks", id: id, attempts: attempts, maximumAttempts: maximumAttempts, next: next, result: "answered, left the queue before a seat answered")
        }
    }

    /// The feedback calls of a ticket, oldest first (for the desk and tests).
    public func feedbackCalls(ticket number: String) async throws -> [(status: String, attempts: Int, lastResult: String?)] {
        try await database.writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT f.status, f.attempts, f.last_result FROM tickets t JOIN feedback_calls f ON f.ticket_id = t.id WHERE t.number = ? ORDER BY f.id"),
                arguments: [number]
            ).map { ($0[0], $0[1], $0[2]) }
        }
    }

    /// A callback's status, attempts and last result.
    public func callback(id: Int64) async throws -> (status: String, attempts: Int, lastResult: String?, reason: String)? {
        try await database.writer.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT status, attempts, last_result, reason FROM callbacks WHERE id = ?"), arguments: [id])
                .map { ($0[0], $0[1], $0[2], $0[3]) }
        }
    }

    static func table(_ kind: OutboundKind) -> String {
        switch kind {
        case .feedback: "feedback_calls"
        case .callback: "callbacks"
        case .campaign: "contacts"
        }
    }

    /// Inside a ticket change's transaction: a resolution owes the citizen a feedback call; any
    /// other change ends the pending ones (answered, reopened, cancelled: nothing to ask).
    static func scheduleFeedbackCall(_ db: Database, after action: TicketAction, ticket: Ticket, eventID: Int64, at time: String) throws {
        if case .resolve = action, ticket.status == .resolved {
            guard !ticket.callerNumber.isEmpty else { return }
            try db.cachedStatement(sql: """
                INSERT INTO feedback_calls (ticket_id, resolution_event_id, phone, status, attempts, next_attempt_at, created_at)
                VALUES (?, ?, ?, 'pending', 0, ?, ?)
                """).execute(arguments: [ticket.id, eventID, ticket.callerNumber, time, time])
        } else if ticket.status != .resolved {
            try db.cachedStatement(sql: "UPDATE feedback_calls SET status = 'cancelled', last_result = ? WHERE ticket_id = ? AND status = 'pending'")
                .execute(arguments: ["ticket \(ticket.status.rawValue)", ticket.id])
        }
    }
}

/// The depth of the daemon's work lists, for `/metrics`.
public struct WorkFigures: Sendable, Hashable {
    /// Outbox messages by status (`pending`, `dead`; sent messages are not counted).
    public var outbox: [String: Int] = [:]
    /// Outbound calls waiting (`pending`) or being dialled (`dialling`), by kind and status.
    public var outbound: [OutboundKind: [String: Int]] = [:]
}

extension TicketStore {
    /// How much is waiting in the outbox and on the outbound lists (running campaigns only).
    public func workFigures() async throws -> WorkFigures {
        try await database.writer.read { db in
            var figures = WorkFigures()
            for status in ["pending", "dead"] {
                figures.outbox[status] = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM outbox WHERE status = ?"), arguments: [status]) ?? 0
            }
            for status in ["pending", "dialling"] {
                figures.outbound[.feedback, default: [:]][status] =
                    try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM feedback_calls WHERE status = ?"), arguments: [status]) ?? 0
                figures.outbound[.callback, default: [:]][status] =
                    try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM callbacks WHERE status = ?"), arguments: [status]) ?? 0
                figures.outbound[.campaign, default: [:]][status] = try Int.fetchOne(
                    db.cachedStatement(sql: "SELECT COUNT(*) FROM campaigns k JOIN contacts c ON c.campaign_id = k.id WHERE k.status = 'running' AND c.status = ?"),
                    arguments: [status]) ?? 0
            }
            return figures
        }
    }
}
