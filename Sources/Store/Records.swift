public import Foundation
public import GRDB

/// Where a complaint came from.
public enum TicketSource: String, Codable, Sendable, CaseIterable {
    /// Registered by a caller in the IVR.
    case ivr
    /// Through the HTTP API (web or chat intake, an officer).
    case api
    /// During an outbound call (feedback, campaign).
    case outbound
}

/// A complaint as stored.
public struct Ticket: Sendable, Hashable, FetchableRecord, TableRecord {
    public static let databaseTableName = "tickets"

    /// The row id.
    public var id: Int64
    /// The number spoken to the citizen, digits with a check digit.
    public var number: String
    /// When it was registered.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date
    /// Where it came from.
    public var source: TicketSource
    /// The citizen's phone number.
    public var callerNumber: String
    /// The citizen's name, when known.
    public var callerName: String?
    /// The language the citizen chose (`hi`, `en`, `vi` …).
    public var language: String
    /// The district code.
    public var district: String?
    /// The department it belongs to.
    public var department: String
    /// The category within the department.
    public var category: String?
    /// The recording of the citizen's description (a path Asterisk wrote).
    public var descriptionRecording: String?
    /// A written description (web intake, an officer's transcription).
    public var descriptionText: String?
    /// Where it stands.
    public var status: TicketStatus
    /// The escalation level.
    public var level: TicketLevel
    /// How many times the citizen sent an L1 resolution back.
    public var reopenCount: Int
    /// The officer it is with.
    public var assignedOfficer: String?
    /// When the department must have resolved it (SLA).
    public var dueAt: Date?
    /// When it was last resolved (cleared when the citizen sends it back).
    public var resolvedAt: Date?
    /// When it reached a final state.
    public var closedAt: Date?
    /// The Asterisk uniqueid of the call that registered it: one ticket per call.
    public var callUniqueid: String?
    /// The ticket this one duplicates.
    public var duplicateOf: String?

    /// The lifecycle position.
    public var position: TicketPosition { TicketPosition(status: status, level: level, reopenCount: reopenCount) }

    /// A ticket from its values (the store builds them; tests and tools may too).
    public init(
        id: Int64, number: String, createdAt: Date, updatedAt: Date, source: TicketSource, callerNumber: String,
        callerName: String? = nil, language: String, district: String? = nil, department: String, category: String? = nil,
        descriptionRecording: String? = nil, descriptionText: String? = nil, status: TicketStatus, level: TicketLevel,
        reopenCount: Int = 0, assignedOfficer: String? = nil, dueAt: Date? = nil, resolvedAt: Date? = nil,
        closedAt: Date? = nil, callUniqueid: String? = nil, duplicateOf: String? = nil
    ) {
        self.id = id
        self.number = number
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.source = source
        self.callerNumber = callerNumber
        self.callerName = callerName
        self.language = language
        self.district = district
        self.department = department
        self.category = category
        self.descriptionRecording = descriptionRecording
        self.descriptionText = descriptionText
        self.status = status
        self.level = level
        self.reopenCount = reopenCount
        self.assignedOfficer = assignedOfficer
        self.dueAt = dueAt
        self.resolvedAt = resolvedAt
        self.closedAt = closedAt
        self.callUniqueid = callUniqueid
        self.duplicateOf = duplicateOf
    }
}

/// One entry of a ticket's append-only history.
public struct TicketEvent: Codable, Sendable, Hashable, FetchableRecord, TableRecord {
    public static let databaseTableName = "ticket_events"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase

    /// The row id (history order).
    public var id: Int64
    /// The ticket.
    public var ticketId: Int64
    /// When.
    public var at: Date
    /// `registered`, `assigned`, `resolved`, `reopened`, `escalated`, `closed`, … or `note`.
    public var transition: String
    /// The status before (nil for `registered`).
    public var fromStatus: TicketStatus?
    /// The status after.
    public var toStatus: TicketStatus
    /// The level after.
    public var level: TicketLevel
    /// Who did it: `ivr`, an officer, an API token's name, `cli:<user>`.
    public var actor: String
    /// The note given with it.
    public var note: String?

    /// A history entry from its values.
    public init(id: Int64, ticketId: Int64, at: Date, transition: String, fromStatus: TicketStatus?, toStatus: TicketStatus, level: TicketLevel, actor: String, note: String?) {
        self.id = id
        self.ticketId = ticketId
        self.at = at
        self.transition = transition
        self.fromStatus = fromStatus
        self.toStatus = toStatus
        self.level = level
        self.actor = actor
        self.note = note
    }
}

/// A routing decision to record: what Routing was asked and what it answered.
public struct RoutingDecisionInput: Sendable, Hashable {
    /// The call it was made for.
    public var callUniqueid: String?
    /// The inputs as a JSON object (caller, category, district, live figures …).
    public var inputsJSON: String
    /// The action chosen (`queue`, `overflow`, `callback`, `complaint_only`, `closed` …).
    public var outcome: String
    /// The department chosen.
    public var department: String?
    /// The queue chosen.
    public var queue: String?
    /// The queue priority.
    public var priority: Int?
    /// Human-readable reasons, in order.
    public var reasons: [String]

    /// A decision to record.
    public init(callUniqueid: String?, inputsJSON: String, outcome: String, department: String? = nil, queue: String? = nil, priority: Int? = nil, reasons: [String] = []) {
        self.callUniqueid = callUniqueid
        self.inputsJSON = inputsJSON
        self.outcome = outcome
        self.department = department
        self.queue = queue
        self.priority = priority
        self.reasons = reasons
    }
}

/// A routing decision as stored.
public struct RoutingDecision: Codable, Sendable, Hashable, FetchableRecord, TableRecord {
    public static let databaseTableName = "routing_decisions"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase

    /// The row id.
    public var id: Int64
    /// The call.
    public var callUniqueid: String?
    /// The ticket it led to, if any.
    public var ticketId: Int64?
    /// When.
    public var decidedAt: Date
    /// The inputs, JSON.
    public var inputs: String
    /// The action chosen.
    public var outcome: String
    /// The department.
    public var department: String?
    /// The queue.
    public var queue: String?
    /// The priority.
    public var priority: Int?
    /// The reasons, a JSON array of strings.
    public var reasons: String

    /// The reasons decoded.
    public var reasonList: [String] {
        (try? JSONDecoder().decode([String].self, from: Data(reasons.utf8))) ?? []
    }
}

/// One IVR session, as stored in `calls`.
public struct CallRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "calls"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

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

/// A new complaint to register.
public struct NewTicket: Sendable, Hashable {
    /// Where it comes from.
    public var source: TicketSource
    /// The citizen's phone number.
    public var callerNumber: String
    /// The citizen's name.
    public var callerName: String?
    /// The language.
    public var language: String
    /// The district code.
    public var district: String?
    /// The department (from Routing).
    public var department: String
    /// The category.
    public var category: String?
    /// The recording of the description.
    public var descriptionRecording: String?
    /// A written description.
    public var descriptionText: String?
    /// The call's uniqueid; a second creation with the same one returns the first ticket.
    public var callUniqueid: String?
    /// The L1 officer; when given the ticket is assigned in the same transaction.
    public var officer: String?
    /// The SLA due time.
    public var dueAt: Date?

    /// A complaint to register.
    public init(source: TicketSource, callerNumber: String, callerName: String? = nil, language: String, district: String? = nil, department: String, category: String? = nil, descriptionRecording: String? = nil, descriptionText: String? = nil, callUniqueid: String? = nil, officer: String? = nil, dueAt: Date? = nil) {
        self.source = source
        self.callerNumber = callerNumber
        self.callerName = callerName
        self.language = language
        self.district = district
        self.department = department
        self.category = category
        self.descriptionRecording = descriptionRecording
        self.descriptionText = descriptionText
        self.callUniqueid = callUniqueid
        self.officer = officer
        self.dueAt = dueAt
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
    public init(row: Row) throws {
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
