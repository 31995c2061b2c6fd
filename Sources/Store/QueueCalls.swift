public import Foundation
import HelplineDomain
import GRDB

/// What AMI says about a caller in a queue, as the store keeps it.
public enum QueueCallEvent: Sendable, Hashable {
    /// `QueueCallerJoin`: the caller entered `queue` (of `department`, when the directory names one).
    case joined(uniqueid: String, queue: String, department: String?, callerNumber: String?)
    /// `AgentConnect`: a seat (`member`) answered after `waited` seconds.
    case answered(uniqueid: String, queue: String, waited: Int, member: String?)
    /// `AgentComplete`: the call with the seat ended after `talked` seconds.
    case completed(uniqueid: String, queue: String, talked: Int)
    /// `QueueCallerAbandon`: the caller hung up after `waited` seconds.
    case abandoned(uniqueid: String, queue: String, waited: Int)
    /// queue_log's `EXITWITHTIMEOUT`, `EXITEMPTY` or `EXITWITHKEY`: the caller left the queue
    /// unanswered after `waited` seconds and the dialplan went on.
    case left(uniqueid: String, queue: String, waited: Int)
}

/// How far one PBX's `queue_log` has been read: the file (its device and inode, so that a
/// rotated file is noticed) and the byte offset after the last line applied.
public struct QueueLogPosition: Sendable, Hashable {
    /// The file's identity, `DEVICE:INODE`.
    public var file: String
    /// The byte offset after the last complete line read.
    public var offset: UInt64

    /// Creates a position.
    public init(file: String, offset: UInt64) {
        self.file = file
        self.offset = offset
    }
}

/// One local day's calls in one department's queues.
public struct DailyCallFigures: Sendable, Hashable {
    /// `YYYY-MM-DD`, local.
    public var day: String
    /// The department (`general` for the PBX's general queue and queues no department has).
    public var department: String
    /// Callers who joined a queue.
    public var offered = 0
    /// Of them, answered by a seat.
    public var answered = 0
    /// Of them, hung up while waiting.
    public var abandoned = 0
    /// Answered within the service-level threshold.
    public var answeredWithinThreshold = 0
    /// Total wait of the answered calls, seconds.
    public var totalWait = 0
    /// Total talk time of the completed calls, seconds, and how many there were.
    public var totalTalk = 0
    public var completed = 0
    /// Of the offered calls, those that left the queue unanswered (timeout, no seat logged
    /// in, a key pressed): known from queue_log only.
    public var left = 0
    /// The queue, in figures per queue; nil in figures per department.
    public var queue: String?

    /// A day with nothing yet.
    public init(day: String, department: String, queue: String? = nil) {
        self.day = day
        self.department = department
        self.queue = queue
    }

    /// Percent of the offered calls answered within the threshold (abandoned calls count
    /// against it); nil without calls.
    public var serviceLevel: Double? { offered == 0 ? nil : Double(answeredWithinThreshold) * 100 / Double(offered) }
    /// Average wait of the answered calls, seconds; nil when none was answered.
    public var averageWait: Double? { answered == 0 ? nil : Double(totalWait) / Double(answered) }
    /// Average talk time of the completed calls, seconds; nil when none completed.
    public var averageTalk: Double? { completed == 0 ? nil : Double(totalTalk) / Double(completed) }
}

extension TicketStore {
    /// Records a queue event of `pbx` at `now`. An event for a call whose join was missed (the
    /// daemon started while it waited) starts its row then; a repeated event changes nothing.
    public func recordQueueEvent(_ event: QueueCallEvent, pbx: String, at now: Date = Date()) async throws {
        try await groupCommitWrite { db in
            try Self.apply(event, pbx: pbx, at: now, db)
        }
    }

    /// Records queue events read from `pbx`'s queue_log, each at its own time, and moves the
    /// read position to `position` in the same transaction. Events AMI has already reported
    /// change nothing, so a line read twice (or seen live too) is counted once.
    public func recordQueueLog(_ events: [(event: QueueCallEvent, at: Date)], pbx: String, position: QueueLogPosition?) async throws {
        try await groupCommitWrite { db in
            for (event, time) in events {
                try Self.apply(event, pbx: pbx, at: time, db)
            }
            if let position {
                try db.cachedStatement(sql: """
                    INSERT INTO queue_log_positions (pbx, file, offset, read_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (pbx) DO UPDATE SET file = excluded.file, offset = excluded.offset, read_at = excluded.read_at
                    """).execute(arguments: [pbx, position.file, Int64(clamping: position.offset), Timestamp.text(Date())])
            }
        }
    }

    /// How far `pbx`'s queue_log has been read; nil before the first read.
    public func queueLogPosition(pbx: String) async throws -> QueueLogPosition? {
        try await database.writer.read { db in
            try Row.fetchOne(db, sql: "SELECT file, offset FROM queue_log_positions WHERE pbx = ?", arguments: [pbx]).map { row in
                QueueLogPosition(file: row[0], offset: UInt64(max(0, row[1] as Int64)))
            }
        }
    }

    static func apply(_ event: QueueCallEvent, pbx: String, at now: Date, _ db: Database) throws {
        switch event {
        case .joined(let uniqueid, let queue, let department, let caller):
            try db.cachedStatement(sql: """
                INSERT INTO queue_calls (pbx, uniqueid, queue, department, caller_number, joined_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (pbx, uniqueid, queue) DO UPDATE SET
                    department = COALESCE(queue_calls.department, excluded.department),
                    caller_number = COALESCE(queue_calls.caller_number, excluded.caller_number)
                """).execute(arguments: [pbx, uniqueid, queue, department, caller, Timestamp.text(now)])
        case .answered(let uniqueid, let queue, let waited, let member):
            try ensureQueueCall(db, pbx: pbx, uniqueid: uniqueid, queue: queue, joinedAt: now.addingTimeInterval(-Double(waited)))
            try db.cachedStatement(sql: """
                UPDATE queue_calls SET outcome = 'answered', wait_seconds = ?, member = ? WHERE pbx = ? AND uniqueid = ? AND queue = ? AND outcome = 'waiting'
                """).execute(arguments: [waited, member, pbx, uniqueid, queue])
        case .completed(let uniqueid, let queue, let talked):
            try db.cachedStatement(sql: "UPDATE queue_calls SET talk_seconds = ? WHERE pbx = ? AND uniqueid = ? AND queue = ? AND outcome = 'answered'")
                .execute(arguments: [talked, pbx, uniqueid, queue])
        case .abandoned(let uniqueid, let queue, let waited):
            try ensureQueueCall(db, pbx: pbx, uniqueid: uniqueid, queue: queue, joinedAt: now.addingTimeInterval(-Double(waited)))
            try db.cachedStatement(sql: """
                UPDATE queue_calls SET outcome = 'abandoned', wait_seconds = ? WHERE pbx = ? AND uniqueid = ? AND queue = ? AND outcome = 'waiting'
                """).execute(arguments: [waited, pbx, uniqueid, queue])
        case .left(let uniqueid, let queue, let waited):
            // AMI's QueueCallerAbandon does not tell a caller who hung up from one the queue let
            // go; queue_log (or the caller joining the next queue) does, so `left` wins.
            try ensureQueueCall(db, pbx: pbx, uniqueid: uniqueid, queue: queue, joinedAt: now.addingTimeInterval(-Double(waited)))
            try db.cachedStatement(sql: """
                UPDATE queue_calls SET outcome = 'left', wait_seconds = ? WHERE pbx = ? AND uniqueid = ? AND queue = ? AND outcome IN ('waiting', 'abandoned')
                """).execute(arguments: [waited, pbx, uniqueid, queue])
        }
    }

    static func ensureQueueCall(_ db: Database, pbx: String, uniqueid: String, queue: String, joinedAt: Date) throws {
        try db.cachedStatement(sql: """
            INSERT INTO queue_calls (pbx, uniqueid, queue, joined_at) VALUES (?, ?, ?, ?) ON CONFLICT (pbx, uniqueid, queue) DO NOTHING
            """).execute(arguments: [pbx, uniqueid, queue, Timestamp.text(joinedAt)])
    }

    /// Calls per local day and department that joined a queue from `start` up to `end`; a call
    /// counts on the day it joined. `threshold` is the service level's answer time, seconds.
    public func dailyCallFigures(from start: Date, to end: Date, utcOffset: Int = 0, threshold: Int = 20) async throws -> [DailyCallFigures] {
        try await callFigures(from: start, to: end, utcOffset: utcOffset, threshold: threshold, perQueue: false)
    }

    /// The same figures per local day, queue and PBX (`department` then names the department of
    /// the day's first call in the queue): what `helpline queue-log check` compares with queue_log.
    public func dailyQueueFigures(pbx: String, from start: Date, to end: Date, utcOffset: Int = 0, threshold: Int = 20) async throws -> [DailyCallFigures] {
        try await callFigures(from: start, to: end, utcOffset: utcOffset, threshold: threshold, perQueue: true, pbx: pbx)
    }

    func callFigures(from start: Date, to end: Date, utcOffset: Int, threshold: Int, perQueue: Bool, pbx: String? = nil) async throws -> [DailyCallFigures] {
        let offset = utcOffset >= 0 ? "+\(utcOffset) seconds" : "\(utcOffset) seconds"
        let group = perQueue ? "queue" : "COALESCE(department, 'general')"
        let department = perQueue ? "COALESCE(MIN(department), 'general')" : "NULL"
        return try await database.writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT date(joined_at, ?) AS day, \(group), COUNT(*),
                        SUM(outcome = 'answered'), SUM(outcome = 'abandoned'), SUM(outcome = 'answered' AND wait_seconds <= ?),
                        SUM(CASE WHEN outcome = 'answered' THEN wait_seconds ELSE 0 END), SUM(COALESCE(talk_seconds, 0)), SUM(talk_seconds IS NOT NULL),
                        SUM(outcome = 'left'), \(department)
                    FROM queue_calls WHERE joined_at >= ? AND joined_at < ? AND (? IS NULL OR pbx = ?) GROUP BY 1, 2 ORDER BY 1, 2
                    """),
                arguments: [offset, threshold, Timestamp.text(start), Timestamp.text(end), pbx, pbx]
            ).map { row in
                var figures = perQueue ? DailyCallFigures(day: row[0], department: row[10], queue: row[1]) : DailyCallFigures(day: row[0], department: row[1])
                figures.left = row[9]
                figures.offered = row[2]
                figures.answered = row[3]
                figures.abandoned = row[4]
                figures.answeredWithinThreshold = row[5]
                figures.totalWait = row[6]
                figures.totalTalk = row[7]
                figures.completed = row[8]
                return figures
            }
        }
    }
}
