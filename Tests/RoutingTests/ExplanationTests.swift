import Foundation
@testable import Routing
import HelplineDomain
import Store
import Testing

@Suite struct ExplanationTests {
    @Test func aStoredDecisionExplainsItself() async throws {
        let directory = Fixture.directory
        let load = Fixture.load(["water-l1": DecisionTests.busy])
        let call = Fixture.call("supply", open: [OpenTicket(number: "1000019", category: "pothole", department: "roads")])
        let decision = directory.decide(call, load: load, now: Fixture.now)
        let store = TicketStore(database: try .inMemory())
        try await store.recordDecision(decision.record(call: call, load: load, directory: directory, now: Fixture.now), at: Fixture.now)
        let stored = try #require(try await store.decisions(callUniqueid: "1732200000.1").first)
        #expect(stored.outcome == "callback_offer")
        #expect(stored.queue == "water-l1@pbx1")

        let inputs = try DecisionInputs(json: stored.inputs)
        #expect(inputs.call == call)
        #expect(inputs.queues["water-l1@pbx1"] == DecisionTests.busy)
        #expect(inputs.queues.keys.sorted() == ["helpline-general@pbx1", "water-l1@pbx1", "water-overflow@pbx1"])

        let text = RoutingExplanation.text(stored)
        for expected in [
            "for call 1732200000.1",
            "caller        9876543210, language hi, on PBX pbx1",
            "chose         category supply, district 07",
            "open tickets  1000019 (pothole, roads)",
            "water-l1@pbx1            2 logged in, 0 free, 0 paused, 9 waiting (longest 400 s), average talk 120 s",
            "outcome       callback_offer → water-l1@pbx1, priority 0, estimated wait 600 s, L1 officer l1-water-07",
            "- estimated wait in water-l1@pbx1 is 600 s, above the 300 s threshold: offer a callback",
        ] {
            #expect(text.contains(expected), "missing '\(expected)' in:\n\(text)")
        }
    }

    @Test func anUnreadableInputsColumnIsShownRaw() async throws {
        let store = TicketStore(database: try .inMemory())
        try await store.recordDecision(RoutingDecisionInput(callUniqueid: "x", inputsJSON: #"{"from":"an older build"}"#, outcome: "queue", queue: "q@p", reasons: ["because"]))
        let stored = try #require(try await store.decisions(callUniqueid: "x").first)
        let text = RoutingExplanation.text(stored)
        #expect(text.contains("outcome       queue → q@p"))
        #expect(text.contains(#"inputs        {"from":"an older build"}"#))
        #expect(text.contains("- because"))
    }
}

@Suite struct DecisionInputsJSONTests {
    /// Every field, present and absent, with awkward text: the hand-written JSON is what
    /// JSONEncoder writes, and it reads back to the same inputs.
    @Test func handWrittenJSONIsJSONEncodersAndReadsBack() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<200 {
            let open = (0..<(round % 3)).map { OpenTicket(number: "10000\(round)\($0)", category: $0 == 0 ? nil : "water/\"leak\"", department: "water") }
            let call = CallInput(
                uniqueid: round % 4 == 0 ? nil : "1732200000.\(round)", callerNumber: "98765\(round)", language: ["hi", "en", "vi"][round % 3],
                pbx: "pbx\(round % 2)", category: round % 5 == 0 ? nil : "pothole", district: round % 6 == 0 ? nil : "0\(round % 9)",
                openTickets: open)
            var queues: [String: QueueLoad] = [:]
            for index in 0..<(round % 4) {
                queues["q-\(index)@pbx\(index % 2)"] = QueueLoad(
                    loggedIn: Int.random(in: 0...50, using: &generator), available: Int.random(in: 0...10, using: &generator),
                    paused: index, callersWaiting: Int.random(in: 0...40, using: &generator),
                    longestWaitSeconds: Double(Int.random(in: 0...9999, using: &generator)) / 10,
                    averageTalkSeconds: Double(Int.random(in: 0...99999, using: &generator)) / 100, maximumCallers: index * 10)
            }
            let inputs = DecisionInputs(
                call: call, decidedAt: Date(timeIntervalSince1970: 1_795_243_800 + Double(round) * 61.37),
                figuresAsOf: Date(timeIntervalSince1970: round % 7 == 0 ? 0 : 1_795_243_790.5),
                staleSince: round % 3 == 0 ? Date(timeIntervalSince1970: 1_795_243_000) : nil, queues: queues,
                action: [.queue, .overflowQueue, .callback, .callbackOffer, .complaintOnly, .closed][round % 6],
                department: round % 8 == 0 ? nil : "water", priority: round % 10, emergency: round % 9 == 0,
                officer: round % 2 == 0 ? "l1-water-07" : nil, estimatedWaitSeconds: round % 2 == 1 ? Double(round) * 1.5 : nil)
            let ours = inputs.json
            let theirs = String(decoding: try DecisionInputs.encoder.encode(inputs), as: UTF8.self)
            #expect(ours == theirs)
            // Dates are stored to the whole second.
            var stored = inputs
            stored.decidedAt = Date(timeIntervalSince1970: inputs.decidedAt.timeIntervalSince1970.rounded(.down))
            stored.figuresAsOf = Date(timeIntervalSince1970: inputs.figuresAsOf.timeIntervalSince1970.rounded(.down))
            #expect(try DecisionInputs(json: ours) == stored)
        }
    }
}
