import AGITestSupport
@testable import AMIClient
import NIOCore
import Testing
import AsteriskFakes

/// Drives the correlation state machine with the bytes of the captures; no sockets.
@Suite struct StateMachineTests {
    /// Submits the capture's actions in order (the prefix `lab` reproduces its ActionIDs) and
    /// feeds everything Asterisk sent; returns the outputs.
    func run(_ name: String, _ actions: [AMIAction]) throws -> (machine: AMIConnectionStateMachine, outputs: [AMIConnectionStateMachine.Output]) {
        var machine = AMIConnectionStateMachine(prefix: "lab")
        for action in actions { _ = try machine.submit(action) }
        var outputs: [AMIConnectionStateMachine.Output] = []
        for bytes in try Capture.load("ami/" + name).connectionsFromAsterisk {
            for message in try frame(bytes) { outputs.append(machine.received(message)) }
        }
        return (machine, outputs)
    }

    func completions(_ outputs: [AMIConnectionStateMachine.Output]) -> [String: Result<AMIResponse, AMIError>] {
        var result: [String: Result<AMIResponse, AMIError>] = [:]
        for case .completed(let id, let outcome, _, _) in outputs { result[id] = outcome }
        return result
    }

    @Test func actionIDsAreUniquePerConnectionAndPrefixed() throws {
        var machine = AMIConnectionStateMachine(prefix: "pbx1-3")
        let ids = try (0..<100).map { _ in try machine.submit(.ping()) }
        #expect(Set(ids).count == 100)
        #expect(ids.allSatisfy { $0.hasPrefix("pbx1-3-") })
    }

    @Test func queueStatusListIsCollectedAndCheckedAgainstListItems() throws {
        let (machine, outputs) = try run("queue-status-all-queues.txt", [.login(username: "helpline", secret: "labsecret", events: "off"), .queueStatus()])
        let done = completions(outputs)
        let list = try #require(try done["lab-2"]?.get())
        #expect(list.items.count == list.final?.int("ListItems"))
        #expect(list.items.filter { $0.nameIs("QueueParams") }.count == 3)
        #expect(list.message["EventList"] == "start")
        #expect(machine.pending.isEmpty)
        // No list item leaked out as an ordinary event.
        #expect(!outputs.contains { if case .event = $0 { true } else { false } })
    }

    @Test func listWithWrongListItemsFails() throws {
        var machine = AMIConnectionStateMachine(prefix: "t")
        let id = try machine.submit(.queueSummary())
        let bytes = "Response: Success\r\nActionID: \(id)\r\nEventList: start\r\n\r\nEvent: QueueSummary\r\nQueue: q\r\nActionID: \(id)\r\n\r\n"
            + "Event: QueueSummaryComplete\r\nActionID: \(id)\r\nEventList: Complete\r\nListItems: 2\r\n\r\n"
        var last: AMIConnectionStateMachine.Output?
        for message in try frame(bytes, banner: false) { last = machine.received(message) }
        guard case .completed(_, .failure(let error), _, _) = last else { Issue.record("not completed"); return }
        #expect(error.code == .listMismatch)
    }

    @Test func eventsBetweenRepliesPassThroughWithIncreasingSequence() throws {
        var machine = AMIConnectionStateMachine(prefix: "t")
        let id = try machine.submit(.ping())
        let bytes = "Event: DeviceStateChange\r\nDevice: Custom:agent1\r\nState: INUSE\r\n\r\n"
            + "Response: Success\r\nActionID: \(id)\r\nPing: Pong\r\n\r\nEvent: FullyBooted\r\n\r\n"
        let outputs = try frame(bytes, banner: false).map { machine.received($0) }
        guard case .event(_, let first) = outputs[0], case .completed(let done, .success, _, let reply) = outputs[1],
              case .event(_, let third) = outputs[2] else { Issue.record("\(outputs)"); return }
        #expect(done == id)
        #expect(first < reply && reply < third)
    }

    @Test func loginFailureIsAuthenticationFailed() throws {
        let (_, outputs) = try run("login-failure.txt", [.login(username: "helpline", secret: "wrong", events: "off")])
        let result = try #require(completions(outputs)["lab-1"])
        #expect(throws: AMIError.self) { try result.get() }
        if case .failure(let error) = result { #expect(error.code == .authenticationFailed) }
    }

    @Test func md5KeyMatchesTheCapturedLogin() throws {
        // login-challenge-md5.txt: Challenge 264582681, secret labsecret, accepted key 506b93f0….
        #expect(AMIAction.md5Key(challenge: "264582681", secret: "labsecret") == "506b93f0ec13aaa155870037ff1fe5be")
    }

    @Test func commandOutputLines() throws {
        let capture = try Capture.load("ami/command-action.txt")
        let commands = capture.exchanges.filter { $0.action == "Command" }
        var machine = AMIConnectionStateMachine(prefix: "lab")
        var outputs: [AMIConnectionStateMachine.Output] = []
        for exchange in capture.exchanges {
            let id = try machine.submit(exchange.action == "Command" ? .command("x") : AMIAction(exchange.action))
            #expect(id == exchange.actionID)
        }
        for message in try frame(capture.connectionsFromAsterisk[0]) { outputs.append(machine.received(message)) }
        let done = completions(outputs)
        let first = try #require(try done[commands[0].actionID]?.get())
        #expect(!first.output.isEmpty)
        let unknown = try #require(done[commands.last!.actionID])
        if case .failure(let error) = unknown { #expect(error.code == .actionFailed) } else { Issue.record("unknown CLI command succeeded") }
    }

    @Test func asyncOriginateCompletesWithOriginateResponse() throws {
        let capture = try Capture.load("ami/originate-async-success.txt")
        var machine = AMIConnectionStateMachine(prefix: "lab")
        for exchange in capture.exchanges {
            _ = try machine.submit(exchange.action == "Originate"
                ? .originate(channel: "Local/answer@lab-tests/n", destination: .extension(context: "lab-tests", exten: "playback", priority: 1))
                : AMIAction(exchange.action))
        }
        let originateID = try #require(capture.exchange("Originate")?.actionID)
        var outputs: [AMIConnectionStateMachine.Output] = []
        for message in try frame(capture.connectionsFromAsterisk[0]) { outputs.append(machine.received(message)) }
        let response = try #require(try completions(outputs)[originateID]?.get())
        #expect(response.text == "Originate successfully queued")
        #expect(response.final?.nameIs("OriginateResponse") == true)
        #expect(response.final?["Reason"] == "4")
        // The OriginateResponse is also handed to the event stream.
        let handedOn = outputs.contains { if case .completed(_, _, let event?, _) = $0 { event.nameIs("OriginateResponse") } else { false } }
        #expect(handedOn)
    }

    @Test(arguments: ["originate-async-failure-busy.txt", "originate-async-failure-congestion.txt",
                      "originate-async-failure-no-such-extension.txt", "originate-async-failure-noanswer-timeout.txt"])
    func asyncOriginateFailures(name: String) throws {
        let capture = try Capture.load("ami/" + name)
        var machine = AMIConnectionStateMachine(prefix: "lab")
        for exchange in capture.exchanges {
            _ = try machine.submit(exchange.action == "Originate"
                ? .originate(channel: "Local/x@y/n", destination: .application("Playback", data: "hello-world")) : AMIAction(exchange.action))
        }
        let originateID = try #require(capture.exchange("Originate")?.actionID)
        var outputs: [AMIConnectionStateMachine.Output] = []
        for message in try frame(capture.connectionsFromAsterisk[0]) { outputs.append(machine.received(message)) }
        let result = try #require(completions(outputs)[originateID])
        guard case .failure(let error) = result else { Issue.record("\(name) succeeded"); return }
        #expect(error.code == .actionFailed)
        #expect(error.response?.nameIs("OriginateResponse") == true)
    }

    @Test func originateResponseWithAnotherClientsActionIDIsJustAnEvent() throws {
        var machine = AMIConnectionStateMachine(prefix: "mine")
        _ = try machine.submit(.originate(channel: "Local/a@b/n", destination: .application("Wait", data: "1")))
        let message = try frame("Event: OriginateResponse\r\nActionID: theirs-7\r\nResponse: Success\r\nReason: 4\r\n\r\n", banner: false)[0]
        guard case .event(let event, _) = machine.received(message) else { Issue.record("not an event"); return }
        #expect(event.kind == .event)
        #expect(machine.pending.count == 1)
    }

    @Test func everyWaitingActionFailsAtOnceOnClose() throws {
        var machine = AMIConnectionStateMachine(prefix: "t")
        let ping = try machine.submit(.ping())
        let status = try machine.submit(.queueStatus())
        let originate = try machine.submit(.originate(channel: "Local/a@b/n", destination: .application("Wait", data: "1")))
        _ = machine.received(try frame("Response: Success\r\nActionID: \(originate)\r\nMessage: Originate successfully queued\r\n\r\n", banner: false)[0])
        let failed = Dictionary(uniqueKeysWithValues: machine.connectionClosed("EOF"))
        #expect(failed.count == 3)
        #expect(failed[ping]?.code == .connectionClosed)
        #expect(failed[status]?.code == .connectionClosed)
        #expect(failed[originate]?.code == .originateOutcomeUnknown)
        #expect(machine.pending.isEmpty)
        #expect(throws: AMIError.self) { try machine.submit(.ping()) }
    }

    @Test func deadlineFailsOnlyAWaitingAction() throws {
        var machine = AMIConnectionStateMachine(prefix: "t")
        let id = try machine.submit(.ping())
        #expect(machine.timedOut(id)?.code == .timeout)
        #expect(machine.timedOut(id) == nil)
        // A late reply is unmatched, not a crash.
        guard case .unmatched = machine.received(try frame("Response: Success\r\nActionID: \(id)\r\n\r\n", banner: false)[0]) else {
            Issue.record("late reply matched"); return
        }
    }

    @Test func encodingRefusesHeaderInjectionAndMasksSecrets() throws {
        var buffer = ByteBuffer()
        #expect(throws: AMIError.self) { try AMIAction.setvar("X", value: "a\r\nAction: Originate").encode(actionID: "1", into: &buffer) }
        #expect(throws: AMIError.self) {
            try AMIAction.originate(channel: "Local/a@b/n", destination: .application("Wait", data: "1"), variables: [("A", "1,2")])
                .encode(actionID: "1", into: &buffer)
        }
        let login = AMIAction.login(username: "helpline", secret: "labsecret", events: "on")
        #expect(!login.loggable.contains("labsecret"))
        buffer.clear()
        try login.encode(actionID: "lab-1", into: &buffer)
        #expect(buffer.readString(length: buffer.readableBytes) == "Action: Login\r\nActionID: lab-1\r\nUsername: helpline\r\nSecret: labsecret\r\nEvents: on\r\n\r\n")
    }
}

@Suite struct EventStreamTests {
    func event(_ name: String) throws -> AMIMessage { try frame("Event: \(name)\r\nDevice: d\r\nState: INUSE\r\n\r\n", banner: false)[0] }

    @Test func keepsNothingUntilSomebodyReads() throws {
        let stream = AMIEventStream(capacity: 2)
        #expect(stream.yield(try event("DeviceStateChange")) == .noReader)
        _ = stream.makeAsyncIterator()
        #expect(stream.yield(try event("DeviceStateChange")) == .kept)
    }

    @Test func dropsOnlyEventsThatChangeNoState() async throws {
        let stream = AMIEventStream(capacity: 2)
        var iterator = stream.makeAsyncIterator()
        #expect(stream.yield(try event("Newchannel")) == .kept)
        #expect(stream.yield(try event("VarSet")) == .kept)
        #expect(stream.yield(try event("Newexten")) == .dropped)
        #expect(stream.yield(try event("DeviceStateChange")) == .kept)  // over capacity, but state
        #expect(stream.yield(try event("QueueMemberStatus")) == .kept)
        #expect(stream.dropped == 1)
        stream.wake()
        #expect(await iterator.next()?.name == "Newchannel")
        stream.finish()
        var names: [String] = []
        while let message = await iterator.next() { names.append(message.name) }
        #expect(names == ["VarSet", "DeviceStateChange", "QueueMemberStatus"])
    }
}

@Suite struct TypedEventTests {
    /// Every event of the full three-call stream gets a typed view, and the views read the
    /// values the raw headers hold.
    @Test func typedViewsOfTheCapturedStream() throws {
        var counts: [String: Int] = [:]
        for message in try capturedEvents("three-calls-queue-event-stream-full.txt") {
            switch message.typed {
            case .queueMember(let event):
                counts["member", default: 0] += 1
                #expect(event.queue == message["Queue"])
                #expect(event.member.interface == message["Interface"])
                #expect(event.member.status.rawValue == message.int("Status"))
            case .queueCaller(let caller):
                counts["caller", default: 0] += 1
                #expect(caller.uniqueid == message["Uniqueid"])
                if caller.kind == .abandon { #expect(caller.holdTime != nil) }
            case .agent(let agent):
                counts["agent", default: 0] += 1
                #expect(agent.interface == message["Interface"])
                if agent.name == "AgentComplete" { #expect(agent.reason == "agent" || agent.reason == "caller") }
            case .deviceState(let device, let state):
                counts["device", default: 0] += 1
                #expect(device == message["Device"] && state == message["State"])
            case .channel(let channel):
                counts["channel", default: 0] += 1
                #expect(channel.uniqueid == message["Uniqueid"])
            case .originateResponse(let response):
                counts["originate", default: 0] += 1
                #expect(response.success == (response.reason == 4))
            case .fullyBooted, .shutdown:
                counts["system", default: 0] += 1
            case .other:
                counts["other", default: 0] += 1
            }
        }
        #expect(counts["member"] == 10)
        #expect(counts["caller"] == 7)  // 3 joins, 3 leaves, 1 abandon
        #expect(counts["originate"] == 3)
        #expect((counts["agent"] ?? 0) >= 6)
        #expect((counts["other"] ?? 0) > 0)
    }

    @Test func shutdownDuringRestart() throws {
        let events = try capturedEvents("restart-core-restart-now.txt")
        let restarting = events.compactMap { if case .shutdown(let restarting) = $0.typed { restarting } else { nil } }
        #expect(restarting == [true])
        #expect(events.contains { if case .fullyBooted = $0.typed { true } else { false } })
    }
}
