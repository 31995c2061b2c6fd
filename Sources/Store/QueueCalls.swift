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

    /// A day with nothing yet.
    public init(day: String, department: String) {
        self.day = day
        self.department = department
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
        let time = Timestamp.text(now)
        try await groupCommitWrite { db in
            switch event {
            case .joined(let uniqueid, let queue, let department, let caller):
                try db.cachedStatement(sql: """
                    INSERT INTO queue_calls (pbx, uniqueid, queue, department, caller_number, joined_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (pbx, uniqueid, queue) DO NOTHING
                    """).execute(arguments: [pbx, uniqueid, queue, department, caller, time])
            case .answered(let uniqueid, let queue, let waited, let member):
                try Self.ensureQueueCall(db, pbx: pbx, uniqueid: uniqueid, queue: queue, joinedAt: now.addingTimeInterval(-Double(waited)))
                try db.cachedStatement(sql: """
                    UPDATE queue_calls SET outcome = 'answered', wait_seconds = ?, member = ? WHERE pbx = ? AND uniqueid = ? AND queue = ? AND outcome = 'waiting'
                    """).execute(arguments: [waited, member, pbx, uniqueid, queue])
            case .completed(let uniqueid, let queue, let talked):
                try db.cachedStatement(sql: "UPDATE queue_calls SET talk_seconds = ? WHERE pbx = ? AND uniqueid = ? AND queue = ? AND outcome = 'answered'")
                    .execute(arguments: [talked, pbx, uniqueid, queue])
            case .abandoned(let uniqueid, let queue, let waited):
                try Self.ensureQueueCall(db, pbx: pbx, uniqueid: uniqueid, queue: queue, joinedAt: now.addingTimeInterval(-Double(waited)))
                try db.cachedStatement(sql: """
                    UPDATE queue_calls SET outcome = 'abandoned', wait_seconds = ? WHERE pbx = ? AND uniqueid = ? AND queue = ? AND outcome = 'waiting'
                    """).execute(arguments: [waited, pbx, uniqueid, queue])
            }
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
        let offset = utcOffset >= 0 ? "+\(utcOffset) seconds" : "\(utcOffset) seconds"
        return try await database.writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT date(joined_at, ?) AS day, COALESCE(department, 'general'), COUNT(*),
                        SUM(outcome = 'answered'), SUM(outcome = 'abandoned'), SUM(outcome = 'answered' AND wait_seconds <= ?),
                        SUM(CASE WHEN outcome = 'answered' THEN wait_seconds ELSE 0 END), SUM(COALESCE(talk_seconds, 0)), SUM(talk_seconds IS NOT NULL)
                    FROM queue_calls WHERE joined_at >= ? AND joined_at < ? GROUP BY 1, 2 ORDER BY 1, 2
                    """),
                arguments: [offset, threshold, Timestamp.text(start), Timestamp.text(end)]
            ).map { row in
                var figures = DailyCallFigures(day: row[0], department: row[1])
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
