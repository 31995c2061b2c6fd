public import Foundation
public import HelplineDomain

/// A complaint ready to be stored: the routing decision, the ticket it makes and the decision's
/// record, all from one call to ``Directory/registration(_:load:now:source:callerName:descriptionRecording:descriptionText:)``.
public struct ComplaintRegistration: Sendable, Hashable {
    /// Where routing sends the complaint and why.
    public var decision: CallDecision
    /// The ticket to create: the decision's department (the general department when it has
    /// none), its L1 officer and the department's L1 due time.
    public var ticket: NewTicket
    /// The decision's row for `routing_decisions`, stored with the ticket.
    public var record: RoutingDecisionInput
}

extension Directory {
    /// Routes a complaint and builds the ticket it makes, the same way for every channel: the
    /// IVR (a caller registering a complaint) and the HTTP API (web or chat intake). Pure.
    ///
    /// ```swift
    /// let registration = directory.registration(call, load: load, now: now, source: .ivr, descriptionRecording: path)
    /// let created = try await store.createTicket(registration.ticket, decision: registration.record, actor: "ivr", at: now)
    /// ```
    public func registration(
        _ call: CallInput, load: LiveLoad, now: Date, source: TicketSource, callerName: String? = nil,
        descriptionRecording: String? = nil, descriptionText: String? = nil
    ) -> ComplaintRegistration {
        let decision = decide(call, load: load, now: now)
        let department = decision.department ?? "general"
        let ticket = NewTicket(
            source: source, callerNumber: call.callerNumber, callerName: callerName, language: call.language, district: call.district,
            department: department, category: call.category, descriptionRecording: descriptionRecording, descriptionText: descriptionText,
            callUniqueid: call.uniqueid, officer: decision.officer, dueAt: due(department, .l1, now))
        return ComplaintRegistration(decision: decision, ticket: ticket, record: decision.record(call: call, load: load, directory: self, now: now))
    }
}
