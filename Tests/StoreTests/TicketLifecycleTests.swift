import Store
import HelplineDomain
import Testing

@Suite struct TicketLifecycleTests {
    typealias P = TicketPosition

    static let actions: [TicketAction] = [
        .assign(officer: "a"), .reassign(officer: "b"), .resolve, .feedback(satisfied: true),
        .feedback(satisfied: false), .escalate, .cancel, .markDuplicate(of: TicketNumber(serial: 100_000)), .note,
    ]

    /// Every position a ticket can be in.
    static let positions: [P] = [
        P(status: .registered, level: .l1, reopenCount: 0),
        P(status: .assigned, level: .l1, reopenCount: 0),
        P(status: .resolved, level: .l1, reopenCount: 0),
        P(status: .reopened, level: .l1, reopenCount: 1),
        P(status: .resolved, level: .l1, reopenCount: 1),
        P(status: .escalated, level: .l2, reopenCount: 1),
        P(status: .resolved, level: .l2, reopenCount: 1),
        P(status: .closed, level: .l1, reopenCount: 0),
        P(status: .closed, level: .l2, reopenCount: 1),
        P(status: .cancelled, level: .l1, reopenCount: 0),
        P(status: .duplicate, level: .l1, reopenCount: 0),
    ]

    /// The whole valid table: (from, action) → (to, transition name). Everything else is refused.
    static let valid: [String: (P, String)] = {
        var table: [String: (P, String)] = [:]
        func add(_ from: P, _ action: TicketAction, _ to: P, _ name: String) { table[key(from, action)] = (to, name) }
        let registered = positions[0], assigned = positions[1], resolved1 = positions[2], reopened = positions[3]
        let resolved1Again = positions[4], escalated = positions[5], resolved2 = positions[6]
        add(registered, .assign(officer: "a"), assigned, "assigned")
        for p in [assigned, reopened, escalated] {
            add(p, .reassign(officer: "b"), p, "reassigned")
        }
        add(assigned, .resolve, resolved1, "resolved")
        add(reopened, .resolve, resolved1Again, "resolved")
        add(escalated, .resolve, resolved2, "resolved")
        add(resolved1, .feedback(satisfied: true), P(status: .closed, level: .l1, reopenCount: 0), "closed")
        add(resolved1Again, .feedback(satisfied: true), P(status: .closed, level: .l1, reopenCount: 1), "closed")
        add(resolved2, .feedback(satisfied: true), P(status: .closed, level: .l2, reopenCount: 1), "closed")
        add(resolved1, .feedback(satisfied: false), reopened, "reopened")
        add(resolved1Again, .feedback(satisfied: false), escalated, "escalated")
        add(resolved2, .feedback(satisfied: false), P(status: .closed, level: .l2, reopenCount: 1), "closed_dissatisfied")
        add(assigned, .escalate, P(status: .escalated, level: .l2, reopenCount: 0), "escalated")
        add(reopened, .escalate, escalated, "escalated")
        for p in positions where p.status.isOpen {
            add(p, .cancel, P(status: .cancelled, level: p.level, reopenCount: p.reopenCount), "cancelled")
            add(p, .markDuplicate(of: TicketNumber(serial: 100_000)), P(status: .duplicate, level: p.level, reopenCount: p.reopenCount), "duplicate")
        }
        for p in positions { add(p, .note, p, "note") }
        return table
    }()

    static func key(_ p: P, _ action: TicketAction) -> String { "\(p.status)/\(p.level)/\(p.reopenCount)/\(action.name)" }

    @Test func everyPositionAndActionMatchesTheTable() {
        var validCount = 0, refusedCount = 0
        for position in Self.positions {
            for action in Self.actions {
                let expected = Self.valid[Self.key(position, action)]
                do {
                    let transition = try TicketLifecycle.apply(action, to: position)
                    #expect(expected != nil, "\(Self.key(position, action)) should be refused")
                    #expect(transition.position == expected?.0)
                    #expect(transition.name == expected?.1)
                    validCount += 1
                } catch {
                    #expect(expected == nil, "\(Self.key(position, action)) should be valid: \(error)")
                    #expect(error.from == position)
                    #expect(error.description.hasPrefix("cannot \(action.name) a ticket that is \(position.status.rawValue)"))
                    refusedCount += 1
                }
            }
        }
        #expect(validCount == Self.valid.count)
        #expect(validCount + refusedCount == Self.positions.count * Self.actions.count)
    }

    @Test func theLadderFromRegistrationToL2() throws {
        var position = P(status: .registered, level: .l1, reopenCount: 0)
        var names: [String] = []
        for action: TicketAction in [.assign(officer: "l1"), .resolve, .feedback(satisfied: false), .resolve, .feedback(satisfied: false), .resolve, .feedback(satisfied: true)] {
            let transition = try TicketLifecycle.apply(action, to: position)
            position = transition.position
            names.append(transition.name)
        }
        #expect(names == ["assigned", "resolved", "reopened", "resolved", "escalated", "resolved", "closed"])
        #expect(position == P(status: .closed, level: .l2, reopenCount: 1))
    }

    @Test func refusalsSayWhatToDoInstead() {
        #expect(throws: InvalidTicketTransition.self) { try TicketLifecycle.apply(.resolve, to: Self.positions[0]) }
        do {
            _ = try TicketLifecycle.apply(.resolve, to: Self.positions[0])
        } catch {
            #expect(error.description == "cannot resolve a ticket that is registered at L1: assign it to an officer first")
        }
        do {
            _ = try TicketLifecycle.apply(.feedback(satisfied: true), to: Self.positions[7])
        } catch {
            #expect(error.description == "cannot feedback (satisfied) a ticket that is closed at L1: the ticket is final; only notes can be added")
        }
    }
}
