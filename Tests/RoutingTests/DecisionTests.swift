import Foundation
import Routing
import HelplineDomain
import Testing

@Suite struct DecisionTests {
    let directory = Fixture.directory

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var call: CallInput
        var load: LiveLoad
        var now = Fixture.now
        var action: RoutingAction
        var queue: String?
        var department: String?
        var priority = 0
        var officer: String? = nil
        var reason: String
        var testDescription: String { name }
    }

    static let noSeats = QueueLoad(loggedIn: 0, available: 0)
    static let allPaused = QueueLoad(loggedIn: 3, available: 0, paused: 3)
    static let busy = QueueLoad(loggedIn: 2, available: 0, callersWaiting: 9, longestWaitSeconds: 400, averageTalkSeconds: 120)  // wait 10 × 120 / 2 = 600 s
    static let light = QueueLoad(loggedIn: 2, available: 0, callersWaiting: 1, averageTalkSeconds: 120)  // wait 2 × 120 / 2 = 120 s
    static let full = QueueLoad(loggedIn: 2, available: 0, callersWaiting: 5, averageTalkSeconds: 10, maximumCallers: 5)

    static let cases: [Case] = [
        Case(name: "category to its department and district officer", call: Fixture.call("supply"), load: Fixture.load(), action: .queue, queue: "water-l1", department: "water", officer: "l1-water-07", reason: "water-l1@pbx1 has 2 free seats and 0 callers waiting"),
        Case(name: "an officer for every district when the district has none", call: Fixture.call("leak", district: "12"), load: Fixture.load(), action: .queue, queue: "water-l1", department: "water", officer: "l1-water-all", reason: "L1 officer l1-water-all covers every district"),
        Case(name: "no category: the general queue", call: Fixture.call(nil), load: Fixture.load(), action: .queue, queue: "helpline-general", department: nil, reason: "the caller chose no category: the general queue"),
        Case(name: "unknown category: the general queue", call: Fixture.call("nonsense"), load: Fixture.load(), action: .queue, queue: "helpline-general", department: nil, reason: "category 'nonsense' is not in the directory: the general queue"),
        Case(name: "repeat caller back to the ticket's department", call: Fixture.call("supply", open: [OpenTicket(number: "1000002", category: "supply", department: "health")]), load: Fixture.load(), action: .queue, queue: "health", department: "health", officer: "l1-health", reason: "the caller has open ticket 1000002 in this category: back to department 'health'"),
        Case(name: "an open ticket in another category changes nothing", call: Fixture.call("supply", open: [OpenTicket(number: "1000002", category: "pothole", department: "roads")]), load: Fixture.load(), action: .queue, queue: "water-l1", department: "water", officer: "l1-water-07", reason: "category 'supply' belongs to department 'water'"),
        Case(name: "emergency: control room, top priority", call: Fixture.call("ambulance"), load: Fixture.load(), action: .queue, queue: "control-room", department: "control-room", priority: 10, officer: "l1-control", reason: "category 'ambulance' is an emergency: department 'control-room' at top priority"),
        Case(name: "emergency with a long wait: still no callback", call: Fixture.call("ambulance"), load: Fixture.load(["control-room": busy]), action: .queue, queue: "control-room", department: "control-room", priority: 10, officer: "l1-control", reason: "an emergency caller is never offered a callback"),
        Case(name: "emergency with no seat: overflow with serving seats", call: Fixture.call("ambulance"), load: Fixture.load(["control-room": noSeats, "health": busy]), action: .overflowQueue, queue: "health", department: "control-room", priority: 10, officer: "l1-control", reason: "an emergency caller is never offered a callback"),
        Case(name: "emergency with no seat in the queue or its overflow: the general queue", call: Fixture.call("ambulance"), load: Fixture.load(["control-room": noSeats, "health": noSeats]), action: .queue, queue: "helpline-general", department: "control-room", priority: 10, officer: "l1-control", reason: "the general queue helpline-general@pbx1"),
        Case(name: "emergency, queue full: overflow", call: Fixture.call("ambulance"), load: Fixture.load(["control-room": full]), action: .overflowQueue, queue: "health", department: "control-room", priority: 10, officer: "l1-control", reason: "control-room@pbx1 is full (5 waiting, maximum 5)"),
        Case(name: "emergency in a department outside its hours is still queued", call: Fixture.call("road-accident"), load: Fixture.load(), action: .queue, queue: "roads", department: "roads", priority: 10, officer: "l1-roads", reason: "category 'road-accident' is an emergency: department 'roads' at top priority"),
        Case(name: "no seat logged in: overflow with free seats", call: Fixture.call("supply"), load: Fixture.load(["water-l1": noSeats]), action: .overflowQueue, queue: "water-overflow", department: "water", officer: "l1-water-07", reason: "overflow queue water-overflow@pbx1 has 2 free seats"),
        Case(name: "all seats paused: overflow", call: Fixture.call("supply"), load: Fixture.load(["water-l1": allPaused]), action: .overflowQueue, queue: "water-overflow", department: "water", officer: "l1-water-07", reason: "all 3 seats of water-l1@pbx1 are paused"),
        Case(name: "no seat and overflow busy: callback", call: Fixture.call("supply"), load: Fixture.load(["water-l1": noSeats, "water-overflow": busy]), action: .callback, queue: "water-l1", department: "water", officer: "l1-water-07", reason: "overflow queue water-overflow@pbx1 has no free seat"),
        Case(name: "no seat and no overflow queue: callback", call: Fixture.call("hospital"), load: Fixture.load(["health": noSeats]), action: .callback, queue: "health", department: "health", officer: "l1-health", reason: "the department has no overflow queue"),
        Case(name: "wait above the threshold: offer a callback", call: Fixture.call("supply"), load: Fixture.load(["water-l1": busy]), action: .callbackOffer, queue: "water-l1", department: "water", officer: "l1-water-07", reason: "estimated wait in water-l1@pbx1 is 600 s, above the 300 s threshold: offer a callback"),
        Case(name: "wait within the threshold: queue", call: Fixture.call("supply"), load: Fixture.load(["water-l1": light]), action: .queue, queue: "water-l1", department: "water", officer: "l1-water-07", reason: "estimated wait in water-l1@pbx1 is 120 s, within the 300 s threshold"),
        Case(name: "a department's own threshold", call: Fixture.call("hospital"), load: Fixture.load(["health": light]), action: .callbackOffer, queue: "health", department: "health", officer: "l1-health", reason: "estimated wait in health@pbx1 is 120 s, above the 60 s threshold: offer a callback"),
        Case(name: "queue full: callback", call: Fixture.call("supply"), load: Fixture.load(["water-l1": full]), action: .callback, queue: "water-l1", department: "water", officer: "l1-water-07", reason: "water-l1@pbx1 is full (5 waiting, maximum 5)"),
        Case(name: "stale state: queue, no callback promise", call: Fixture.call("supply"), load: Fixture.load(["water-l1": noSeats], staleSince: Fixture.now.addingTimeInterval(-120)), action: .queue, queue: "water-l1", department: "water", officer: "l1-water-07", reason: "live figures are stale (link down since 2026-11-21T06:48:00Z): queue without a callback promise"),
        Case(name: "old figures count as stale", call: Fixture.call("supply"), load: Fixture.load(["water-l1": busy], asOf: Fixture.now.addingTimeInterval(-31)), action: .queue, queue: "water-l1", department: "water", officer: "l1-water-07", reason: "live figures are stale (last update 2026-11-21T06:49:29Z): queue without a callback promise"),
        Case(name: "a queue without figures: queue", call: Fixture.call("supply"), load: LiveLoad(queues: [:], asOf: Fixture.now), action: .queue, queue: "water-l1", department: "water", officer: "l1-water-07", reason: "no live figures for water-l1@pbx1: queue without a callback promise"),
        Case(name: "outside opening hours: take the complaint", call: Fixture.call("pothole"), load: Fixture.load(), action: .complaintOnly, queue: "roads", department: "roads", officer: "l1-roads", reason: "department 'roads' is closed now: take the complaint and promise a callback"),
        Case(name: "inside opening hours: queue", call: Fixture.call("pothole"), load: Fixture.load(asOf: Date(timeIntervalSince1970: 1_795_411_800)), now: Date(timeIntervalSince1970: 1_795_411_800), action: .queue, queue: "roads", department: "roads", officer: "l1-roads", reason: "roads@pbx1 has 2 free seats and 0 callers waiting"),
        Case(name: "no department queue on this PBX: the general queue", call: Fixture.call("land"), load: Fixture.load(), action: .queue, queue: "helpline-general", department: "revenue", reason: "department 'revenue' has no queue on PBX 'pbx1'"),
        Case(name: "no queue at all on this PBX: closed", call: Fixture.call("supply", pbx: "pbx9"), load: Fixture.load(), action: .closed, queue: nil, department: "water", officer: "l1-water-07", reason: "no department queue and no general queue on PBX 'pbx9'"),
    ]

    @Test(arguments: cases)
    func decides(_ example: Case) {
        let decision = directory.decide(example.call, load: example.load, now: example.now)
        #expect(decision.action == example.action)
        #expect(decision.queue?.queue == example.queue)
        #expect(decision.department == example.department)
        #expect(decision.priority == example.priority)
        #expect(decision.officer == example.officer)
        let reasons = decision.reasons.map(\.description)
        #expect(reasons.contains(example.reason), "reasons: \(reasons)")
    }

    /// What the dialplan runs: a queue, or a declined callback offer, waits in the decision's
    /// queue, an overflow in the overflow queue; a callback owed, a complaint or closed hands
    /// the call to no queue.
    @Test func onlyAQueueingDecisionHandsTheCallToTheDialplan() {
        let queue = QueueRef(pbx: "pbx1", queue: "water-l1")
        func handOff(_ action: RoutingAction) -> QueueHandOff? { CallDecision(action: action, queue: queue, priority: 3).queueHandOff }
        #expect(handOff(.queue) == QueueHandOff(action: .queue, queue: queue, priority: 3))
        #expect(handOff(.callbackOffer) == QueueHandOff(action: .queue, queue: queue, priority: 3))
        #expect(handOff(.overflowQueue) == QueueHandOff(action: .overflowQueue, queue: queue, priority: 3))
        for action in [RoutingAction.callback, .complaintOnly, .closed] {
            #expect(handOff(action) == nil, "\(action)")
        }
        #expect(CallDecision(action: .queue, priority: 3).queueHandOff == nil, "no queue")
    }

    @Test func openingHoursFollowTheLocalWeekAndClock() {
        let hours = OpeningHours(days: [1: [540..<1020]])  // Mondays 09:00–17:00
        // Monday 2026-11-23 09:00 IST is 03:30 UTC.
        let mondayNine = Date(timeIntervalSince1970: 1_795_404_600)
        #expect(hours.isOpen(at: mondayNine, utcOffset: 19_800))
        #expect(!hours.isOpen(at: mondayNine.addingTimeInterval(-60), utcOffset: 19_800))
        #expect(hours.isOpen(at: mondayNine.addingTimeInterval(8 * 3600 - 60), utcOffset: 19_800))
        #expect(!hours.isOpen(at: mondayNine.addingTimeInterval(8 * 3600), utcOffset: 19_800))
        #expect(!hours.isOpen(at: mondayNine.addingTimeInterval(-86_400 + 3600), utcOffset: 19_800), "Sunday")
    }
}
