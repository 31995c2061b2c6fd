import AGITestSupport
@testable import AMIClient
import NIOCore
import Testing
import AsteriskFakes

@Suite struct LiveStateTests {
    func queueStatusItems(_ name: String = "queue-status-all-queues.txt") throws -> [AMIMessage] {
        try frame(Capture.load("ami/" + name).connectionsFromAsterisk[0]).filter {
            $0.nameIs("QueueParams") || $0.nameIs("QueueMember") || $0.nameIs("QueueEntry")
        }
    }

    /// queue-summary.txt was taken in the same state as queue-status-all-queues.txt: the figures
    /// derived from the QueueStatus snapshot must equal what QueueSummary reported.
    @Test func snapshotFiguresMatchQueueSummary() throws {
        let queues = PBXState.queues(fromQueueStatus: try queueStatusItems(), now: 1000)
        let summaries = try frame(Capture.load("ami/queue-summary.txt").connectionsFromAsterisk[0])
            .filter { $0.nameIs("QueueSummary") && $0.actionID == "lab-2" }
        #expect(summaries.count == 3)
        #expect(Set(queues.keys) == Set(summaries.compactMap { $0["Queue"] }))
        for summary in summaries {
            let queue = try #require(queues[summary["Queue"]!])
            let figures = queue.figures(now: 1000)
            #expect(figures.loggedIn == summary.int("LoggedIn"), "\(queue.name)")
            #expect(figures.available == summary.int("Available"), "\(queue.name)")
            #expect(figures.callersWaiting == summary.int("Callers"), "\(queue.name)")
            #expect(queue.holdTime == summary.int("HoldTime"))
            #expect(queue.talkTime == summary.int("TalkTime"))
        }
        let police = try #require(queues["dept-police"])
        #expect(police.callers.first?.callerIDName == "Waiting Caller")
        #expect(police.callers.first?.joinedAt == 997.0)  // Wait: 3
        let health = try #require(queues["dept-health"])
        let paused = health.members.values.filter(\.paused)
        #expect(paused.count == 1)
        #expect(paused.first?.pausedReason == "lunch")
        #expect(health.members.values.contains { $0.membership == "dynamic" && $0.penalty == 2 })
    }

    /// Replays the three-call streams from an empty state. After every caller event the number
    /// of waiting callers must equal the `Count` Asterisk put in it, and at the end every seat
    /// must show what Asterisk last reported for it, and the counters what happened.
    @Test(arguments: ["three-calls-queue-event-stream-call-agent-only.txt", "three-calls-queue-event-stream-full.txt"])
    func replayMatchesWhatAsteriskReported(name: String) throws {
        let events = try capturedEvents(name)
        var state = PBXState(name: "lab")
        var lastMemberEvent: [String: AMIMessage] = [:]
        var abandons: [String: Int] = [:]
        var completes: [String: Int] = [:]
        var countChecks = 0
        for (index, event) in events.enumerated() {
            state.apply(event, now: Double(index))
            let queue = event["Queue"] ?? ""
            if event.name.hasPrefix("QueueMember") { lastMemberEvent[queue + "|" + (event["Interface"] ?? "")] = event }
            if event.name == "QueueCallerAbandon" { abandons[queue, default: 0] += 1 }
            if event.name == "AgentComplete" { completes[queue, default: 0] += 1 }
            if event.name == "QueueCallerJoin" || event.name == "QueueCallerLeave" {
                #expect(state.queues[queue]?.callers.count == event.int("Count"), "\(name) event \(index)")
                #expect(state.queues[queue]?.callers.map(\.position) == Array(1...max(1, event.int("Count")!)).prefix(event.int("Count")!).map { $0 })
                countChecks += 1
            }
        }
        #expect(countChecks == 6)
        #expect(lastMemberEvent.count >= 4)
        for (key, event) in lastMemberEvent {
            let parts = key.split(separator: "|").map(String.init)
            let member = try #require(state.queues[parts[0]]?.members[parts[1]])
            #expect(member.status.rawValue == event.int("Status"), "\(key)")
            #expect(member.callsTaken == event.int("CallsTaken"), "\(key)")
            #expect(member.paused == (event.int("Paused") == 1), "\(key)")
            #expect(member.inCall == (event.int("InCall") == 1), "\(key)")
        }
        #expect(abandons == ["dept-police": 1])
        #expect(completes.count == 2)
        for (queue, count) in completes { #expect(state.queues[queue]?.completed == count) }
        #expect(state.queues["dept-police"]?.abandoned == 1)
        #expect(state.queues.values.allSatisfy { $0.callers.isEmpty })
    }

    @Test func unknownQueueOrMemberAsksForARequery() throws {
        var state = PBXState(name: "lab")
        let join = try frame("Event: QueueCallerJoin\r\nQueue: q1\r\nUniqueid: u1\r\nChannel: c1\r\nPosition: 1\r\nCount: 1\r\n\r\n", banner: false)[0]
        #expect(state.apply(join, now: 0) == .requery(queue: "q1"))
        #expect(state.queues["q1"]?.complete == false)
        state.queues = PBXState.queues(fromQueueStatus: try queueStatusItems(), now: 0)
        let member = try frame("Event: QueueMemberPause\r\nQueue: dept-health\r\nMemberName: New\r\nInterface: Local/new@agents/n\r\nStatus: 1\r\nPaused: 1\r\n\r\n", banner: false)[0]
        #expect(state.apply(member, now: 0) == .requery(queue: "dept-health"))
        let known = try frame("Event: QueueMemberPause\r\nQueue: dept-health\r\nMemberName: Agent One\r\nInterface: Local/agent1@agents/n\r\nStatus: 1\r\nPaused: 1\r\nPausedReason: tea\r\n\r\n", banner: false)[0]
        #expect(state.apply(known, now: 0) == .changed)
        #expect(state.queues["dept-health"]?.members["Local/agent1@agents/n"]?.pausedReason == "tea")
        // A Count that disagrees with the callers known also asks for a requery.
        let join2 = try frame("Event: QueueCallerJoin\r\nQueue: dept-health\r\nUniqueid: u9\r\nPosition: 1\r\nCount: 3\r\n\r\n", banner: false)[0]
        #expect(state.apply(join2, now: 0) == .requery(queue: "dept-health"))
    }

    /// Found against a real Asterisk 22: app_queue takes the first hold and talk time as they
    /// are, and averages (3·old + new) / 4 only from the second call on.
    @Test func holdAndTalkTimeAverageLikeAppQueue() throws {
        var state = PBXState(name: "lab")
        state.queues["q"] = QueueState(name: "q")
        func event(_ text: String) throws -> AMIMessage { try frame(text + "\r\n\r\n", banner: false)[0] }
        state.apply(try event("Event: AgentConnect\r\nQueue: q\r\nHoldTime: 12"), now: 0)
        #expect(state.queues["q"]?.holdTime == 12)
        state.apply(try event("Event: AgentComplete\r\nQueue: q\r\nHoldTime: 12\r\nTalkTime: 30"), now: 0)
        #expect(state.queues["q"]?.talkTime == 30)
        #expect(state.queues["q"]?.completed == 1)
        state.apply(try event("Event: AgentConnect\r\nQueue: q\r\nHoldTime: 4"), now: 0)
        #expect(state.queues["q"]?.holdTime == 10)  // (36 + 4) / 4
        state.apply(try event("Event: AgentComplete\r\nQueue: q\r\nTalkTime: 10"), now: 0)
        #expect(state.queues["q"]?.talkTime == 25)  // (90 + 10) / 4
    }

    @Test func eventsThatChangeNoQueueStateAreCheap() throws {
        var state = PBXState(name: "lab")
        let message = try frame("Event: Newchannel\r\nChannel: x\r\n\r\n", banner: false)[0]
        #expect(state.apply(message, now: 0) == .none)
        #expect(state.eventsApplied == 0)
    }

    @Test func estimatedWaitAndDerivedFigures() {
        var queue = QueueState(name: "q")
        queue.talkTime = 60
        queue.members["a"] = QueueMember(interface: "a", status: .notInUse)
        queue.members["b"] = QueueMember(interface: "b", status: .inUse, inCall: true)
        queue.members["c"] = QueueMember(interface: "c", status: .notInUse, paused: true)
        queue.members["d"] = QueueMember(interface: "d", status: .unavailable)
        var figures = queue.figures(now: 100)
        #expect(figures.loggedIn == 3)
        #expect(figures.available == 1)
        #expect(figures.onCall == 1)
        #expect(figures.paused == 1)
        #expect(figures.estimatedWait == 0)
        queue.callers = [QueueCaller(uniqueid: "1", channel: "x", position: 1, joinedAt: 40),
                         QueueCaller(uniqueid: "2", channel: "y", position: 2, joinedAt: 90)]
        figures = queue.figures(now: 100)
        #expect(figures.callersWaiting == 2)
        #expect(figures.longestWait == 60)
        #expect(figures.estimatedWait == 60)  // 2 ahead not served by the 1 free seat, 60 s each, over 2 serving seats
        queue.members = [:]
        #expect(queue.figures(now: 100).estimatedWait == nil)
    }

    @Test func trackerAppliesOnlyEventsAfterTheSnapshotReply() throws {
        let items = try queueStatusItems()
        let tracker = LiveStateTracker(name: "lab", board: nil, now: 5)
        #expect(tracker.state.isStale)
        tracker.snapshotStarted(full: true)
        let before = try frame("Event: QueueCallerAbandon\r\nQueue: dept-police\r\nUniqueid: u\r\n\r\n", banner: false)[0]
        let after = try frame("Event: QueueCallerAbandon\r\nQueue: dept-health\r\nUniqueid: v\r\n\r\n", banner: false)[0]
        tracker.apply(before, sequence: 1, now: 6)
        tracker.apply(after, sequence: 9, now: 6)
        #expect(tracker.takeRequeries().isEmpty)  // no requery while a full resync is in flight
        let response = AMIResponse(message: AMIMessage([("Response", "Success")]), items: items, final: nil, sequence: 5)
        tracker.snapshotCompleted(response, queue: nil, now: 7, countDrift: false)
        #expect(!tracker.state.isStale)
        #expect(tracker.state.queues["dept-police"]?.abandoned == 0)  // already in the snapshot
        #expect(tracker.state.queues["dept-health"]?.abandoned == 1)  // after it: applied on top
        tracker.disconnected(now: 8)
        #expect(tracker.state.staleSince == 8)
        #expect(tracker.state.queues.count == 3)  // the last picture is kept while stale
    }

    @Test func reconciliationCountsDrift() throws {
        let items = try queueStatusItems()
        let tracker = LiveStateTracker(name: "lab", board: nil, now: 0)
        tracker.snapshotStarted(full: true)
        let response = AMIResponse(message: AMIMessage([("Response", "Success")]), items: items, final: nil, sequence: 0)
        tracker.snapshotCompleted(response, queue: nil, now: 1, countDrift: false)
        #expect(tracker.state.drift == 0)
        // Now the events lose a pause that Asterisk still reports: one difference.
        let unpause = try frame("Event: QueueMemberPause\r\nQueue: dept-health\r\nMemberName: Agent Two\r\nInterface: Local/agent2@agents/n\r\nStateInterface: Custom:agent2\r\nStatus: 1\r\nPaused: 0\r\n\r\n", banner: false)[0]
        tracker.apply(unpause, sequence: 1, now: 2)
        tracker.snapshotStarted(full: true)
        let again = AMIResponse(message: AMIMessage([("Response", "Success")]), items: items, final: nil, sequence: 2)
        #expect(tracker.snapshotCompleted(again, queue: nil, now: 3, countDrift: true) == 1)
        #expect(tracker.state.drift == 1)
        #expect(tracker.state.queues["dept-health"]?.members["Local/agent2@agents/n"]?.paused == true)
    }

    /// Random orders, repeats and drops of real events never crash the reducer, never make a
    /// count negative, and keep caller positions 1…n.
    @Test func randomOrdersAndRepeatsKeepInvariants() throws {
        let pool = try capturedEvents("three-calls-queue-event-stream-call-agent-only.txt").filter { LiveEventKind($0) != nil }
            + queueStatusItems()
        #expect(pool.count > 50)
        var generator = SystemRandomNumberGenerator()
        for round in 0..<200 {
            var state = PBXState(name: "lab")
            if round % 2 == 0 { state.queues = PBXState.queues(fromQueueStatus: try queueStatusItems(), now: 0) }
            for step in 0..<Int.random(in: 1...400, using: &generator) {
                state.apply(pool.randomElement(using: &generator)!, now: Double(step))
            }
            for queue in state.queues.values {
                #expect(queue.completed >= 0 && queue.abandoned >= 0 && queue.holdTime >= 0 && queue.talkTime >= 0)
                #expect(queue.callers.map(\.position) == Array(0..<queue.callers.count).map { $0 + 1 })
                #expect(Set(queue.callers.map(\.uniqueid)).count == queue.callers.count)
                #expect(queue.members.values.allSatisfy { $0.callsTaken >= 0 })
                let figures = queue.figures(now: 1000)
                #expect(figures.available >= 0 && figures.available <= figures.loggedIn)
                #expect(figures.paused <= figures.loggedIn && figures.longestWait >= 0)
            }
        }
    }

    @Test func boardPublishesImmutableSnapshots() throws {
        let board = LiveStateBoard()
        var state = PBXState(name: "a", staleSince: nil)
        state.queues = PBXState.queues(fromQueueStatus: try queueStatusItems(), now: 0)
        board.publish(state)
        let first = board.snapshot()
        state.queues["dept-health"] = nil
        board.publish(state)
        #expect(first.pbxs["a"]?.queues["dept-health"] != nil)
        #expect(board.snapshot().pbxs["a"]?.queues["dept-health"] == nil)
        var other = PBXState(name: "b", staleSince: 3)
        other.queues = PBXState.queues(fromQueueStatus: try queueStatusItems(), now: 0)
        board.publish(other)
        let merged = board.snapshot()
        #expect(merged.isStale)
        #expect(merged.figures(queue: "dept-police", now: 0).loggedIn == 2 * other.queues["dept-police"]!.figures(now: 0).loggedIn)
    }
}
