import Foundation
import Routing
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
