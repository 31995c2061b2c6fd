import Foundation
import Store
import HelplineDomain

/// A ticket as the API shows it. The caller's full number is included: officers call the
/// citizen back. (Logs never carry it: see ``PhoneNumber/masked(_:)``.)
struct TicketBody: Encodable, Sendable {
    var number: String
    var status: String
    var level: String
    var department: String
    var category: String?
    var district: String?
    var language: String
    var source: String
    var callerNumber: String
    var callerName: String?
    var descriptionRecording: String?
    var descriptionText: String?
    var assignedOfficer: String?
    var reopenCount: Int
    var createdAt: Date
    var updatedAt: Date
    var dueAt: Date?
    var resolvedAt: Date?
    var closedAt: Date?
    var overdue: Bool
    var callUniqueid: String?
    var duplicateOf: String?

    init(_ ticket: Ticket, now: Date) {
        number = ticket.number
        status = ticket.status.rawValue
        level = ticket.level.rawValue
        department = ticket.department
        category = ticket.category
        district = ticket.district
        language = ticket.language
        source = ticket.source.rawValue
        callerNumber = ticket.callerNumber
        callerName = ticket.callerName
        descriptionRecording = ticket.descriptionRecording
        descriptionText = ticket.descriptionText
        assignedOfficer = ticket.assignedOfficer
        reopenCount = ticket.reopenCount
        createdAt = ticket.createdAt
        updatedAt = ticket.updatedAt
        dueAt = ticket.dueAt
        resolvedAt = ticket.resolvedAt
        closedAt = ticket.closedAt
        overdue = TicketBody.isOverdue(ticket, now: now)
        callUniqueid = ticket.callUniqueid
        duplicateOf = ticket.duplicateOf
    }
}

extension TicketBody {
    /// Whether an open ticket is past its due time (a resolved one awaiting feedback is not):
    /// the API's `overdue` and the desk's overdue badge.
    static func isOverdue(_ ticket: Ticket, now: Date) -> Bool {
        ticket.status.isOpen && ticket.status != .resolved && (ticket.dueAt.map { $0 < now } ?? false)
    }
}

/// One page of tickets.
struct TicketPage: Encodable, Sendable {
    var tickets: [TicketBody]
    var limit: Int
    var offset: Int
    /// The offset of the next page; nil on the last.
    var nextOffset: Int?
}

/// A ticket with everything recorded about it.
struct TicketDetail: Encodable, Sendable {
    struct Event: Encodable, Sendable {
        var at: Date
        var transition: String
        var fromStatus: String?
        var toStatus: String
        var level: String
        var actor: String
        var note: String?
    }

    struct Decision: Encodable, Sendable {
        var decidedAt: Date
        var outcome: String
        var department: String?
        var queue: String?
        var priority: Int?
        var reasons: [String]
        var inputs: JSONValue?
        var callUniqueid: String?
    }

    struct Call: Encodable, Sendable {
        var uniqueid: String
        var caller: String?
        var dnid: String?
        var language: String?
        var script: String?
        var path: [String]
        var outcome: String?
        var startedAt: Date
        var queuedAt: Date?
        var endedAt: Date?
    }

    var ticket: TicketBody
    var history: [Event]
    var decisions: [Decision]
    var call: Call?

    init(_ history: TicketHistory, now: Date) {
        ticket = TicketBody(history.ticket, now: now)
        self.history = history.events.map {
            Event(at: $0.at, transition: $0.transition, fromStatus: $0.fromStatus?.rawValue, toStatus: $0.toStatus.rawValue,
                  level: $0.level.rawValue, actor: $0.actor, note: $0.note)
        }
        decisions = history.decisions.map {
            Decision(decidedAt: $0.decidedAt, outcome: $0.outcome, department: $0.department, queue: $0.queue, priority: $0.priority,
                     reasons: $0.reasonList, inputs: JSONValue(text: $0.inputs), callUniqueid: $0.callUniqueid)
        }
        call = history.call.map {
            Call(uniqueid: $0.uniqueid, caller: $0.caller, dnid: $0.dnid, language: $0.language, script: $0.script,
                 path: (try? JSONDecoder().decode([String].self, from: Data($0.path.utf8))) ?? [], outcome: $0.outcome,
                 startedAt: $0.startedAt, queuedAt: $0.queuedAt, endedAt: $0.endedAt)
        }
    }
}

/// `POST …/resolve`.
struct ResolveBody: Decodable, Sendable {
    var report: String
}

/// `POST …/reassign`.
struct ReassignBody: Decodable, Sendable {
    var officer: String
    var note: String?
}

/// `POST …/notes`.
struct NoteBody: Decodable, Sendable {
    var note: String
}

/// `POST /api/v1/tickets`: a complaint from a website or a chat channel.
struct IntakeBody: Decodable, Sendable {
    /// `web` or `chat`.
    var channel: String
    var callerNumber: String
    var callerName: String?
    var language: String
    var category: String
    var district: String?
    var description: String
    /// The front end's own id for the complaint: a retried submission with the same channel
    /// and reference returns the ticket the first one made.
    var reference: String?
}

