import AGIServer
import Foundation
import IVR
import Synchronization
import Testing

/// A channel that answers from a script of keys: each `play` or `waitForDigit` takes the next
/// scripted key (nil: nothing pressed), records what was played, and can hang up at a chosen
/// operation. This is a unit-test double of the `CallChannel` protocol, not a fake Asterisk.
final class ScriptedChannel: CallChannel {
    struct State {
        var keys: [Character?]
        var log: [String] = []
        var operations = 0
    }

    let state: Mutex<State>
    let hangUpAtOperation: Int?
    let missing: Set<String>

    init(keys: [Character?], hangUpAtOperation: Int? = nil, missing: Set<String> = []) {
        state = Mutex(State(keys: keys))
        self.hangUpAtOperation = hangUpAtOperation
        self.missing = missing
    }

    var log: [String] { state.withLock { $0.log } }
    var operations: Int { state.withLock { $0.operations } }

    private func step(_ entry: String) throws -> Int {
        try state.withLock { state in
            state.operations += 1
            if let limit = hangUpAtOperation, state.operations >= limit { throw AGIError(.hungUp, "scripted hangup") }
            state.log.append(entry)
            return state.operations
        }
    }

    private func nextKey() -> Character? {
        state.withLock { state in state.keys.isEmpty ? nil : state.keys.removeFirst() }
    }

    func play(_ file: String, escapeDigits: String) async throws -> Character? {
        _ = try step("play \(file)")
        if missing.contains(file) { throw AGIError(.commandFailed, "missing \(file)") }
        return escapeDigits.isEmpty ? nil : nextKey()
    }

    func waitForDigit(milliseconds: Int) async throws -> Character? {
        _ = try step("wait \(milliseconds)")
        if missing.contains("wait-fails") { throw AGIError(.commandFailed, "WAIT FOR DIGIT failed: channel failure") }
        return nextKey()
    }

    func say(_ style: Say.Style, _ value: String) async throws {
        _ = try step("say \(style.rawValue) \(value)")
        if missing.contains("say") { throw AGIError(.commandFailed, "SAY DIGITS failed: missing digit recordings") }
    }

    func record(_ file: String, format: String, maximumMilliseconds: Int, beep: Bool, silenceSeconds: Int) async throws {
        _ = try step("record \(file).\(format)")
        if missing.contains("record") { throw AGIError(.commandFailed, "RECORD FILE failed: recording to '\(file)' failed (writefile)") }
    }

    func setVariable(_ name: String, _ value: String) async throws { _ = try step("set \(name)=\(value)") }

    func hangUp() async throws { _ = try step("hang up") }

    func answerCall() async throws { _ = try step("answer") }
}

/// The application side, recording what the menu asked of it.
final class RecordingApplication: MenuApplication {
    struct Log {
        var actions: [(Action.Kind, [String: String])] = []
        var ended: [(CallState, CallOutcome)] = []
        /// The actions announced by `callStarting`, and the path at that moment.
        var started: [(Set<Action.Kind>, [String])] = []
    }

    let log = Mutex(Log())
    let routeOutcome: String?
    let openTicket: Bool

    init(routeOutcome: String? = nil, openTicket: Bool = false) {
        self.routeOutcome = routeOutcome
        self.openTicket = openTicket
    }

    func perform(_ action: Action.Kind, state: inout CallState) async throws -> ActionResult {
        log.withLock { $0.actions.append((action, state.variables)) }
        switch action {
        case .createTicket: return ActionResult(variables: ["ticket": "1000002"])
        case .openTickets: return openTicket ? ActionResult(outcome: "some", variables: ["ticket": "1000019", "ticket_status": "assigned"]) : ActionResult(outcome: "none")
        case .ticketStatus: return state.variables["ticket_number"] == "1000002" ? ActionResult(outcome: "found", variables: ["ticket": "1000002", "ticket_status": "resolved"]) : ActionResult(outcome: "unknown")
        case .route: return ActionResult(outcome: routeOutcome, variables: ["queue": "water-l1", "priority": "0"])
        case .feedback, .saveAnswers, .seatLogin, .seatLogout, .seatPause, .seatUnpause, .acceptCallback: return ActionResult()
        case .waitInQueue: return ActionResult(outcome: "queue")
        }
    }

    func validate(_ digits: String, as validation: Collect.Validation) -> Bool {
        switch validation {
        case .district: ["01", "02"].contains(digits)
        case .ticketNumber: digits == "1000002" || digits == "5555555"
        default: true
        }
    }

    func callEnded(_ state: CallState, outcome: CallOutcome) async {
        log.withLock { $0.ended.append((state, outcome)) }
    }

    func callStarting(_ state: inout CallState, actions: Set<Action.Kind>) {
        let path = state.path
        log.withLock { $0.started.append((actions, path)) }
    }
}

/// An application whose call ends by storing until `release()` (or 10 s), recording events.
final class SlowStoringApplication: MenuApplication {
    let events = Mutex<[String]>([])
    private let (released, release) = AsyncStream.makeStream(of: Void.self)

    /// Lets the store finish.
    func releaseStore() { release.yield() }

    func perform(_ action: Action.Kind, state: inout CallState) async throws -> ActionResult {
        try await RecordingApplication().perform(action, state: &state)
    }

    func validate(_ digits: String, as validation: Collect.Validation) -> Bool {
        RecordingApplication().validate(digits, as: validation)
    }

    func callEnded(_ state: CallState, outcome: CallOutcome) async {
        events.withLock { $0.append("storing") }
        let released = self.released
        let gotIt = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                var iterator = released.makeAsyncIterator()
                return await iterator.next() != nil
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(10))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        events.withLock { $0.append(gotIt ? "stored" : "stored without the hand-off (not concurrent)") }
    }
}

@Suite struct InterpreterTests {
    static let inbound: Menu = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let path = url.appendingPathComponent("menus/inbound.yaml").path
        return try! MenuLoader.load(yaml: try! String(contentsOfFile: path, encoding: .utf8), file: path)
    }()

    static func state() -> CallState {
        CallState(menu: "inbound", uniqueid: "1732200000.5", caller: "9876543210", dnid: "1076", language: "hi", variables: [:])
    }

    /// Keys for: welcome (no escape), language 2 (en), main 1, category 1, district 0 1.
    static let register: [Character?] = ["2", "1", "1", "0", "1"]

    @Test func registersAComplaintAndHandsTheCallToTheQueue() async {
        let channel = ScriptedChannel(keys: Self.register)
        let application = RecordingApplication()
        let outcome = await MenuInterpreter(menu: Self.inbound, application: application).run(on: channel, state: Self.state()).outcome
        #expect(outcome == .handedOff(action: "queue"))
        let log = application.log.withLock { $0 }
        #expect(log.actions.map(\.0) == [.openTickets, .createTicket, .route])
        let created = log.actions[1].1
        #expect(created["category"] == "water-supply")
        #expect(created["district"] == "01")
        #expect(created["recording"] == "helpline/recordings/1732200000.5-describe.wav")
        #expect(channel.log.contains("set CHANNEL(language)=en"))
        #expect(channel.log.filter { $0 == "say digits 1000002" }.count == 2, "the number is read back twice")
        #expect(log.ended.count == 1)
        #expect(log.ended.first?.0.language == "en")
        #expect(log.ended.first?.0.path.last == "route")
    }

    /// Before the first node the application hears which actions the menu calls (Helpline
    /// starts reading the caller's open tickets then).
    @Test func theApplicationHearsTheMenusActionsBeforeTheFirstNode() async {
        let application = RecordingApplication()
        await MenuInterpreter(menu: Self.inbound, application: application).run(on: ScriptedChannel(keys: Self.register), state: Self.state())
        let started = application.log.withLock { $0.started }
        #expect(started.count == 1)
        #expect(started.first?.0 == Self.inbound.actions)
        #expect(started.first?.1 == [], "before the first node")
        #expect(Self.inbound.actions.isSuperset(of: [.openTickets, .createTicket, .route]))
        #expect(!Self.inbound.actions.contains(.feedback))
    }

    /// The hand-off (the dialplan's variables) runs while the application stores the call,
    /// and `run` returns once both are done.
    @Test func theHandOffRunsWhileTheCallIsStored() async throws {
        let application = SlowStoringApplication()
        let channel = ScriptedChannel(keys: Self.register)
        let handed = try await MenuInterpreter(menu: Self.inbound, application: application).run(on: channel, state: Self.state()) { outcome, state in
            application.events.withLock { $0.append("handing off") }
            try await channel.setVariable("HELPLINE_QUEUE", state.variables["queue"] ?? "")
            application.releaseStore()
            return outcome
        }
        #expect(handed == .handedOff(action: "queue"))
        let events = application.events.withLock { $0 }
        #expect(Set(events) == ["storing", "handing off", "stored"], "\(events)")
        #expect(events.last == "stored", "run returns after the call is stored")
        #expect(channel.log.last == "set HELPLINE_QUEUE=water-l1")
    }

    /// A hand-off that fails (the caller hung up) is thrown once the call is stored.
    @Test func aFailedHandOffIsThrownOnceTheCallIsStored() async {
        let application = SlowStoringApplication()
        await #expect(throws: AGIError.self) {
            try await MenuInterpreter(menu: Self.inbound, application: application).run(on: ScriptedChannel(keys: Self.register), state: Self.state()) { _, _ in
                application.releaseStore()
                throw AGIError(.hungUp, "gone while the variables were set")
            }
        }
        #expect(application.events.withLock { $0 }.last == "stored")
    }

    @Test func theMenusFirstLanguageIsSetAtTheStart() async {
        var state = Self.state()
        state.language = "en"  // Asterisk's channel default says nothing about the caller
        let channel = ScriptedChannel(keys: [])
        let (_, final) = await MenuInterpreter(menu: Self.inbound, application: RecordingApplication()).run(on: channel, state: state)
        #expect(channel.log.first == "set CHANNEL(language)=hi")
        #expect(final.language == "hi")
    }

    @Test func aCallbackPromiseEndsWithGoodbye() async {
        let channel = ScriptedChannel(keys: Self.register)
        let application = RecordingApplication(routeOutcome: "callback")
        let outcome = await MenuInterpreter(menu: Self.inbound, application: application).run(on: channel, state: Self.state()).outcome
        #expect(outcome == .hungUpByMenu)
        #expect(channel.log.suffix(3) == ["play callback-promise", "play goodbye", "hang up"])
    }

    /// A long wait: 1 accepts the callback (promise, goodbye), 2 keeps waiting (to the queue),
    /// nothing pressed is a callback.
    @Test(arguments: [("1", "accept"), ("2", "wait"), (nil, "accept")] as [(Character?, String)])
    func aCallbackOfferIsTheCallersChoice(_ key: Character?, _ expected: String) async {
        let channel = ScriptedChannel(keys: Self.register + [key, nil, nil, nil])
        let application = RecordingApplication(routeOutcome: "callback_offer")
        let outcome = await MenuInterpreter(menu: Self.inbound, application: application).run(on: channel, state: Self.state()).outcome
        let actions = application.log.withLock { $0.actions.map(\.0) }
        #expect(channel.log.contains("play callback-offer"))
        if expected == "accept" {
            #expect(outcome == .hungUpByMenu)
            #expect(actions.suffix(2) == [.route, .acceptCallback])
            #expect(channel.log.suffix(3) == ["play callback-promise", "play goodbye", "hang up"])
        } else {
            #expect(outcome == .handedOff(action: "queue"))
            #expect(actions.suffix(2) == [.route, .waitInQueue])
            #expect(application.log.withLock { $0.ended.first?.0.variables["queue"] } == "water-l1")
        }
    }

    @Test func wrongAndMissingKeysAreRetriedThenFailOver() async {
        // language: nothing twice (each try: during the prompt, then the wait); main: 7 (invalid),
        // then nothing, then nothing: failure → to-agent.
        let channel = ScriptedChannel(keys: [nil, nil, nil, nil, "7", nil, nil, nil, nil])
        let application = RecordingApplication()
        let outcome = await MenuInterpreter(menu: Self.inbound, application: application).run(on: channel, state: Self.state()).outcome
        #expect(outcome == .handedOff(action: "queue"))
        #expect(channel.log.contains("play invalid-option"))
        #expect(channel.log.contains("play no-input"))
        #expect(channel.log.filter { $0.hasPrefix("set CHANNEL(language)") } == ["set CHANNEL(language)=hi"], "no choice: the menu's first language stays")
        let path = application.log.withLock { $0.ended.first?.0.path } ?? []
        #expect(path.suffix(2) == ["main", "to-agent"])
    }

    @Test func aWrongCheckDigitIsPromptedAgain() async {
        // language 1; main 2; number 1000020# (wrong), then 1000002#; back in main: nothing ×3.
        let keys: [Character?] = ["1", "2"] + Array("1000020#").map { Optional($0) } + Array("1000002#").map { Optional($0) }
        let channel = ScriptedChannel(keys: keys)
        let application = RecordingApplication()
        await MenuInterpreter(menu: Self.inbound, application: application).run(on: channel, state: Self.state())
        #expect(channel.log.contains("play wrong-ticket-number"))
        #expect(channel.log.contains("play status-resolved"))
        let lookups = application.log.withLock { $0.actions.filter { $0.0 == .ticketStatus } }
        #expect(lookups.map { $0.1["ticket_number"] } == ["1000002"])
    }

    @Test func aMissingPromptFallsBackToAnotherLanguageAndIsCounted() async {
        let channel = ScriptedChannel(keys: Self.register, missing: ["welcome"])
        let application = RecordingApplication()
        await MenuInterpreter(menu: Self.inbound, application: application).run(on: channel, state: Self.state())
        #expect(Array(channel.log.prefix(3)) == ["set CHANNEL(language)=hi", "play welcome", "play en/welcome"])
        #expect(application.log.withLock { $0.ended.first?.0.missingPrompts } == ["hi/welcome"])
    }

    @Test func missingDigitRecordingsDoNotEndTheCall() async {
        let channel = ScriptedChannel(keys: Self.register, missing: ["say"])
        let application = RecordingApplication()
        let (outcome, state) = await MenuInterpreter(menu: Self.inbound, application: application).run(on: channel, state: Self.state())
        #expect(outcome == .handedOff(action: "queue"))
        #expect(state.missingPrompts == ["en/say-digits:1000002", "en/say-digits:1000002"])
    }

    @Test func aWaitThatFailsIsTheCallerHangingUp() async {
        // Asterisk answers WAIT FOR DIGIT with result=-1 before the HANGUP line that explains it.
        let channel = ScriptedChannel(keys: [nil, nil], missing: ["wait-fails"])
        let application = RecordingApplication()
        let (outcome, _) = await MenuInterpreter(menu: Self.inbound, application: application).run(on: channel, state: Self.state())
        #expect(outcome == .callerHungUp(node: "choose-language"))
    }

    @Test func aRecordingAsteriskCannotWriteDoesNotEndTheCall() async {
        let channel = ScriptedChannel(keys: Self.register, missing: ["record"])
        let application = RecordingApplication()
        let (outcome, state) = await MenuInterpreter(menu: Self.inbound, application: application).run(on: channel, state: Self.state())
        #expect(outcome == .handedOff(action: "queue"))
        #expect(state.failedRecordings == ["helpline/recordings/1732200000.5-describe.wav"])
        #expect(application.log.withLock { $0.actions.first { $0.0 == .createTicket }?.1["recording"] } == "")
    }

    @Test func aHangupAtAnyPointEndsCleanlyAndKeepsWhatWasCollected() async {
        // How many channel operations a full registration takes.
        let full = ScriptedChannel(keys: Self.register)
        await MenuInterpreter(menu: Self.inbound, application: RecordingApplication()).run(on: full, state: Self.state())
        let total = full.operations
        #expect(total > 10)
        for point in 1...total {
            let channel = ScriptedChannel(keys: Self.register, hangUpAtOperation: point)
            let application = RecordingApplication()
            let outcome = await MenuInterpreter(menu: Self.inbound, application: application).run(on: channel, state: Self.state()).outcome
            let ended = application.log.withLock { $0.ended }
            #expect(ended.count == 1, "callEnded exactly once (hangup at operation \(point))")
            guard case .callerHungUp(let node) = outcome else {
                Issue.record("hangup at operation \(point) ended as \(outcome)")
                continue
            }
            let state = ended[0].0
            #expect((state.path.last ?? Self.inbound.start) == node)
            // Once the category was chosen, it is kept for the callback.
            if state.path.contains("district") { #expect(state.variables["category"] == "water-supply") }
            #expect(application.log.withLock { $0.actions.filter { $0.0 == .createTicket }.count } <= 1)
        }
    }
}
