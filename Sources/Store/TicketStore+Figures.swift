public import Foundation
public import HelplineDomain
import GRDB

extension TicketStore {
    /// How many tickets the database holds, in every state.
    public func ticketCount() async throws -> Int {
        try await database.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tickets") ?? 0 }
    }

    /// Open tickets counted by department and status (the metrics' gauges). Final states are
    /// not counted: they only grow; the daily report counts them per day.
    public func openTicketCounts() async throws -> [TicketCount] {
        try await database.writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT department, status, COUNT(*) FROM tickets WHERE status IN \(Schema.openStatuses)
                    GROUP BY department, status ORDER BY department, status
                    """)
            ).map { row in
                TicketCount(department: row[0], status: TicketStatus(rawValue: row[1]) ?? .registered, count: row[2])
            }
        }
    }

    /// Complaint figures per local day and department for days in `from..<to` (local days start
    /// at midnight `utcOffset` seconds east of UTC; IST is 19800), for the daily report.
    ///
    /// - registered: tickets created that day;
    /// - resolved: resolutions recorded that day (a ticket resolved at L1 and again at L2 counts twice);
    /// - escalated: tickets sent to L2 that day;
    /// - overdue: tickets whose current due time fell that day, before `now`, with no resolution
    ///   recorded before it (cancelled and duplicate tickets excepted).
    public func dailyComplaintFigures(from start: Date, to end: Date, utcOffset: Int = 0, now: Date = Date()) async throws -> [DailyComplaintFigures] {
        let offset = utcOffset >= 0 ? "+\(utcOffset) seconds" : "\(utcOffset) seconds"
        let from = Timestamp.text(start)
        let to = Timestamp.text(end)
        let until = Timestamp.text(min(end, now))
        return try await database.writer.read { db in
            var figures: [String: DailyComplaintFigures] = [:]
            func add(_ sql: String, _ arguments: StatementArguments, _ field: WritableKeyPath<DailyComplaintFigures, Int>) throws {
                for row in try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments) {
                    let day: String = row[0]
                    let department: String = row[1]
                    let key = day + "\u{0}" + department
                    figures[key, default: DailyComplaintFigures(day: day, department: department)][keyPath: field] += row[2] as Int
                }
            }
            try add(
                "SELECT date(created_at, ?) AS day, department, COUNT(*) FROM tickets WHERE created_at >= ? AND created_at < ? GROUP BY day, department",
                [offset, from, to], \.registered)
            for (transition, field) in [("resolved", \DailyComplaintFigures.resolved), ("escalated", \DailyComplaintFigures.escalated)] {
                try add(
                    """
                    SELECT date(e.at, ?) AS day, t.department, COUNT(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
                    WHERE e.transition = ? AND e.at >= ? AND e.at < ? GROUP BY day, t.department
                    """,
                    [offset, transition, from, to], field)
            }
            try add(
                """
                SELECT date(t.due_at, ?) AS day, t.department, COUNT(*) FROM tickets t
                WHERE t.due_at >= ? AND t.due_at < ? AND t.status NOT IN ('cancelled', 'duplicate')
                AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.transition = 'resolved' AND e.at <= t.due_at)
                GROUP BY day, t.department
                """,
                [offset, from, until], \.overdue)
            return figures.values.sorted { ($0.day, $0.department) < ($1.day, $1.department) }
        }
    }

    /// Open tickets past their due time at `now`, counted by department: the statuses
    /// ``overdueTickets(at:limit:)`` lists (a resolved ticket awaiting feedback is not overdue).
    public func overdueCounts(at now: Date) async throws -> [String: Int] {
        try await database.writer.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT department, COUNT(*) FROM tickets WHERE status IN \(Schema.openStatuses) AND status != 'resolved' AND due_at < ?
                    GROUP BY department
                    """),
                arguments: [Timestamp.text(now)])
            {
                counts[row[0]] = row[1]
            }
            return counts
        }
    }

    /// How many IVR sessions (the `calls` table: inbound calls and feedback calls alike)
    /// started in `from..<to`.
    public func callCount(from start: Date, to end: Date) async throws -> Int {
        try await database.writer.read { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM calls WHERE started_at >= ? AND started_at < ?"), arguments: [Timestamp.text(start), Timestamp.text(end)]) ?? 0
        }
    }

    /// Checks that the database takes writes now: takes SQLite's write lock and releases it,
    /// changing nothing (readiness probes). Throws what SQLite reports (read-only file, disk I/O
    /// error, the lock busy past the busy timeout).
    public func checkWritable() async throws {
        try await database.writer.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            try db.execute(sql: "ROLLBACK")
        }
    }
}

/// How many open tickets a department has in one status.
public struct TicketCount: Sendable, Hashable {
    /// The department.
    public var department: String
    /// The status.
    public var status: TicketStatus
    /// How many.
    public var count: Int
}

/// One day's complaint figures for one department (see ``TicketStore/dailyComplaintFigures(from:to:utcOffset:now:)``).
public struct DailyComplaintFigures: Sendable, Hashable {
    /// The local day, `YYYY-MM-DD`.
    public var day: String
    /// The department.
    public var department: String
    /// Tickets registered.
    public var registered = 0
    /// Resolutions recorded.
    public var resolved = 0
    /// Tickets escalated to L2.
    public var escalated = 0
    /// Tickets whose due time passed that day without a resolution.
    public var overdue = 0

    /// Figures of a day and department.
    public init(day: String, department: String, registered: Int = 0, resolved: Int = 0, escalated: Int = 0, overdue: Int = 0) {
        self.day = day
        self.department = department
        self.registered = registered
        self.resolved = resolved
        self.escalated = escalated
        self.overdue = overdue
    }
}
