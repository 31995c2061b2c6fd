/// Where a complaint stands.
public enum TicketStatus: String, Codable, Sendable, CaseIterable {
    /// Created; no officer yet.
    case registered
    /// With an L1 officer.
    case assigned
    /// The department reports it resolved; the citizen's feedback is awaited.
    case resolved
    /// The citizen was not satisfied with the L1 resolution; back with L1.
    case reopened
    /// Not satisfied a second time; with an L2 officer.
    case escalated
    /// Finished: the citizen was satisfied, or the L2 resolution stands.
    case closed
    /// Withdrawn by an administrator.
    case cancelled
    /// A duplicate of another complaint, marked by an administrator.
    case duplicate

    /// Whether the complaint still needs work or feedback (everything but the three final states).
    public var isOpen: Bool {
        switch self {
        case .closed, .cancelled, .duplicate: false
        default: true
        }
    }
}

/// The escalation level of a complaint.
public enum TicketLevel: String, Codable, Sendable, CaseIterable {
    /// The district officer of the department.
    case l1 = "L1"
    /// The senior officer a complaint reaches after two unsatisfactory resolutions.
    case l2 = "L2"
}

/// Something done to a ticket. Each valid action appends one row to its history.
public enum TicketAction: Hashable, Sendable {
    /// Gives a registered ticket to its L1 officer.
    case assign(officer: String)
    /// Gives an assigned, reopened or escalated ticket to another officer.
    case reassign(officer: String)
    /// The department reports the complaint resolved.
    case resolve
    /// The citizen's answer after a resolution.
    case feedback(satisfied: Bool)
    /// Sends an open L1 ticket up to L2 without waiting for feedback (its SLA ran out).
    case escalate
    /// An administrator withdraws the complaint.
    case cancel
    /// An administrator marks it a duplicate of another ticket.
    case markDuplicate(of: TicketNumber)
    /// A note in the history; changes nothing else.
    case note

    /// The action's name in error messages and the command line.
    public var name: String {
        switch self {
        case .assign: "assign"
        case .reassign: "reassign"
        case .resolve: "resolve"
        case .feedback(let satisfied): satisfied ? "feedback (satisfied)" : "feedback (not satisfied)"
        case .escalate: "escalate"
        case .cancel: "cancel"
        case .markDuplicate: "mark duplicate"
        case .note: "note"
        }
    }
}

/// The part of a ticket the lifecycle reads and changes.
public struct TicketPosition: Hashable, Sendable {
    /// The status.
    public var status: TicketStatus
    /// The level.
    public var level: TicketLevel
    /// How many times the citizen sent an L1 resolution back.
    public var reopenCount: Int

    /// A position.
    public init(status: TicketStatus, level: TicketLevel, reopenCount: Int) {
        self.status = status
        self.level = level
        self.reopenCount = reopenCount
    }
}

/// The result of a valid action: the new position and the transition recorded in history.
public struct TicketTransition: Hashable, Sendable {
    /// The position after the action.
    public var position: TicketPosition
    /// The history entry's name: `assigned`, `reassigned`, `resolved`, `closed`,
    /// `closed_dissatisfied`, `reopened`, `escalated`, `cancelled`, `duplicate` or `note`.
    public var name: String
}

/// An action that is not valid for the ticket's current position.
public struct InvalidTicketTransition: Error, Hashable, Sendable, CustomStringConvertible {
    /// The action refused.
    public var action: String
    /// The position it was refused in.
    public var from: TicketPosition
    /// What would be valid instead.
    public var hint: String

    /// The message for officers and logs.
    public var description: String {
        "cannot \(action) a ticket that is \(from.status.rawValue) at \(from.level.rawValue): \(hint)"
    }
}

/// The ticket lifecycle as a pure function: the escalation ladder of the helpline.
///
/// ```
/// registered ─assign→ assigned(L1) ─resolve→ resolved ─satisfied→ closed
///                                               │ not satisfied (first time, L1)
///                                               ▼
///                      reopened(L1) ─resolve→ resolved ─not satisfied again→ escalated(L2)
///                                                                  ─resolve→ resolved ─any answer→ closed
/// assigned or reopened (L1) ─escalate→ escalated(L2)                    (its SLA ran out)
/// any open state ─cancel→ cancelled, ─mark duplicate→ duplicate   (administrators)
/// ```
///
/// After an L2 resolution the ladder has no higher step: a dissatisfied answer closes the
/// ticket as `closed_dissatisfied`, so reports can count it.
public enum TicketLifecycle {
    /// The transition `action` makes from `position`, or why it is refused.
    public static func apply(_ action: TicketAction, to position: TicketPosition) throws(InvalidTicketTransition) -> TicketTransition {
        var next = position
        func refuse(_ hint: String) -> InvalidTicketTransition {
            InvalidTicketTransition(action: action.name, from: position, hint: hint)
        }
        if !position.status.isOpen, action != .note {
            throw refuse("the ticket is final; only notes can be added")
        }
        switch action {
        case .note:
            return TicketTransition(position: position, name: "note")
        case .assign:
            guard position.status == .registered else {
                throw refuse("only a registered ticket is assigned; use reassign to change its officer")
            }
            next.status = .assigned
            next.level = .l1
            return TicketTransition(position: next, name: "assigned")
        case .reassign:
            guard [.assigned, .reopened, .escalated].contains(position.status) else {
                throw refuse(position.status == .registered ? "assign it first" : "a resolved ticket awaits the citizen's feedback")
            }
            return TicketTransition(position: next, name: "reassigned")
        case .resolve:
            guard [.assigned, .reopened, .escalated].contains(position.status) else {
                throw refuse(position.status == .registered ? "assign it to an officer first" : "it is already resolved and awaits the citizen's feedback")
            }
            next.status = .resolved
            return TicketTransition(position: next, name: "resolved")
        case .feedback(let satisfied):
            guard position.status == .resolved else {
                throw refuse("feedback is taken only after a resolution")
            }
            if satisfied {
                next.status = .closed
                return TicketTransition(position: next, name: "closed")
            }
            switch (position.level, position.reopenCount) {
            case (.l1, 0):
                next.status = .reopened
                next.reopenCount += 1
                return TicketTransition(position: next, name: "reopened")
            case (.l1, _):
                next.status = .escalated
                next.level = .l2
                return TicketTransition(position: next, name: "escalated")
            case (.l2, _):
                next.status = .closed
                return TicketTransition(position: next, name: "closed_dissatisfied")
            }
        case .escalate:
            guard position.level == .l1, [.assigned, .reopened].contains(position.status) else {
                throw refuse(position.level == .l2 ? "it is already at L2, the top of the ladder" : "only a ticket being worked at L1 (assigned or reopened) is escalated")
            }
            next.status = .escalated
            next.level = .l2
            return TicketTransition(position: next, name: "escalated")
        case .cancel:
            next.status = .cancelled
            return TicketTransition(position: next, name: "cancelled")
        case .markDuplicate:
            next.status = .duplicate
            return TicketTransition(position: next, name: "duplicate")
        }
    }
}
