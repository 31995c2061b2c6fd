public import Foundation
public import HelplineDomain

/// What the escalation ladder says to do with a ticket.
public struct LadderDecision: Hashable, Sendable {
    /// The step.
    public enum Step: String, Hashable, Sendable {
        /// The citizen is satisfied: close.
        case close
        /// First dissatisfaction after an L1 resolution: back to L1.
        case reopenAtL1 = "reopen_at_l1"
        /// Dissatisfied again after the reopened L1 resolution, or the L1 SLA ran out: up to L2.
        case escalateToL2 = "escalate_to_l2"
        /// An L2 resolution ends the ladder, whatever the feedback.
        case closeAtL2 = "close_at_l2"
        /// The L2 SLA ran out, or a ticket was never assigned in time: the monitoring team looks.
        case flagForMonitoring = "flag_for_monitoring"
        /// Nothing to do now.
        case none
    }

    /// The step.
    public var step: Step
    /// The lifecycle action that carries it out (nil for ``Step/flagForMonitoring`` and
    /// ``Step/none``: record a note instead, or nothing).
    public var action: TicketAction?
    /// The new SLA due time.
    public var dueAt: Date?
    /// The officer the ticket goes to (L2 on escalation).
    public var officer: String?
    /// The note for the ticket's history; on escalation it carries L1's report.
    public var note: String?
    /// Why, in sentences.
    public var reasons: [String]
}

extension Directory {
    /// The ladder's answer to the citizen's feedback on a resolved ticket, given its history.
    ///
    /// Satisfied → close. Not satisfied after the first L1 resolution → reopen at L1 with a new
    /// L1 deadline. Not satisfied after the reopened L1 resolution → escalate to the L2 officer
    /// of the department and district, with L1's last resolution report attached and a new L2
    /// deadline. After an L2 resolution → close, recorded as satisfied or not. The ladder
    /// never skips L1 and never goes past L2 (``TicketLifecycle`` refuses both).
    public func afterFeedback(ticket: Ticket, history: [TicketEvent], satisfied: Bool, now: Date) -> LadderDecision {
        let action = TicketAction.feedback(satisfied: satisfied)
        let transition: TicketTransition
        do {
            transition = try TicketLifecycle.apply(action, to: ticket.position)
        } catch {
            return LadderDecision(step: .none, reasons: ["\(error)"])
        }
        switch transition.name {
        case "closed" where ticket.level == .l2:
            return LadderDecision(step: .closeAtL2, action: action, note: "citizen satisfied with the L2 resolution", reasons: ["the citizen is satisfied with the L2 resolution: closed"])
        case "closed":
            return LadderDecision(step: .close, action: action, note: "citizen satisfied", reasons: ["the citizen is satisfied: closed"])
        case "reopened":
            return LadderDecision(
                step: .reopenAtL1, action: action, dueAt: due(ticket.department, .l1, now), officer: ticket.assignedOfficer,
                note: "citizen not satisfied with the L1 resolution; reopened at L1",
                reasons: ["first dissatisfaction after an L1 resolution: reopened at L1 with officer \(ticket.assignedOfficer ?? "unassigned")"])
        case "escalated":
            let report = history.last { $0.transition == "resolved" && $0.level == .l1 }?.note
            let l2 = officer(department: ticket.department, district: ticket.district, level: .l2)
            var reasons = ["dissatisfied again after the reopened L1 resolution: escalated to L2"]
            reasons.append(l2.map { "L2 officer \($0.id) of '\(ticket.department)'" } ?? "no L2 officer of '\(ticket.department)' covers \(ticket.district.map { "district \($0)" } ?? "this ticket"): the ticket waits for one")
            return LadderDecision(
                step: .escalateToL2, action: action, dueAt: due(ticket.department, .l2, now), officer: l2?.id,
                note: "escalated to L2 after two unsatisfactory L1 resolutions; L1 report: \(report ?? "(none recorded)")",
                reasons: reasons)
        default:  // closed_dissatisfied
            return LadderDecision(step: .closeAtL2, action: action, note: "citizen not satisfied with the L2 resolution; closed, the ladder ends at L2", reasons: ["an L2 resolution ends the ladder: closed, recorded as not satisfied"])
        }
    }

    /// The ladder's answer when `ticket`'s SLA may have run out at `now`.
    ///
    /// Within its deadline, resolved (waiting for the citizen), or final → nothing. Past it at L1
    /// (assigned or reopened) → escalate to L2 with a new deadline. Past it at L2, or never
    /// assigned → flag for the monitoring team.
    public func onSLA(ticket: Ticket, now: Date) -> LadderDecision {
        guard ticket.status.isOpen, ticket.status != .resolved, let dueAt = ticket.dueAt, dueAt < now else {
            return LadderDecision(step: .none, reasons: ["within its SLA, resolved, or final"])
        }
        let overdue = "due \(RoutingReason.time(dueAt)), overdue at \(RoutingReason.time(now))"
        switch (ticket.level, ticket.status) {
        case (.l1, .assigned), (.l1, .reopened):
            let l2 = officer(department: ticket.department, district: ticket.district, level: .l2)
            return LadderDecision(
                step: .escalateToL2, action: .escalate, dueAt: due(ticket.department, .l2, now), officer: l2?.id,
                note: "L1 SLA breached (\(overdue)); escalated to L2",
                reasons: ["the L1 SLA ran out (\(overdue)): escalated to L2" + (l2.map { " officer \($0.id)" } ?? "")])
        case (.l1, _):
            return LadderDecision(step: .flagForMonitoring, note: "never assigned and SLA breached (\(overdue))", reasons: ["not assigned to an officer before its deadline (\(overdue)): flagged"])
        case (.l2, _):
            return LadderDecision(step: .flagForMonitoring, note: "L2 SLA breached (\(overdue))", reasons: ["the L2 SLA ran out (\(overdue)): flagged for the monitoring team"])
        }
    }

    /// The deadline for a complaint of `department` reaching `level` at `now`.
    public func due(_ department: String, _ level: TicketLevel, _ now: Date) -> Date? {
        guard let hours = departments[department]?.slaHours[level] else { return nil }
        return now.addingTimeInterval(Double(hours) * 3600)
    }
}
