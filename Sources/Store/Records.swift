public import Foundation
import GRDB
import HelplineDomain

/// One IVR session, as stored in `calls`.
public struct CallRecord: Codable, Sendable, Hashable {
    /// The Asterisk channel's uniqueid.
    public var uniqueid: String
    /// The linkedid tying the call's channels together.
    public var linkedid: String?
    /// The caller's number.
    public var caller: String?
    /// The number dialled (1076, 1022 …).
    public var dnid: String?
    /// The language the call ended in.
    public var language: String?
    /// The FastAGI script.
    public var script: String?
    /// The menu nodes visited, a JSON array.
    public var path: String
    /// How the session ended (`queued`, `ticket`, `hangup`, `callback` …).
    public var outcome: String?
    /// When the session began.
    public var startedAt: Date
    /// When the caller was handed to a queue.
    public var queuedAt: Date?
    /// When the session ended.
    public var endedAt: Date?

    /// A call row.
    public init(uniqueid: String, linkedid: String? = nil, caller: String? = nil, dnid: String? = nil, language: String? = nil, script: String? = nil, path: [String] = [], outcome: String? = nil, startedAt: Date, queuedAt: Date? = nil, endedAt: Date? = nil) {
        self.uniqueid = uniqueid
        self.linkedid = linkedid
        self.caller = caller
        self.dnid = dnid
        self.language = language
        self.script = script
        self.path = JSONText.array(path)
        self.outcome = outcome
        self.startedAt = startedAt
        self.queuedAt = queuedAt
        self.endedAt = endedAt
    }
}

/// A column that held something the schema does not allow.
struct UnexpectedColumnValue: Error, CustomStringConvertible {
    var column: String
    var value: String
    var description: String { "unexpected value '\(value)' in column \(column)" }
}

extension Row {
    /// A non-null timestamp column.
    func timestamp(_ column: String) throws -> Date {
        let text: String = try decode(String.self, forColumn: column)
        guard let date = Timestamp.date(text) else { throw UnexpectedColumnValue(column: column, value: text) }
        return date
    }

    /// A nullable timestamp column.
    func optionalTimestamp(_ column: String) throws -> Date? {
        guard let text = try decode(String?.self, forColumn: column) else { return nil }
        guard let date = Timestamp.date(text) else { throw UnexpectedColumnValue(column: column, value: text) }
        return date
    }

    /// A column holding an enumeration's raw value.
    func value<T: RawRepresentable>(_ type: T.Type, _ column: String) throws -> T where T.RawValue == String {
        let text: String = try decode(String.self, forColumn: column)
        guard let value = T(rawValue: text) else { throw UnexpectedColumnValue(column: column, value: text) }
        return value
    }
}

extension Ticket {
    /// Decodes a `tickets` row by column name, without Codable: ticket reads are on the IVR's path.
    init(row: Row) throws {
        self.init(
            id: try row.decode(Int64.self, forColumn: "id"),
            number: try row.decode(String.self, forColumn: "number"),
            createdAt: try row.timestamp("created_at"),
            updatedAt: try row.timestamp("updated_at"),
            source: try row.value(TicketSource.self, "source"),
            callerNumber: try row.decode(String.self, forColumn: "caller_number"),
            callerName: try row.decode(String?.self, forColumn: "caller_name"),
            language: try row.decode(String.self, forColumn: "language"),
            district: try row.decode(String?.self, forColumn: "district"),
            department: try row.decode(String.self, forColumn: "department"),
            category: try row.decode(String?.self, forColumn: "category"),
            descriptionRecording: try row.decode(String?.self, forColumn: "description_recording"),
            descriptionText: try row.decode(String?.self, forColumn: "description_text"),
            status: try row.value(TicketStatus.self, "status"),
            level: try row.value(TicketLevel.self, "level"),
            reopenCount: try row.decode(Int.self, forColumn: "reopen_count"),
            assignedOfficer: try row.decode(String?.self, forColumn: "assigned_officer"),
            dueAt: try row.optionalTimestamp("due_at"),
            resolvedAt: try row.optionalTimestamp("resolved_at"),
            closedAt: try row.optionalTimestamp("closed_at"),
            callUniqueid: try row.decode(String?.self, forColumn: "call_uniqueid"),
            duplicateOf: try row.decode(String?.self, forColumn: "duplicate_of"))
    }
}

extension Ticket {
    /// The ticket of the first row `statement` yields.
    static func fetchOne(_ statement: Statement, arguments: StatementArguments = StatementArguments()) throws -> Ticket? {
        try Row.fetchOne(statement, arguments: arguments).map(Ticket.init(row:))
    }

    /// The tickets of every row `statement` yields.
    static func fetchAll(_ statement: Statement, arguments: StatementArguments = StatementArguments()) throws -> [Ticket] {
        try Row.fetchAll(statement, arguments: arguments).map(Ticket.init(row:))
    }

    /// The tickets of every row `sql` yields.
    static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> [Ticket] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map(Ticket.init(row:))
    }
}

/// A value decoded from a row by its `Decodable` conformance, columns in snake case
/// (`ticket_id` for `ticketId`): GRDB's record protocols stay inside the store, so the
/// domain's values conform to none of them.
struct DecodedRow<Value: Decodable>: FetchableRecord, Decodable {
    static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }

    /// The decoded value.
    var value: Value

    init(from decoder: any Decoder) throws {
        value = try Value(from: decoder)
    }

    /// The value of the first row `statement` yields.
    static func one(_ statement: Statement, arguments: StatementArguments = StatementArguments()) throws -> Value? {
        try fetchOne(statement, arguments: arguments)?.value
    }

    /// The values of every row `statement` yields.
    static func all(_ statement: Statement, arguments: StatementArguments = StatementArguments()) throws -> [Value] {
        try fetchAll(statement, arguments: arguments).map(\.value)
    }
}
