import Foundation
import Routing
import HelplineDomain
import Testing

@Suite struct LadderTests {
    let directory = Fixture.directory
    let now = Fixture.now

    func ticket(_ status: TicketStatus, _ level: TicketLevel = .l1, reopened: Int = 0, due: Date? = nil) -> Ticket {
        PropertyTests.ticket(TicketPosition(status: status, level: level, reopenCount: reopened), due: due)
    }

    func event(_ transition: String, _ level: TicketLevel, note: String?) -> TicketEvent {
        TicketEvent(id: 1, ticketId: 1, at: now, transition: transition, fromStatus: nil, toStatus: .resolved, level: level, actor: "l1-water-07", note: note)
    }

    @Test func satisfiedCloses() {
        let decision = directory.afterFeedback(ticket: ticket(.resolved), history: [], satisfied: true, now: now)
        #expect(decision.step == .close)
        #expect(decision.action == .feedback(satisfied: true))
    }

    @Test func firstDissatisfactionReopensAtL1WithANewDeadline() {
        let decision = directory.afterFeedback(ticket: ticket(.resolved), history: [], satisfied: false, now: now)
        #expect(decision.step == .reopenAtL1)
        #expect(decision.officer == "l1-water-07")
        #expect(decision.dueAt == now.addingTimeInterval(72 * 3600))
    }

    @Test func secondDissatisfactionEscalatesWithL1sReport() {
        let history = [event("resolved", .l1, note: "first fix"), event("reopened", .l1, note: nil), event("resolved", .l1, note: "pipe replaced on 20 Nov")]
        let decision = directory.afterFeedback(ticket: ticket(.resolved, reopened: 1), history: history, satisfied: false, now: now)
        #expect(decision.step == .escalateToL2)
        #expect(decision.officer == "l2-water")
        #expect(decision.dueAt == now.addingTimeInterval(48 * 3600))
        #expect(decision.note?.contains("L1 report: pipe replaced on 20 Nov") == true)
    }

    @Test func anL2ResolutionEndsTheLadderWhateverTheAnswer() {
        for satisfied in [true, false] {
            let decision = directory.afterFeedback(ticket: ticket(.resolved, .l2, reopened: 1), history: [], satisfied: satisfied, now: now)
            #expect(decision.step == .closeAtL2)
            #expect(decision.action == .feedback(satisfied: satisfied))
        }
    }

    @Test func feedbackOnATicketNotAwaitingItDoesNothing() {
        let decision = directory.afterFeedback(ticket: ticket(.assigned), history: [], satisfied: false, now: now)
        #expect(decision.step == .none)
        #expect(decision.action == nil)
        #expect(decision.reasons.first?.contains("feedback is taken only after a resolution") == true)
    }

    @Test func slaBreachAtL1EscalatesAndAtL2Flags() {
        let past = now.addingTimeInterval(-60)
        let l1 = directory.onSLA(ticket: ticket(.assigned, due: past), now: now)
        #expect(l1.step == .escalateToL2)
        #expect(l1.action == .escalate)
        #expect(l1.officer == "l2-water")
        let reopened = directory.onSLA(ticket: ticket(.reopened, reopened: 1, due: past), now: now)
        #expect(reopened.step == .escalateToL2)
        let l2 = directory.onSLA(ticket: ticket(.escalated, .l2, due: past), now: now)
        #expect(l2.step == .flagForMonitoring)
        #expect(l2.action == nil)
        let unassigned = directory.onSLA(ticket: ticket(.registered, due: past), now: now)
        #expect(unassigned.step == .flagForMonitoring)
        #expect(directory.onSLA(ticket: ticket(.assigned, due: now.addingTimeInterval(60)), now: now).step == .none)
        #expect(directory.onSLA(ticket: ticket(.resolved, due: past), now: now).step == .none, "awaiting the citizen")
        #expect(directory.onSLA(ticket: ticket(.closed, due: past), now: now).step == .none)
    }
}
