public import Foundation

/// Where a complaint came from.
public enum TicketSource: String, Codable, Sendable, CaseIterable {
    /// Registered by a caller in the IVR.
    case ivr
    /// Through the HTTP API (web or chat intake, an officer).
    case api
    /// During an outbound call (feedback, campaign).
    case outbound
}

/// What a complaint is about and who made it: the values it is registered with, which stay
/// as they were (``NewTicket`` carries them in, ``Ticket`` keeps them).
public struct TicketIntake: Sendable, Hashable {
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
    /// The department it belongs to (from Routing).
    public var department: String
    /// The category within the department.
    public var category: String?
    /// The recording of the citizen's description (a path Asterisk wrote).
    public var descriptionRecording: String?
    /// A written description (web intake, an officer's transcription).
    public var descriptionText: String?
    /// The Asterisk uniqueid of the call that registered it: one ticket per call (a second
    /// creation with the same one returns the first ticket).
    public var callUniqueid: String?

    /// The values of a complaint.
    public init(
        source: TicketSource, callerNumber: String, callerName: String? = nil, language: String, district: String? = nil, department: String,
        category: String? = nil, descriptionRecording: String? = nil, descriptionText: String? = nil, callUniqueid: String? = nil
    ) {
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
    }
}

/// A complaint as stored: its intake (``TicketIntake``, read as the ticket's own properties:
/// `ticket.callerNumber`) and where it stands now.
@dynamicMemberLookup
public struct Ticket: Sendable, Hashable {
    /// The row id.
    public var id: Int64
    /// The number spoken to the citizen, digits with a check digit.
    public var number: String
    /// When it was registered.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date
    /// What it is about and who made it.
    public var intake: TicketIntake
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
    /// The ticket this one duplicates.
    public var duplicateOf: String?

    /// An intake value as the ticket's own (`ticket.department`).
    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<TicketIntake, Value>) -> Value {
        get { intake[keyPath: keyPath] }
        set { intake[keyPath: keyPath] = newValue }
    }

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
        intake = TicketIntake(
            source: source, callerNumber: callerNumber, callerName: callerName, language: language, district: district, department: department,
            category: category, descriptionRecording: descriptionRecording, descriptionText: descriptionText, callUniqueid: callUniqueid)
        self.status = status
        self.level = level
        self.reopenCount = reopenCount
        self.assignedOfficer = assignedOfficer
        self.dueAt = dueAt
        self.resolvedAt = resolvedAt
        self.closedAt = closedAt
        self.duplicateOf = duplicateOf
    }
}

/// One entry of a ticket's append-only history.
public struct TicketEvent: Codable, Sendable, Hashable {
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

/// A new complaint to register: its intake (read as its own properties: `new.department`),
/// and the L1 officer and due time it starts with.
@dynamicMemberLookup
public struct NewTicket: Sendable, Hashable {
    /// What it is about and who makes it.
    public var intake: TicketIntake
    /// The L1 officer; when given the ticket is assigned in the same transaction.
    public var officer: String?
    /// The SLA due time.
    public var dueAt: Date?

    /// An intake value as the complaint's own (`new.department`).
    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<TicketIntake, Value>) -> Value {
        get { intake[keyPath: keyPath] }
        set { intake[keyPath: keyPath] = newValue }
    }

    /// A complaint to register.
    public init(source: TicketSource, callerNumber: String, callerName: String? = nil, language: String, district: String? = nil, department: String, category: String? = nil, descriptionRecording: String? = nil, descriptionText: String? = nil, callUniqueid: String? = nil, officer: String? = nil, dueAt: Date? = nil) {
        intake = TicketIntake(
            source: source, callerNumber: callerNumber, callerName: callerName, language: language, district: district, department: department,
            category: category, descriptionRecording: descriptionRecording, descriptionText: descriptionText, callUniqueid: callUniqueid)
        self.officer = officer
        self.dueAt = dueAt
    }
}
