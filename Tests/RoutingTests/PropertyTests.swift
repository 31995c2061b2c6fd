import AGITestSupport
import Foundation
import Routing
import HelplineDomain
import Testing
import AsteriskFakes

@Suite struct PropertyTests {
    /// A random directory over `pbxs`, with queues that may or may not have an overflow.
    static func randomDirectory(_ g: inout SplitMix, pbxs: [String]) -> Directory {
        let departmentCount = Int.random(in: 1...8, using: &g)
        var departments: [Department] = []
        for index in 0..<departmentCount {
            var queues: [String: DepartmentQueues] = [:]
            for pbx in pbxs where Bool.random(using: &g) || pbx == pbxs[0] {
                queues[pbx] = DepartmentQueues(primary: "d\(index)-main", overflow: Bool.random(using: &g) ? "d\(index)-over" : nil)
            }
            let hours: OpeningHours? = Int.random(in: 0..<4, using: &g) == 0 ? OpeningHours(days: [1: [540..<1020], 6: [0..<720]]) : nil
            departments.append(Department(id: "d\(index)", queues: queues, openingHours: hours, callbackAfterSeconds: Bool.random(using: &g) ? Double.random(in: 30...900, using: &g) : nil))
        }
        var categories: [Routing.Category] = []
        for index in 0..<Int.random(in: 1...20, using: &g) {
            categories.append(Routing.Category(id: "c\(index)", department: "d\(Int.random(in: 0..<departmentCount, using: &g))", emergency: Int.random(in: 0..<5, using: &g) == 0))
        }
        var officers: [Officer] = []
        for index in 0..<departmentCount where Bool.random(using: &g) {
            officers.append(Officer(id: "o\(index)", name: "", department: "d\(index)", level: .l1, districts: Bool.random(using: &g) ? ["1", "2"] : nil))
        }
        var general: [String: String] = [:]
        for pbx in pbxs where Bool.random(using: &g) || pbx == pbxs[0] { general[pbx] = "general" }
        return Directory(departments: departments, categories: categories, districts: [District(code: "1"), District(code: "2"), District(code: "3")], officers: officers, generalQueues: general)
    }

    static func randomFigures(_ g: inout SplitMix) -> QueueLoad {
        let loggedIn = Int.random(in: 0...6, using: &g)
        let paused = Int.random(in: 0...loggedIn, using: &g)
        let available = Int.random(in: 0...(loggedIn - paused), using: &g)
        return QueueLoad(
            loggedIn: loggedIn, available: available, paused: paused, callersWaiting: Int.random(in: 0...30, using: &g),
            longestWaitSeconds: Double.random(in: 0...900, using: &g), averageTalkSeconds: Double.random(in: 0...400, using: &g),
            maximumCallers: Bool.random(using: &g) ? 0 : Int.random(in: 1...20, using: &g))
    }

    /// Every queue a call on `pbx` may be sent to in `directory`.
    static func queues(of directory: Directory, pbx: String) -> Set<QueueRef> {
        var all = Set<QueueRef>()
        for department in directory.departments.values {
            if let queues = department.queues[pbx] {
                all.insert(QueueRef(pbx: pbx, queue: queues.primary))
                if let overflow = queues.overflow { all.insert(QueueRef(pbx: pbx, queue: overflow)) }
            }
        }
        if let general = directory.generalQueues[pbx] { all.insert(QueueRef(pbx: pbx, queue: general)) }
        return all
    }

    @Test func decisionsKeepTheirPromisesOverRandomDirectoriesAndLoads() {
        var g = SplitMix(seed: 20_261_122)
        let pbxs = ["pbx1", "pbx2"]
        for _ in 0..<300 {
            let directory = Self.randomDirectory(&g, pbxs: pbxs)
            for _ in 0..<40 {
                let now = Date(timeIntervalSince1970: 1_795_000_000 + Double.random(in: 0...604_800, using: &g))
                var figures: [QueueRef: QueueLoad] = [:]
                for pbx in pbxs {
                    for queue in Self.queues(of: directory, pbx: pbx) where Int.random(in: 0..<10, using: &g) > 0 {
                        figures[queue] = Self.randomFigures(&g)
                    }
                }
                let load = LiveLoad(queues: figures, asOf: now.addingTimeInterval(-Double.random(in: 0...40, using: &g)), staleSince: Int.random(in: 0..<10, using: &g) == 0 ? now : nil)
                let pbx = pbxs.randomElement(using: &g)!
                let category: String? = Int.random(in: 0..<10, using: &g) == 0 ? nil : "c\(Int.random(in: 0..<22, using: &g))"
                let call = CallInput(callerNumber: "9", language: "en", pbx: pbx, category: category, district: ["1", "2", "3", nil].randomElement(using: &g)!)
                let decision = directory.decide(call, load: load, now: now)

                // A decision names an existing queue of the call's PBX, or a callback/complaint.
                switch decision.action {
                case .queue, .overflowQueue, .callback, .callbackOffer:
                    let queue = decision.queue
                    #expect(queue != nil && Self.queues(of: directory, pbx: pbx).contains(queue!), "\(decision)")
                case .complaintOnly, .closed:
                    break
                }
                // Never a callback for an emergency.
                if decision.emergency {
                    #expect(decision.action != .callback && decision.action != .callbackOffer && decision.action != .complaintOnly, "\(decision)")
                }
                // A callback is offered only for a long wait, and owed only when no seat can take the call.
                let longWait = decision.reasons.contains { if case .waitAboveThreshold = $0 { true } else { false } }
                if decision.action == .callbackOffer { #expect(longWait, "\(decision)") }
                if decision.action == .callback { #expect(!longWait, "\(decision)") }
                // Never into a queue with no serving seat while an allowed queue has a free one.
                let fresh = load.staleSince == nil && now.timeIntervalSince(load.asOf) <= directory.policy.staleAfterSeconds
                if fresh, decision.action == .queue || decision.action == .overflowQueue, let queue = decision.queue, let chosen = figures[queue], chosen.serving == 0 {
                    var allowed: [QueueRef] = []
                    if let department = decision.department, let queues = directory.departments[department]?.queues[pbx] {
                        allowed.append(QueueRef(pbx: pbx, queue: queues.primary))
                        if let overflow = queues.overflow { allowed.append(QueueRef(pbx: pbx, queue: overflow)) }
                    }
                    #expect(!allowed.contains { (figures[$0]?.available ?? 0) > 0 }, "\(decision) with \(figures)")
                }
                #expect(!decision.reasons.isEmpty)
            }
        }
    }

    @Test func theLadderNeverSkipsL1AndNeverGoesPastL2() {
        var g = SplitMix(seed: 7)
        let directory = Fixture.directory
        for _ in 0..<2000 {
            var position = TicketPosition(status: .assigned, level: .l1, reopenCount: 0)
            var now = Fixture.now
            var ticket = Self.ticket(position, due: now.addingTimeInterval(72 * 3600))
            var sawL1Resolution = false
            var reachedL2 = false
            for _ in 0..<12 {
                now = now.addingTimeInterval(Double.random(in: 0...200_000, using: &g))
                let decision: LadderDecision
                switch Int.random(in: 0..<3, using: &g) {
                case 0:
                    guard let next = try? TicketLifecycle.apply(.resolve, to: position) else { continue }
                    if position.level == .l1 { sawL1Resolution = true }
                    position = next.position
                    ticket = Self.ticket(position, due: ticket.dueAt)
                    continue
                case 1:
                    decision = directory.afterFeedback(ticket: ticket, history: [], satisfied: Bool.random(using: &g), now: now)
                default:
                    decision = directory.onSLA(ticket: ticket, now: now)
                }
                guard let action = decision.action else { continue }
                let before = position
                guard let next = try? TicketLifecycle.apply(action, to: position) else {
                    Issue.record("the ladder proposed \(action.name) from \(position), which the lifecycle refuses")
                    break
                }
                position = next.position
                if before.level == .l2 { #expect(position.level == .l2, "never back down from L2") }
                if position.level == .l2, !reachedL2 {
                    reachedL2 = true
                    // Reaching L2 takes an L1 step first: feedback after a reopened L1 resolution, or the L1 SLA.
                    #expect(before.level == .l1)
                    #expect(action == .escalate || (sawL1Resolution && before.reopenCount == 1), "\(before) → \(position) by \(action.name)")
                }
                ticket = Self.ticket(position, due: decision.dueAt ?? ticket.dueAt)
            }
        }
    }

    static func ticket(_ position: TicketPosition, due: Date?) -> Ticket {
        Ticket(
            id: 1, number: "1000002", createdAt: Fixture.now, updatedAt: Fixture.now, source: .ivr, callerNumber: "9", callerName: nil,
            language: "hi", district: "07", department: "water", category: "supply", descriptionRecording: nil, descriptionText: nil,
            status: position.status, level: position.level, reopenCount: position.reopenCount, assignedOfficer: "l1-water-07",
            dueAt: due, resolvedAt: nil, closedAt: nil, callUniqueid: nil, duplicateOf: nil)
    }
}
