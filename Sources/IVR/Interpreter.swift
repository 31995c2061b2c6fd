public import AGIServer
public import Foundation
import TimeSupport
import YAMLSupport

/// The channel a menu runs on: the few FastAGI operations the interpreter needs.
/// ``AGISession`` is one; tests may script another.
public protocol CallChannel: Sendable {
    /// Plays a sound file; a key in `escapeDigits` stops it and is returned. Throws
    /// ``AGIError/Code/commandFailed`` when the file is missing.
    func play(_ file: String, escapeDigits: String) async throws -> Character?
    /// Waits up to `milliseconds` for a key.
    func waitForDigit(milliseconds: Int) async throws -> Character?
    /// Speaks digits, a number or a date in the channel's language.
    func say(_ style: Say.Style, _ value: String) async throws
    /// Records the caller into `file` (without extension) in `format`.
    func record(_ file: String, format: String, maximumMilliseconds: Int, beep: Bool, silenceSeconds: Int) async throws
    /// Sets a channel variable or writable function (`CHANNEL(language)`).
    func setVariable(_ name: String, _ value: String) async throws
    /// Hangs the call up.
    func hangUp() async throws
    /// Answers the call (harmless when it is already up).
    func answerCall() async throws
}

extension AGISession: CallChannel {
    public func play(_ file: String, escapeDigits: String) async throws -> Character? {
        try await streamFile(file, escapeDigits: escapeDigits).digit
    }

    public func waitForDigit(milliseconds: Int) async throws -> Character? {
        try await waitForDigit(timeout: milliseconds)
    }

    public func say(_ style: Say.Style, _ value: String) async throws {
        switch style {
        case .digits: _ = try await sayDigits(value)
        case .number:
            guard let number = Int(value) else { throw AGIError(.invalidArgument, "'\(value)' is not a number to say") }
            _ = try await sayNumber(number)
        case .date:
            guard let seconds = Int(value) else { throw AGIError(.invalidArgument, "'\(value)' is not a date (seconds since 1970) to say") }
            _ = try await sayDate(seconds)
        }
    }

    public func record(_ file: String, format: String, maximumMilliseconds: Int, beep: Bool, silenceSeconds: Int) async throws {
        _ = try await recordFile(file, format: format, escapeDigits: "#", timeout: maximumMilliseconds, beep: beep, silenceSeconds: silenceSeconds)
    }

    public func hangUp() async throws {
        try await hangup()
    }

    public func answerCall() async throws {
        try await answer()
    }
}

/// Everything a call has collected so far; handed to the application's actions.
public struct CallState: Sendable {
    /// The menu's name.
    public var menu: String
    /// The Asterisk uniqueid.
    public var uniqueid: String
    /// The caller's number.
    public var caller: String
    /// The number dialled.
    public var dnid: String
    /// The channel's name (`PJSIP/1001-0000002a`); a seat's own calls name the seat.
    public var channel = ""
    /// The caller's language.
    public var language: String
    /// Variables set by the menu and by actions.
    public var variables: [String: String]
    /// The menu's `answers`: the variables a campaign call stores for its contact, in order.
    public var answers: [String] = []
    /// The nodes visited, in order.
    public var path: [String] = []
    /// When the call reached the menu.
    public var startedAt = Date()
    /// Recordings Asterisk could not write (the call went on without them).
    public var failedRecordings: [String] = []
    /// Prompts that were missing in the caller's language (played in another, or skipped).
    public var missingPrompts: [String] = []
    /// What the application keeps between one call's actions (the interpreter never reads it):
    /// Helpline keeps the caller's open tickets, read once per call, and the routing decision
    /// it stores with the call's row.
    public var applicationMemo: (any Sendable)?

    /// The state a call starts with.
    public init(menu: String, uniqueid: String, caller: String, dnid: String, language: String, variables: [String: String] = [:]) {
        self.menu = menu
        self.uniqueid = uniqueid
        self.caller = caller
        self.dnid = dnid
        self.language = language
        self.variables = variables
    }

    /// The state of a FastAGI session's call, from its environment.
    public init(menu: String, environment: AGIEnvironment) {
        self.init(
            menu: menu, uniqueid: environment.uniqueID, caller: environment.callerID ?? "", dnid: Self.dialled(environment),
            language: environment.language)
        channel = environment.channel
    }

    /// The number the caller dialled: the dialplan's first argument when it is a dialled
    /// number (the shipped dialplan passes `${EXTEN}`, because `agi_dnid` stays `unknown` on
    /// Local channels and on many trunks), else `agi_dnid`; empty when neither says.
    public static func dialled(_ environment: AGIEnvironment) -> String {
        if let first = environment.arguments.first, !first.isEmpty,
           first.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "+" || $0 == "*" || $0 == "#") }) {
            return first
        }
        return environment.dnid ?? ""
    }
}

/// What an action answered.
public struct ActionResult: Sendable {
    /// The outcome to branch on (nil: go to next).
    public var outcome: String?
    /// Variables to set.
    public var variables: [String: String]

    /// An action's answer.
    public init(outcome: String? = nil, variables: [String: String] = [:]) {
        self.outcome = outcome
        self.variables = variables
    }
}

/// How a call left the menu.
public enum CallOutcome: Sendable, Equatable {
    /// The menu hung up.
    case hungUpByMenu
    /// The caller hung up (at this node).
    case callerHungUp(node: String)
    /// A `route` action handed the call to the dialplan (queue, callback …).
    case handedOff(action: String)
    /// Something went wrong; the dialplan's fallback takes the call.
    case failed(String)
}

/// The application behind a menu's actions: Helpline implements it with the store, routing
/// and the live state.
public protocol MenuApplication: Sendable {
    /// Runs an action with what the call has collected. It may keep what it learned for the
    /// call's later actions in ``CallState/applicationMemo``; the menu's variables change
    /// through the result.
    func perform(_ action: Action.Kind, state: inout CallState) async throws -> ActionResult
    /// Whether collected digits pass a validation (districts are the directory's, ticket
    /// numbers need their check digit).
    func validate(_ digits: String, as validation: Collect.Validation) -> Bool
    /// Called once when the call leaves the menu, however it ends; records the call and, for a
    /// caller who hung up after choosing where to go but before a ticket, a callback.
    func callEnded(_ state: CallState, outcome: CallOutcome) async
    /// Called once before the call's first node with the actions the menu's nodes call
    /// (``Menu/actions``): the application may start reading what they will need, while the
    /// first prompts play.
    func callStarting(_ state: inout CallState, actions: Set<Action.Kind>)
}

extension MenuApplication {
    /// Reads nothing ahead.
    public func callStarting(_ state: inout CallState, actions: Set<Action.Kind>) {}
}

/// Runs a menu over a channel, node by node.
public struct MenuInterpreter: Sendable {
    /// The most nodes one call may pass (a guard; the checker already refuses silent loops).
    public static let maximumSteps = 10_000

    let menu: Menu
    let application: any MenuApplication
    let answers: Bool

    /// An interpreter for `menu` calling into `application`; with `answers`, it answers the
    /// channel first (a caller gone by then ends the call like any other hangup).
    public init(menu: Menu, application: any MenuApplication, answers: Bool = false) {
        self.menu = menu
        self.application = application
        self.answers = answers
    }

    /// Runs one call to its end and returns how it ended and what it collected (the
    /// application has been told).
    @discardableResult
    public func run(on channel: some CallChannel, state initial: CallState) async -> (outcome: CallOutcome, state: CallState) {
        let (outcome, state) = await walkCall(on: channel, state: initial)
        await application.callEnded(state, outcome: outcome)
        return (outcome, state)
    }

    /// Runs one call to its end like ``run(on:state:)``, then `handOff` (what the dialplan
    /// still needs from the call, such as its variables) while the application stores the
    /// call: the caller does not wait for that write before the last commands. Returns once
    /// both are done, with `handOff`'s value or its error.
    public func run<Value: Sendable>(
        on channel: some CallChannel, state initial: CallState,
        handOff: (_ outcome: CallOutcome, _ state: CallState) async throws -> Value
    ) async throws -> Value {
        let (outcome, state) = await walkCall(on: channel, state: initial)
        async let stored: Void = application.callEnded(state, outcome: outcome)
        let handedOff: Result<Value, any Error>
        do {
            handedOff = .success(try await handOff(outcome, state))
        } catch {
            handedOff = .failure(error)
        }
        await stored
        return try handedOff.get()
    }

    /// Walks the menu until the call leaves it; the application is not told yet.
    private func walkCall(on channel: some CallChannel, state initial: CallState) async -> (outcome: CallOutcome, state: CallState) {
        var state = initial
        // The menu's first language is spoken until the caller chooses (Asterisk's channel
        // default, `en`, says nothing about the caller), unless the call brings one of the
        // menu's languages as its `language` variable (a campaign contact's language).
        if let wanted = initial.variables["language"], menu.languages.contains(wanted) {
            state.language = wanted
        } else {
            state.language = menu.languages.first ?? "en"
        }
        state.variables["language"] = state.language
        application.callStarting(&state, actions: menu.actions)
        let outcome: CallOutcome
        do {
            outcome = try await walk(channel, &state)
        } catch let error as AGIError where error.code == .hungUp || error.code == .connectionClosed || error.code == .deadChannel {
            outcome = .callerHungUp(node: state.path.last ?? menu.start)
        } catch {
            outcome = .failed("\(error)")
        }
        return (outcome, state)
    }

    private func walk(_ channel: some CallChannel, _ state: inout CallState) async throws -> CallOutcome {
        if answers {
            do {
                try await channel.answerCall()
            } catch let error as AGIError where error.code == .commandFailed {
                // ANSWER fails (result=-1) on a channel that is gone; the HANGUP line follows.
                throw AGIError(.hungUp, "ANSWER: the channel is gone (\(error.message))")
            }
        }
        try await channel.setVariable("CHANNEL(language)", state.language)
        var current: String? = menu.start
        var steps = 0
        while let id = current {
            steps += 1
            guard steps <= Self.maximumSteps else { return .failed("more than \(Self.maximumSteps) steps") }
            guard let node = menu.nodes[id] else { return .failed("unknown node '\(id)'") }
            state.path.append(id)
            switch node.kind {
            case .play(let prompts):
                _ = try await play(prompts, channel, &state, escape: "")
                current = node.next
            case .menu(let choice):
                if let chosen = try await choose(choice, channel, &state) {
                    if let variable = choice.variable {
                        state.variables[variable] = chosen
                        current = node.next
                    } else {
                        current = chosen
                    }
                } else {
                    current = choice.retrying.failure
                }
            case .language(let choice):
                if let language = try await choose(choice, channel, &state) {
                    state.language = language
                    state.variables["language"] = language
                    try await channel.setVariable("CHANNEL(language)", language)
                    current = node.next
                } else {
                    // No choice: the language stays; the failure node if there is one, else on.
                    current = choice.retrying.failure ?? node.next
                }
            case .collect(let collect):
                if let digits = try await self.collect(collect, channel, &state) {
                    state.variables[collect.variable] = digits
                    current = node.next
                } else {
                    current = collect.retrying.failure
                }
            case .record(let record):
                let file = "\(record.folder)/\(state.uniqueid.isEmpty ? "call" : state.uniqueid)-\(id)"
                _ = try await play(record.prompts, channel, &state, escape: "")
                do {
                    try await channel.record(
                        file, format: record.format, maximumMilliseconds: Int(record.maximumDuration.milliseconds),
                        beep: record.beep, silenceSeconds: Int(record.silence.components.seconds))
                    state.variables[record.variable] = "\(file).\(record.format)"
                } catch let error as AGIError where error.code == .commandFailed {
                    // Asterisk could not write the file (its folder is missing or not writable):
                    // the call goes on without a recording, and the failure is reported.
                    state.variables[record.variable] = ""
                    state.failedRecordings.append("\(file).\(record.format)")
                }
                current = node.next
            case .say(let say):
                let value = expand(say.value, state)
                do {
                    try await channel.say(say.style, value)
                } catch let error as AGIError where error.code == .commandFailed || error.code == .invalidArgument {
                    // Digit or number recordings missing in this language, or nothing to say:
                    // like a missing prompt, it never ends the call.
                    state.missingPrompts.append("\(state.language)/say-\(say.style.rawValue):\(value)")
                }
                current = node.next
            case .set(let variable, let value):
                state.variables[variable] = expand(value, state)
                current = node.next
            case .goto(let target):
                current = target
            case .hangup:
                try await channel.hangUp()
                return .hungUpByMenu
            case .action(let action):
                let result = try await application.perform(action.kind, state: &state)
                for (name, value) in result.variables { state.variables[name] = value }
                if action.kind == .route || action.kind == .waitInQueue {
                    if let outcome = result.outcome, let target = action.outcomes[outcome] {
                        current = target
                    } else {
                        // A callback offer the menu does not make: the caller waits in the queue.
                        return .handedOff(action: result.outcome == "callback_offer" ? "queue" : result.outcome ?? "queue")
                    }
                } else if let outcome = result.outcome, let target = action.outcomes[outcome] {
                    current = target
                } else {
                    current = node.next
                }
            }
        }
        return .failed("node '\(state.path.last ?? menu.start)' has nowhere to go")
    }

    /// Substitutes `${name}` with the call's variables (empty when unset); `${language}` is
    /// the caller's language.
    func expand(_ template: String, _ state: CallState) -> String {
        Placeholders.expand(template) { name in name == "language" ? state.language : state.variables[name] }
    }

    /// Plays prompts in the caller's language; a missing one is tried in the menu's other
    /// languages, then skipped (and counted), never ending the call. Returns the key that
    /// interrupted playback, if any.
    func play(_ prompts: [String], _ channel: some CallChannel, _ state: inout CallState, escape: String) async throws -> Character? {
        for prompt in prompts {
            let name = expand(prompt, state)
            do {
                if let key = try await channel.play(name, escapeDigits: escape) { return key }
                continue
            } catch let error as AGIError where error.code == .commandFailed {
                // Counted once a fallback was tried: a caller who hangs up during the prompt
                // also makes STREAM FILE fail, and then the fallback fails with the hangup.
            }
            for language in menu.languages where language != state.language {
                do {
                    if let key = try await channel.play("\(language)/\(name)", escapeDigits: escape) {
                        state.missingPrompts.append("\(state.language)/\(name)")
                        return key
                    }
                    break
                } catch let error as AGIError where error.code == .commandFailed {
                    continue
                }
            }
            state.missingPrompts.append("\(state.language)/\(name)")
        }
        return nil
    }

    /// Offers a choice until a valid option, or nil when the retries are used up.
    func choose(_ choice: Choice, _ channel: some CallChannel, _ state: inout CallState) async throws -> String? {
        let keys = String(Set(choice.options.keys.compactMap(\.first)).sorted())
        for attempt in 0...choice.retrying.retries {
            var key = try await play(choice.prompts, channel, &state, escape: keys)
            if key == nil { key = try await waitForKey(channel, choice.retrying.firstDigitTimeout) }
            guard let first = key else {
                if attempt < choice.retrying.retries { _ = try await play(choice.retrying.timeoutPrompts, channel, &state, escape: "") }
                continue
            }
            var entered = String(first)
            while choice.options[entered] == nil, choice.options.keys.contains(where: { $0.hasPrefix(entered) }) {
                guard let more = try await waitForKey(channel, choice.retrying.interDigitTimeout) else { break }
                entered.append(more)
            }
            if let value = choice.options[entered] { return value }
            if attempt < choice.retrying.retries { _ = try await play(choice.retrying.invalidPrompts, channel, &state, escape: "") }
        }
        return nil
    }

    /// Reads digits until the maximum, the terminator or the inter-digit timeout; validates
    /// them; nil when the retries are used up.
    func collect(_ collect: Collect, _ channel: some CallChannel, _ state: inout CallState) async throws -> String? {
        for attempt in 0...collect.retrying.retries {
            var key = try await play(collect.prompts, channel, &state, escape: "0123456789*#")
            if key == nil { key = try await waitForKey(channel, collect.retrying.firstDigitTimeout) }
            var digits = ""
            while let pressed = key {
                if let terminator = collect.terminator, pressed == terminator { break }
                digits.append(pressed)
                if digits.count >= collect.maximumDigits { break }
                key = try await waitForKey(channel, collect.retrying.interDigitTimeout)
            }
            if digits.isEmpty {
                if attempt < collect.retrying.retries { _ = try await play(collect.retrying.timeoutPrompts, channel, &state, escape: "") }
                continue
            }
            if digits.count >= collect.minimumDigits, digits.allSatisfy(\.isNumber), application.validate(digits, as: collect.validation) {
                return digits
            }
            if attempt < collect.retrying.retries { _ = try await play(collect.retrying.invalidPrompts, channel, &state, escape: "") }
        }
        return nil
    }

    /// Waits for a key. WAIT FOR DIGIT answers `result=-1` when the channel is gone; the
    /// `HANGUP` line that says so comes only after that reply, so the failure is the hangup.
    func waitForKey(_ channel: some CallChannel, _ timeout: Duration) async throws -> Character? {
        do {
            return try await channel.waitForDigit(milliseconds: Int(timeout.milliseconds))
        } catch let error as AGIError where error.code == .commandFailed {
            throw AGIError(.hungUp, "WAIT FOR DIGIT: the channel is gone (\(error.message))")
        }
    }
}
