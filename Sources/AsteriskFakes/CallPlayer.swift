import AGIServer
public import NIOCore

/// Plays Asterisk's side of one FastAGI call against a running daemon with scripted keys, the
/// way `helpline call` lets a menu author try a flow without a PBX.
///
/// It sends an environment block shaped like a real Asterisk 22's, then answers each command
/// with the reply Asterisk gives (as recorded in the project's captures): a prompt that accepts
/// keys takes the next scripted key, `WAIT FOR DIGIT` takes the next key or times out, a
/// recording "times out" after the caller spoke, variables are accepted. Each group of keys
/// (`1,3,05` is three groups) ends with a silence, so the next prompt plays to its end.
public struct CallPlayer: Sendable {
    /// One thing that happened during the call, for the transcript.
    public enum Event: Sendable, Equatable, CustomStringConvertible {
        /// A prompt played; `key` interrupted it.
        case played(String, key: Character?)
        /// A prompt that does not exist (Asterisk answers result=-1).
        case missing(String)
        /// A key pressed while waiting.
        case pressed(Character)
        /// Waited and nothing was pressed.
        case silence
        /// A value spoken.
        case said(String)
        /// A recording made.
        case recorded(String)
        /// A channel variable set.
        case set(String, String)
        /// The menu hung up.
        case hungUp
        /// Any other command.
        case other(String)

        public var description: String {
            switch self {
            case .played(let file, let key): "play \(file)" + (key.map { "  (interrupted by \($0))" } ?? "")
            case .missing(let file): "play \(file)  (MISSING)"
            case .pressed(let key): "press \(key)"
            case .silence: "(silence)"
            case .said(let text): "say \(text)"
            case .recorded(let file): "record \(file)"
            case .set(let name, let value): "set \(name)=\(value)"
            case .hungUp: "hang up"
            case .other(let command): command
            }
        }
    }

    /// The keys, with nil for each silence between groups.
    public var keys: [Character?]
    /// Prompt names that do not exist.
    public var missingPrompts: Set<String>
    /// The caller's number.
    public var caller: String
    /// The number dialled.
    public var dnid: String
    /// The uniqueid.
    public var uniqueid: String
    /// The channel's language at the start.
    public var language: String
    /// Hang up during this command (1 = the first command): Asterisk answers it with
    /// `result=-1` and a `HANGUP` line, and then refuses commands that need the channel.
    public var hangUpAtCommand: Int?
    /// The channel's name (`agi_channel`): a Local channel by default, `PJSIP/1001-00000001`
    /// to play a seat's own phone.
    public var channel = "Local/s@helpline-call-00000001;1"

    /// A call with keys given as groups, like `["1", "3", "05"]`.
    public init(keyGroups: [String], caller: String = "9876543210", dnid: String = "1076", uniqueid: String, language: String = "en", missingPrompts: Set<String> = [], hangUpAtCommand: Int? = nil) {
        var keys: [Character?] = []
        for group in keyGroups {
            keys += group.map { Optional($0) }
            keys.append(nil)
        }
        self.keys = keys
        self.caller = caller
        self.dnid = dnid
        self.uniqueid = uniqueid
        self.language = language
        self.missingPrompts = missingPrompts
        self.hangUpAtCommand = hangUpAtCommand
    }

    /// The environment block for `script` (`/inbound` or `inbound`): the caller, and the
    /// dialled number as the first argument (as the shipped dialplan passes `${EXTEN}`) with
    /// the caller as the second; `agi_dnid` is `unknown`, as Asterisk 22 reports it on a Local
    /// channel (`agi/normal-session-inbound.txt`).
    public func environment(script: String) -> String {
        var parts = FakeAsterisk.Environment(script: script, uniqueID: uniqueid, arguments: [dnid, caller])
        parts.channel = channel
        parts.language = language
        parts.callerID = caller
        parts.callerName = "helpline call"
        parts.dnid = "unknown"
        parts.exten = dnid
        return FakeAsterisk.environment(parts)
    }

    /// Runs the call against the FastAGI server at `address`; `observe` sees each event as it
    /// happens. Returns every event and the channel variables set.
    ///
    /// `commandLatency`, when given, receives for every command after the first the time from
    /// this side's previous reply to the command's arrival: the daemon's time per command.
    public func run(
        script: String, to address: SocketAddress, observe: @Sendable (Event) -> Void = { _ in },
        commandLatency: (@Sendable (Duration) -> Void)? = nil
    ) async throws -> (events: [Event], variables: [String: String]) {
        try await FakeAsterisk.session(to: address) { peer in
            try await peer.send(environment(script: script))
            var keys = self.keys[...]
            var events: [Event] = []
            var variables: [String: String] = [:]
            var commands = 0
            var hungUp = false
            var replied: ContinuousClock.Instant?
            func record(_ event: Event) {
                events.append(event)
                observe(event)
            }
            reading: while let line = try await peer.readLine() {
                if let commandLatency, let replied { commandLatency(ContinuousClock.now - replied) }
                let words = AGICommandLine.words(line)
                guard let verb = words.first else { continue }
                commands += 1
                if let at = hangUpAtCommand, commands >= at {
                    if !hungUp {
                        // The caller hangs up during this command (captures: hangup-during-get-data).
                        hungUp = true
                        record(.hungUp)
                        try await peer.send(verb == "STREAM" ? "200 result=-1 endpos=0\nHANGUP\n" : "200 result=-1\nHANGUP\n")
                    } else if ["SET", "GET", "NOOP", "VERBOSE"].contains(verb) {
                        if verb == "SET", words.count > 3 { variables[words[2]] = words[3] }
                        try await peer.send("200 result=1\n")
                    } else {
                        try await peer.send("511 Command Not Permitted on a dead channel or intercept routine\n")
                    }
                    continue reading
                }
                var reply = "200 result=0\n"
                switch (verb, words.dropFirst().first ?? "") {
                case ("STREAM", "FILE"):
                    let file = words.count > 2 ? words[2] : ""
                    let escape = words.count > 3 ? words[3] : ""
                    if missingPrompts.contains(file) || missingPrompts.contains(String(file.split(separator: "/").last ?? "")) {
                        record(.missing(file))
                        reply = "200 result=-1 endpos=0\n"
                    } else if !escape.isEmpty, let next = keys.first {
                        keys = keys.dropFirst()
                        if let key = next, escape.contains(key) {
                            record(.played(file, key: key))
                            reply = "200 result=\(key.asciiValue ?? 0) endpos=8000\n"
                        } else {
                            record(.played(file, key: nil))
                            reply = "200 result=0 endpos=16000\n"
                        }
                    } else {
                        record(.played(file, key: nil))
                        reply = "200 result=0 endpos=16000\n"
                    }
                case ("WAIT", "FOR"):
                    if let next = keys.first {
                        keys = keys.dropFirst()
                        if let key = next {
                            record(.pressed(key))
                            reply = "200 result=\(key.asciiValue ?? 0)\n"
                        } else {
                            record(.silence)
                        }
                    } else {
                        record(.silence)
                    }
                case ("SAY", _):
                    record(.said(words.dropFirst().prefix(2).joined(separator: " ").lowercased()))
                case ("RECORD", "FILE"):
                    record(.recorded(words.count > 3 ? "\(words[2]).\(words[3])" : line))
                    reply = "200 result=0 (timeout) endpos=16000\n"
                case ("SET", "VARIABLE"):
                    let name = words.count > 2 ? words[2] : ""
                    let value = words.count > 3 ? words[3] : ""
                    variables[name] = value
                    record(.set(name, value))
                    reply = "200 result=1\n"
                case ("HANGUP", _):
                    record(.hungUp)
                    try await peer.send("200 result=1\nHANGUP\n")
                    replied = nil
                    continue reading
                case ("ANSWER", _), ("NOOP", _), ("VERBOSE", _):
                    record(.other(verb))
                default:
                    record(.other(line))
                    reply = "510 Invalid or unknown command\n"
                }
                try await peer.send(reply)
                if commandLatency != nil { replied = ContinuousClock.now }
            }
            // The server closed its side: Asterisk says HANGUP and closes too.
            try? await peer.send("HANGUP\n")
            return (events, variables)
        }
    }
}
