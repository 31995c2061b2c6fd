/// The result of a prompt or a spoken value that the caller may interrupt with a key.
public struct AGIPlayback: Sendable, Equatable {
    /// The key pressed (`"5"`, `"#"`, `"*"`), or `nil` when the file played to the end.
    public var digit: Character?
    /// Where playback stopped: samples for STREAM FILE and GET OPTION, milliseconds for
    /// CONTROL STREAM FILE; `nil` for commands that do not report it.
    public var endpos: Int?

    /// Creates a playback result.
    public init(digit: Character?, endpos: Int?) {
        self.digit = digit
        self.endpos = endpos
    }
}

/// What GET DATA collected.
public enum AGIDigits: Sendable, Equatable {
    /// Input ended by reaching the maximum length or by `#` (not included); may be empty
    /// when only `#` was pressed.
    case entered(String)
    /// The caller stopped keying; the digits entered before the timeout (possibly none).
    case timeout(String)

    /// The digits, however input ended.
    public var digits: String {
        switch self {
        case .entered(let digits), .timeout(let digits): digits
        }
    }
}

/// How a RECORD FILE ended.
public struct AGIRecording: Sendable, Equatable {
    /// Why recording stopped.
    public enum Ending: Sendable, Equatable {
        /// An escape key was pressed.
        case digit(Character)
        /// The time limit or the silence limit was reached.
        case timeout
    }

    /// Why recording stopped.
    public var ending: Ending
    /// The number of samples recorded (0 when the caller sent no audio at all).
    public var endpos: Int
}

/// A channel's state as CHANNEL STATUS reports it (numbers as in Asterisk's `channelstate.h`).
public enum AGIChannelState: Int, Sendable {
    case down = 0, reserved, offHook, dialing, ring, ringing, up, busy, dialingOffHook, preRing
}

extension AGISession {
    /// Sends a command and requires a `200` reply: 510, 511 and 520 become errors
    /// (``AGIError/Code/invalidCommand``, ``AGIError/Code/deadChannel`` or
    /// ``AGIError/Code/hungUp``, ``AGIError/Code/usage``) carrying the reply.
    public func execute(_ command: AGICommand, timeout: Duration? = nil) async throws -> AGIReply {
        let reply = try await send(command, timeout: timeout)
        switch reply.code {
        case 200:
            return reply
        case 510:
            throw AGIError(.invalidCommand, "\(command.name): Asterisk does not know this command", reply: reply)
        case 511:
            if isHungUp { throw AGIError(.hungUp, "\(command.name): the channel hung up", reply: reply) }
            throw AGIError(.deadChannel, "\(command.name) is not permitted on a dead channel", reply: reply)
        case 520:
            throw AGIError(.usage, "\(command.name): invalid command syntax (\(command))", reply: reply)
        default:
            throw AGIError(.commandFailed, "\(command.name) answered '\(reply.line)'", reply: reply)
        }
    }

    private func failure(_ command: AGICommand, _ reply: AGIReply, _ why: String) -> AGIError {
        if isHungUp { return AGIError(.hungUp, "\(command.name): the channel hung up", reply: reply) }
        return AGIError(.commandFailed, "\(command.name) failed: \(why)", reply: reply)
    }

    private func resultInt(_ command: AGICommand, _ reply: AGIReply) throws -> Int {
        guard let value = reply.resultValue else {
            throw AGIError(.unexpectedResult, "\(command.name) answered '\(reply.line)' without a numeric result", reply: reply)
        }
        return value
    }

    /// Reads a key result (the ASCII code of the key, 0 for none, -1 for failure).
    private func key(_ command: AGICommand, _ reply: AGIReply, failureReason: String) throws -> Character? {
        let value = try resultInt(command, reply)
        if value < 0 { throw failure(command, reply, failureReason) }
        if value == 0 { return nil }
        guard let scalar = Unicode.Scalar(value) else {
            throw AGIError(.unexpectedResult, "\(command.name) answered key code \(value)", reply: reply)
        }
        return Character(scalar)
    }

    private func expect(_ command: AGICommand, _ expected: Int, failureReason: String) async throws {
        let reply = try await execute(command)
        let value = try resultInt(command, reply)
        if value != expected { throw failure(command, reply, failureReason) }
    }

    /// ANSWER: answers the channel (harmless when it is already up).
    public func answer() async throws {
        try await expect(.answer, 0, failureReason: "the channel could not be answered")
    }

    /// HANGUP: hangs up this channel (Asterisk reports the hangup afterwards) or the named one.
    public func hangup(channel: String? = nil) async throws {
        try await expect(.hangup(channel: channel), 1, failureReason: "no such channel")
    }

    /// NOOP: does nothing; a cheap round trip.
    public func noop(_ text: String? = nil) async throws {
        _ = try await execute(.noop(text))
    }

    /// STREAM FILE: plays `file`; a key in `escapeDigits` stops it and is returned.
    ///
    /// Throws ``AGIError/Code/commandFailed`` when the file is missing (Asterisk also sets
    /// `AGISTATUS=FAILURE` then) and ``AGIError/Code/hungUp`` when the caller hung up.
    public func streamFile(_ file: String, escapeDigits: String = "", offset: Int? = nil) async throws -> AGIPlayback {
        let command = AGICommand.streamFile(file, escapeDigits: escapeDigits, offset: offset)
        let reply = try await execute(command)
        return AGIPlayback(digit: try key(command, reply, failureReason: "missing sound file '\(file)'"), endpos: reply.endpos)
    }

    /// CONTROL STREAM FILE: playback with skip (`forward`/`rewind`) and pause keys; `endpos` in ms.
    public func controlStreamFile(
        _ file: String, escapeDigits: String = "", skipMilliseconds: Int = 3000,
        forward: String = "#", rewind: String = "*", pause: String? = nil, offsetMilliseconds: Int? = nil
    ) async throws -> AGIPlayback {
        let command = AGICommand.controlStreamFile(
            file, escapeDigits: escapeDigits, skipMilliseconds: skipMilliseconds, forward: forward, rewind: rewind,
            pause: pause, offsetMilliseconds: offsetMilliseconds)
        let reply = try await execute(command)
        return AGIPlayback(digit: try key(command, reply, failureReason: "playback of '\(file)' failed"), endpos: reply.endpos)
    }

    /// GET DATA: plays a prompt and collects up to `maxDigits` keys (`#` ends input early).
    ///
    /// Throws ``AGIError/Code/commandFailed`` for `result=-1`, which Asterisk gives for a missing
    /// prompt file as well as for a hangup (then ``AGIError/Code/hungUp`` once it is known).
    public func getData(_ file: String, timeout: Int = 6000, maxDigits: Int = 1024) async throws -> AGIDigits {
        let command = AGICommand.getData(file, timeout: timeout, maxDigits: maxDigits)
        let reply = try await execute(command)
        let digits = reply.result ?? ""
        if digits == "-1" { throw failure(command, reply, "missing prompt '\(file)' or hangup") }
        guard digits.utf8.allSatisfy({ isKey($0) }) else {
            throw AGIError(.unexpectedResult, "GET DATA answered '\(reply.line)'", reply: reply)
        }
        return reply.data == "timeout" ? .timeout(digits) : .entered(digits)
    }

    /// GET OPTION: plays a prompt, then waits `timeout` ms for one of `escapeDigits`.
    public func getOption(_ file: String, escapeDigits: String, timeout: Int? = nil) async throws -> AGIPlayback {
        let command = AGICommand.getOption(file, escapeDigits: escapeDigits, timeout: timeout)
        let reply = try await execute(command)
        return AGIPlayback(digit: try key(command, reply, failureReason: "missing prompt '\(file)'"), endpos: reply.endpos)
    }

    /// WAIT FOR DIGIT: the key pressed within `timeout` ms (`-1` waits forever), or `nil`.
    public func waitForDigit(timeout: Int) async throws -> Character? {
        let command = AGICommand.waitForDigit(timeout: timeout)
        return try key(command, try await execute(command), failureReason: "channel failure")
    }

    /// SAY DIGITS: speaks each digit; returns the escape key pressed, if any.
    public func sayDigits(_ digits: String, escapeDigits: String = "") async throws -> Character? {
        let command = AGICommand.sayDigits(digits, escapeDigits: escapeDigits)
        return try key(command, try await execute(command), failureReason: "could not say '\(digits)'")
    }

    /// SAY NUMBER: speaks a number in the channel's language; returns the escape key pressed, if any.
    public func sayNumber(_ number: Int, escapeDigits: String = "", gender: String? = nil) async throws -> Character? {
        let command = AGICommand.sayNumber(number, escapeDigits: escapeDigits, gender: gender)
        return try key(command, try await execute(command), failureReason: "could not say \(number)")
    }

    /// SAY ALPHA: spells `text`; returns the escape key pressed, if any.
    public func sayAlpha(_ text: String, escapeDigits: String = "") async throws -> Character? {
        let command = AGICommand.sayAlpha(text, escapeDigits: escapeDigits)
        return try key(command, try await execute(command), failureReason: "could not spell '\(text)'")
    }

    /// SAY DATE: speaks the date of a Unix time; returns the escape key pressed, if any.
    public func sayDate(_ epochSeconds: Int, escapeDigits: String = "") async throws -> Character? {
        let command = AGICommand.sayDate(epochSeconds, escapeDigits: escapeDigits)
        return try key(command, try await execute(command), failureReason: "could not say the date")
    }

    /// SAY TIME: speaks the time of a Unix time; returns the escape key pressed, if any.
    public func sayTime(_ epochSeconds: Int, escapeDigits: String = "") async throws -> Character? {
        let command = AGICommand.sayTime(epochSeconds, escapeDigits: escapeDigits)
        return try key(command, try await execute(command), failureReason: "could not say the time")
    }

    /// SAY DATETIME: speaks a Unix time with a `say.conf` format; returns the escape key pressed, if any.
    public func sayDateTime(_ epochSeconds: Int, escapeDigits: String = "", format: String? = nil, timezone: String? = nil) async throws -> Character? {
        let command = AGICommand.sayDateTime(epochSeconds, escapeDigits: escapeDigits, format: format, timezone: timezone)
        return try key(command, try await execute(command), failureReason: "could not say the date and time")
    }

    /// RECORD FILE: records the caller into `file` (without extension) in `format` (`wav`, `gsm`).
    ///
    /// - Parameters:
    ///   - timeout: the longest recording in milliseconds; `-1` for no limit.
    ///   - silenceSeconds: stop after this much silence.
    public func recordFile(
        _ file: String, format: String, escapeDigits: String = "#", timeout: Int,
        offsetSamples: Int? = nil, beep: Bool = false, silenceSeconds: Int? = nil
    ) async throws -> AGIRecording {
        let command = AGICommand.recordFile(
            file, format: format, escapeDigits: escapeDigits, timeout: timeout,
            offsetSamples: offsetSamples, beep: beep, silenceSeconds: silenceSeconds)
        let reply = try await execute(command)
        let endpos = reply.endpos ?? 0
        switch reply.data {
        case "dtmf":
            let value = try resultInt(command, reply)
            guard value > 0, let scalar = Unicode.Scalar(value) else {
                throw AGIError(.unexpectedResult, "RECORD FILE answered '\(reply.line)'", reply: reply)
            }
            return AGIRecording(ending: .digit(Character(scalar)), endpos: endpos)
        case "timeout":
            // The number before "(timeout)" is a leftover wait value, not a status.
            return AGIRecording(ending: .timeout, endpos: endpos)
        case "hangup":
            throw AGIError(.hungUp, "RECORD FILE: the channel hung up", reply: reply)
        default:
            throw failure(command, reply, reply.data.map { "recording to '\(file)' failed (\($0))" } ?? "recording to '\(file)' failed")
        }
    }

    /// SET VARIABLE: sets a channel variable or a writable function (`CHANNEL(language)`).
    public func setVariable(_ name: String, _ value: String) async throws {
        _ = try await execute(.setVariable(name, value))
    }

    /// GET VARIABLE: the variable's value, `""` when set but empty, `nil` when unset.
    public func getVariable(_ name: String) async throws -> String? {
        let reply = try await execute(.getVariable(name))
        return reply.resultValue == 1 ? (reply.data ?? "") : nil
    }

    /// GET FULL VARIABLE: `expression` with `${…}` expanded (unset variables expand to `""`);
    /// `nil` when the named channel does not exist.
    public func getFullVariable(_ expression: String, channel: String? = nil) async throws -> String? {
        let reply = try await execute(.getFullVariable(expression, channel: channel))
        return reply.resultValue == 1 ? (reply.data ?? "") : nil
    }

    /// EXEC: runs a dialplan application and returns its result; throws
    /// ``AGIError/Code/commandFailed`` when Asterisk has no such application (`-2`).
    @discardableResult
    public func exec(_ application: String, _ options: String? = nil) async throws -> Int {
        let command = AGICommand.exec(application, options)
        let reply = try await execute(command)
        let value = try resultInt(command, reply)
        if value == -2 { throw AGIError(.commandFailed, "EXEC: Asterisk has no application '\(application)'", reply: reply) }
        return value
    }

    /// CHANNEL STATUS: the state of this channel or the named one; `nil` when it does not exist.
    public func channelStatus(_ channel: String? = nil) async throws -> AGIChannelState? {
        let command = AGICommand.channelStatus(channel)
        let value = try resultInt(command, try await execute(command))
        return AGIChannelState(rawValue: value)
    }

    /// SET MUSIC: starts or stops music on hold.
    public func setMusic(_ on: Bool, class musicClass: String? = nil) async throws {
        _ = try await execute(.setMusic(on, class: musicClass))
    }

    /// SET AUTOHANGUP: hangs up after `seconds`; 0 clears it.
    public func setAutoHangup(seconds: Int) async throws {
        _ = try await execute(.setAutoHangup(seconds: seconds))
    }

    /// SET CALLERID: sets the caller ID (`"Name" <5550100>` or a number).
    public func setCallerID(_ callerID: String) async throws {
        _ = try await execute(.setCallerID(callerID))
    }

    /// SET CONTEXT: where the dialplan continues after the session.
    public func setContext(_ context: String) async throws {
        _ = try await execute(.setContext(context))
    }

    /// SET EXTENSION: where the dialplan continues after the session.
    public func setExtension(_ extension: String) async throws {
        _ = try await execute(.setExtension(`extension`))
    }

    /// SET PRIORITY: where the dialplan continues after the session (a number or a label).
    public func setPriority(_ priority: String) async throws {
        _ = try await execute(.setPriority(priority))
    }

    /// VERBOSE: logs `message` on the Asterisk console at `level`.
    public func verbose(_ message: String, level: Int = 1) async throws {
        _ = try await execute(.verbose(message, level: level))
    }

    /// DATABASE GET: the value in Asterisk's AstDB, or `nil`.
    public func databaseGet(family: String, key: String) async throws -> String? {
        let reply = try await execute(.databaseGet(family: family, key: key))
        return reply.resultValue == 1 ? (reply.data ?? "") : nil
    }

    /// DATABASE PUT: stores a value in AstDB.
    public func databasePut(family: String, key: String, value: String) async throws {
        try await expect(.databasePut(family: family, key: key, value: value), 1, failureReason: "AstDB write failed")
    }

    /// DATABASE DEL: deletes a key from AstDB; throws when there was no such key.
    public func databaseDel(family: String, key: String) async throws {
        try await expect(.databaseDel(family: family, key: key), 1, failureReason: "no such key or AstDB error")
    }

    /// DATABASE DELTREE: deletes a family or a subtree; returns whether anything was deleted.
    ///
    /// Asterisk's result is inverted relative to its documentation (0 means rows were deleted);
    /// this returns the meaning, not the number.
    @discardableResult
    public func databaseDelTree(family: String, keyTree: String? = nil) async throws -> Bool {
        let command = AGICommand.databaseDelTree(family: family, keyTree: keyTree)
        return try resultInt(command, try await execute(command)) == 0
    }

    /// GOSUB: runs a dialplan subroutine and waits for it to return.
    ///
    /// - Returns: `true` when the subroutine returned normally, `false` on an abnormal exit.
    @discardableResult
    public func gosub(context: String, extension: String, priority: String, arguments: [String] = [], timeout: Duration? = nil) async throws -> Bool {
        let command = AGICommand.gosub(context: context, extension: `extension`, priority: priority, arguments: arguments)
        let reply = try await execute(command, timeout: timeout)
        guard try resultInt(command, reply) == 0, reply.note.hasPrefix("Gosub complete") else {
            throw failure(command, reply, reply.note.isEmpty ? reply.line : reply.note)
        }
        return reply.data != "abnormal exit"
    }
}

private func isKey(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "#")
        || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "D"))
}
