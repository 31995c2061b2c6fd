public import NIOCore

/// One FastAGI command, ready to be sent: the command words and its arguments.
///
/// Build commands with the static constructors (one per command an IVR needs), or with
/// ``raw(_:)`` for anything else. Arguments are quoted and escaped the way Asterisk's
/// `parse_args` reads them: an empty argument or one containing a space, tab, `"` or `\`
/// is sent inside double quotes with `"` and `\` escaped. An argument containing CR or LF
/// cannot be sent (Asterisk would read it as two commands) and is refused with
/// ``AGIError/Code/invalidArgument`` before anything is written.
///
/// ```swift
/// AGICommand.streamFile("welcome", escapeDigits: "123")   // STREAM FILE welcome "123"
/// AGICommand.setVariable("HELPLINE_QUEUE", "dept-health") // SET VARIABLE HELPLINE_QUEUE "dept-health"
/// ```
public struct AGICommand: Sendable, Hashable, CustomStringConvertible {
    enum Argument: Sendable, Hashable {
        /// Quoted only when needed.
        case word(String)
        /// Always quoted (escape-digit lists, variable values), matching common usage.
        case quoted(String)
    }

    /// The command words, upper case (`STREAM FILE`); `RAW` for ``raw(_:)``.
    public let name: String
    let arguments: [Argument]
    let rawLine: String?
    /// How long the command may legitimately run on the channel, from its own timeout
    /// arguments, in milliseconds; added to the session's reply deadline.
    public let expectedMilliseconds: Int64

    init(_ name: String, _ arguments: [Argument] = [], expectedMilliseconds: Int64 = 0) {
        self.name = name
        self.arguments = arguments
        self.rawLine = nil
        self.expectedMilliseconds = max(0, expectedMilliseconds)
    }

    private init(rawLine: String) {
        self.name = "RAW"
        self.arguments = []
        self.rawLine = rawLine
        self.expectedMilliseconds = 0
    }

    /// The longest line Asterisk reads as one command (`AGI_BUF_LEN` is 8192 with the LF).
    public static let maximumLineLength = 8191

    /// The line as it goes on the wire, without the final LF (for logs and tests).
    public var description: String {
        var buffer = ByteBuffer()
        if (try? encode(into: &buffer)) == nil { return "\(name) <unencodable>" }
        buffer.moveWriterIndex(to: buffer.writerIndex - 1)
        return String(buffer: buffer)
    }

    /// Writes the command and its LF into `buffer`, or throws without writing anything.
    public func encode(into buffer: inout ByteBuffer) throws(AGIError) {
        let start = buffer.writerIndex
        do {
            try encodeLine(into: &buffer)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
        if buffer.writerIndex - start > Self.maximumLineLength {
            buffer.moveWriterIndex(to: start)
            throw AGIError(.invalidArgument, "\(name): the command line is longer than \(Self.maximumLineLength) bytes; Asterisk would split it into two commands")
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    private func encodeLine(into buffer: inout ByteBuffer) throws(AGIError) {
        if let rawLine {
            try Self.checkLine(rawLine, what: "raw command")
            if rawLine.utf8.count >= 7, rawLine.lowercased().hasPrefix("failure") {
                throw AGIError(.invalidArgument, "a line starting with 'failure' ends the session; use AGISession.fail() instead")
            }
            buffer.writeString(rawLine)
        } else {
            buffer.writeString(name)
            for argument in arguments {
                buffer.writeInteger(UInt8(ascii: " "))
                switch argument {
                case .word(let text):
                    try Self.checkLine(text, what: "argument")
                    Self.writeArgument(text, forceQuotes: false, into: &buffer)
                case .quoted(let text):
                    try Self.checkLine(text, what: "argument")
                    Self.writeArgument(text, forceQuotes: true, into: &buffer)
                }
            }
        }
    }

    private static func checkLine(_ text: String, what: String) throws(AGIError) {
        for byte in text.utf8 where byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
            throw AGIError(.invalidArgument, "\(what) \(String(reflecting: text)) contains CR or LF, which would end the command line early")
        }
    }

    private static func writeArgument(_ text: String, forceQuotes: Bool, into buffer: inout ByteBuffer) {
        var needsQuotes = forceQuotes || text.isEmpty
        var needsEscapes = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"): needsQuotes = true
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): needsQuotes = true; needsEscapes = true
            default: break
            }
        }
        guard needsQuotes else {
            buffer.writeString(text)
            return
        }
        buffer.writeInteger(UInt8(ascii: "\""))
        if needsEscapes {
            for byte in text.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { buffer.writeInteger(UInt8(ascii: "\\")) }
                buffer.writeInteger(byte)
            }
        } else {
            buffer.writeString(text)
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}

// MARK: - The catalogue

extension AGICommand {
    /// `ANSWER`: answers the channel if it is not up yet.
    public static var answer: AGICommand { AGICommand("ANSWER") }

    /// `HANGUP [channel]`: hangs up this channel, or the named one.
    public static func hangup(channel: String? = nil) -> AGICommand {
        AGICommand("HANGUP", channel.map { [.word($0)] } ?? [])
    }

    /// `NOOP [text]`: does nothing; useful as a keepalive and in tests.
    public static func noop(_ text: String? = nil) -> AGICommand {
        AGICommand("NOOP", text.map { [.word($0)] } ?? [])
    }

    /// `STREAM FILE file "escape" [offset]`: plays a sound file; a key in `escapeDigits` stops it.
    public static func streamFile(_ file: String, escapeDigits: String = "", offset: Int? = nil) -> AGICommand {
        var arguments: [Argument] = [.word(file), .quoted(escapeDigits)]
        if let offset { arguments.append(.word(String(offset))) }
        return AGICommand("STREAM FILE", arguments)
    }

    /// `CONTROL STREAM FILE file "escape" [skipms] [ff] [rew] [pause] [offsetms]`: playback the caller
    /// can skip, rewind and pause. Later arguments need the earlier ones; defaults are Asterisk's
    /// (3000 ms, `#`, `*`, no pause key).
    public static func controlStreamFile(
        _ file: String, escapeDigits: String = "", skipMilliseconds: Int = 3000,
        forward: String = "#", rewind: String = "*", pause: String? = nil, offsetMilliseconds: Int? = nil
    ) -> AGICommand {
        var arguments: [Argument] = [.word(file), .quoted(escapeDigits), .word(String(skipMilliseconds)), .quoted(forward), .quoted(rewind)]
        if pause != nil || offsetMilliseconds != nil { arguments.append(.quoted(pause ?? "")) }
        if let offsetMilliseconds { arguments.append(.word(String(offsetMilliseconds))) }
        return AGICommand("CONTROL STREAM FILE", arguments)
    }

    /// `GET DATA file timeout max`: plays a prompt and collects up to `maxDigits` keys; `#` ends
    /// input early. `timeout` (milliseconds) applies to the first key and between keys.
    public static func getData(_ file: String, timeout: Int = 6000, maxDigits: Int = 1024) -> AGICommand {
        AGICommand(
            "GET DATA", [.word(file), .word(String(timeout)), .word(String(maxDigits))],
            expectedMilliseconds: Int64(max(timeout, 0)) * Int64(min(max(maxDigits, 1), 32)))
    }

    /// `GET OPTION file "escape" [timeout]`: plays a prompt, then waits `timeout` ms for one key.
    public static func getOption(_ file: String, escapeDigits: String, timeout: Int? = nil) -> AGICommand {
        var arguments: [Argument] = [.word(file), .quoted(escapeDigits)]
        if let timeout { arguments.append(.word(String(timeout))) }
        return AGICommand("GET OPTION", arguments, expectedMilliseconds: Int64(timeout ?? 0))
    }

    /// `WAIT FOR DIGIT timeout`: waits for one key; `-1` waits forever.
    public static func waitForDigit(timeout: Int) -> AGICommand {
        AGICommand("WAIT FOR DIGIT", [.word(String(timeout))], expectedMilliseconds: Int64(timeout))
    }

    /// `SAY DIGITS digits "escape"`: speaks each digit in the channel's language.
    public static func sayDigits(_ digits: String, escapeDigits: String = "") -> AGICommand {
        AGICommand("SAY DIGITS", [.word(digits), .quoted(escapeDigits)])
    }

    /// `SAY NUMBER number "escape" [gender]`: speaks a whole number in the channel's language.
    public static func sayNumber(_ number: Int, escapeDigits: String = "", gender: String? = nil) -> AGICommand {
        var arguments: [Argument] = [.word(String(number)), .quoted(escapeDigits)]
        if let gender { arguments.append(.word(gender)) }
        return AGICommand("SAY NUMBER", arguments)
    }

    /// `SAY ALPHA text "escape"`: spells letters and digits.
    public static func sayAlpha(_ text: String, escapeDigits: String = "") -> AGICommand {
        AGICommand("SAY ALPHA", [.word(text), .quoted(escapeDigits)])
    }

    /// `SAY PHONETIC text "escape"`: spells with the phonetic alphabet.
    public static func sayPhonetic(_ text: String, escapeDigits: String = "") -> AGICommand {
        AGICommand("SAY PHONETIC", [.word(text), .quoted(escapeDigits)])
    }

    /// `SAY DATE epoch "escape"`: speaks the date of a Unix time.
    public static func sayDate(_ epochSeconds: Int, escapeDigits: String = "") -> AGICommand {
        AGICommand("SAY DATE", [.word(String(epochSeconds)), .quoted(escapeDigits)])
    }

    /// `SAY TIME epoch "escape"`: speaks the time of day of a Unix time.
    public static func sayTime(_ epochSeconds: Int, escapeDigits: String = "") -> AGICommand {
        AGICommand("SAY TIME", [.word(String(epochSeconds)), .quoted(escapeDigits)])
    }

    /// `SAY DATETIME epoch "escape" [format] [timezone]`: speaks a Unix time with an Asterisk
    /// `say.conf`-style format (`ABdY 'digits/at' IMp`).
    public static func sayDateTime(_ epochSeconds: Int, escapeDigits: String = "", format: String? = nil, timezone: String? = nil) -> AGICommand {
        var arguments: [Argument] = [.word(String(epochSeconds)), .quoted(escapeDigits)]
        if format != nil || timezone != nil { arguments.append(.quoted(format ?? "")) }
        if let timezone { arguments.append(.word(timezone)) }
        return AGICommand("SAY DATETIME", arguments)
    }

    /// `RECORD FILE file format "escape" timeout [offset] [BEEP] [s=silence]`: records the caller.
    ///
    /// - Parameters:
    ///   - timeout: the longest recording in milliseconds; `-1` for no limit.
    ///   - beep: play a beep before recording.
    ///   - silenceSeconds: stop after this many seconds of silence.
    public static func recordFile(
        _ file: String, format: String, escapeDigits: String = "#", timeout: Int,
        offsetSamples: Int? = nil, beep: Bool = false, silenceSeconds: Int? = nil
    ) -> AGICommand {
        var arguments: [Argument] = [.word(file), .word(format), .quoted(escapeDigits), .word(String(timeout))]
        if offsetSamples != nil || beep || silenceSeconds != nil { arguments.append(.word(String(offsetSamples ?? 0))) }
        if beep { arguments.append(.word("BEEP")) }
        if let silenceSeconds { arguments.append(.word("s=\(silenceSeconds)")) }
        return AGICommand("RECORD FILE", arguments, expectedMilliseconds: Int64(max(timeout, 0)) + 2000)
    }

    /// `SET VARIABLE name "value"`: sets a channel variable (or a function such as `CHANNEL(language)`).
    public static func setVariable(_ name: String, _ value: String) -> AGICommand {
        AGICommand("SET VARIABLE", [.word(name), .quoted(value)])
    }

    /// `GET VARIABLE name`: reads a channel variable or function.
    public static func getVariable(_ name: String) -> AGICommand {
        AGICommand("GET VARIABLE", [.word(name)])
    }

    /// `GET FULL VARIABLE expression [channel]`: evaluates an expression with `${}` substitution.
    public static func getFullVariable(_ expression: String, channel: String? = nil) -> AGICommand {
        var arguments: [Argument] = [.word(expression)]
        if let channel { arguments.append(.word(channel)) }
        return AGICommand("GET FULL VARIABLE", arguments)
    }

    /// `EXEC application [options]`: runs a dialplan application; `options` is passed as one
    /// argument (`Playback` with `"beep,noanswer"`).
    public static func exec(_ application: String, _ options: String? = nil) -> AGICommand {
        var arguments: [Argument] = [.word(application)]
        if let options { arguments.append(.word(options)) }
        return AGICommand("EXEC", arguments)
    }

    /// `CHANNEL STATUS [channel]`: the state of this channel or the named one.
    public static func channelStatus(_ channel: String? = nil) -> AGICommand {
        AGICommand("CHANNEL STATUS", channel.map { [.word($0)] } ?? [])
    }

    /// `SET MUSIC on|off [class]`: starts or stops music on hold.
    public static func setMusic(_ on: Bool, class musicClass: String? = nil) -> AGICommand {
        var arguments: [Argument] = [.word(on ? "on" : "off")]
        if let musicClass { arguments.append(.word(musicClass)) }
        return AGICommand("SET MUSIC", arguments)
    }

    /// `SET AUTOHANGUP seconds`: hangs the channel up after that many seconds; `0` clears it.
    public static func setAutoHangup(seconds: Int) -> AGICommand {
        AGICommand("SET AUTOHANGUP", [.word(String(seconds))])
    }

    /// `SET CALLERID callerid`: sets the caller ID (`"Name" <5550100>` or a number).
    public static func setCallerID(_ callerID: String) -> AGICommand {
        AGICommand("SET CALLERID", [.word(callerID)])
    }

    /// `SET CONTEXT context`: where the dialplan continues after the session.
    public static func setContext(_ context: String) -> AGICommand {
        AGICommand("SET CONTEXT", [.word(context)])
    }

    /// `SET EXTENSION extension`: where the dialplan continues after the session.
    public static func setExtension(_ extension: String) -> AGICommand {
        AGICommand("SET EXTENSION", [.word(`extension`)])
    }

    /// `SET PRIORITY priority`: a number or a label.
    public static func setPriority(_ priority: String) -> AGICommand {
        AGICommand("SET PRIORITY", [.word(priority)])
    }

    /// `VERBOSE "message" level`: logs a message on the Asterisk console.
    public static func verbose(_ message: String, level: Int = 1) -> AGICommand {
        AGICommand("VERBOSE", [.quoted(message), .word(String(level))])
    }

    /// `DATABASE GET family key`.
    public static func databaseGet(family: String, key: String) -> AGICommand {
        AGICommand("DATABASE GET", [.word(family), .word(key)])
    }

    /// `DATABASE PUT family key "value"`.
    public static func databasePut(family: String, key: String, value: String) -> AGICommand {
        AGICommand("DATABASE PUT", [.word(family), .word(key), .quoted(value)])
    }

    /// `DATABASE DEL family key`.
    public static func databaseDel(family: String, key: String) -> AGICommand {
        AGICommand("DATABASE DEL", [.word(family), .word(key)])
    }

    /// `DATABASE DELTREE family [keytree]`.
    public static func databaseDelTree(family: String, keyTree: String? = nil) -> AGICommand {
        var arguments: [Argument] = [.word(family)]
        if let keyTree { arguments.append(.word(keyTree)) }
        return AGICommand("DATABASE DELTREE", arguments)
    }

    /// `GOSUB context extension priority [arg1,arg2,…]`: runs a dialplan subroutine; its reply
    /// comes in two lines (`100 … Trying...`, then `200 … Gosub complete`).
    public static func gosub(context: String, extension: String, priority: String, arguments: [String] = []) -> AGICommand {
        var words: [Argument] = [.word(context), .word(`extension`), .word(priority)]
        if !arguments.isEmpty { words.append(.word(arguments.joined(separator: ","))) }
        return AGICommand("GOSUB", words)
    }

    /// A command line sent exactly as given (the escape hatch for commands without a constructor).
    /// A line containing CR or LF, or starting with `failure`, is refused.
    public static func raw(_ line: String) -> AGICommand {
        AGICommand(rawLine: line)
    }
}
