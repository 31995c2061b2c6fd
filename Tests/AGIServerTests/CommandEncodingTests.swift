import AGITestSupport
import NIOCore
import Testing

@testable import AGIServer
import AsteriskFakes

@Suite struct CommandEncodingTests {
    @Test(arguments: [
        (AGICommand.answer, "ANSWER"),
        (.hangup(), "HANGUP"),
        (.hangup(channel: "PJSIP/seat-1-0001"), "HANGUP PJSIP/seat-1-0001"),
        (.noop(), "NOOP"),
        (.streamFile("hello-world"), "STREAM FILE hello-world \"\""),
        (.streamFile("hello-world", escapeDigits: "123", offset: 8000), "STREAM FILE hello-world \"123\" 8000"),
        (.controlStreamFile("news"), "CONTROL STREAM FILE news \"\" 3000 \"#\" \"*\""),
        (.controlStreamFile("news", pause: "5", offsetMilliseconds: 1500), "CONTROL STREAM FILE news \"\" 3000 \"#\" \"*\" \"5\" 1500"),
        (.getData("beep", timeout: 3000, maxDigits: 1), "GET DATA beep 3000 1"),
        (.getOption("menu", escapeDigits: "12", timeout: 5000), "GET OPTION menu \"12\" 5000"),
        (.waitForDigit(timeout: -1), "WAIT FOR DIGIT -1"),
        (.sayDigits("98765", escapeDigits: "3"), "SAY DIGITS 98765 \"3\""),
        (.sayNumber(1076), "SAY NUMBER 1076 \"\""),
        (.sayNumber(21, gender: "f"), "SAY NUMBER 21 \"\" f"),
        (.sayAlpha("AB12"), "SAY ALPHA AB12 \"\""),
        (.sayDate(1_795_328_951), "SAY DATE 1795328951 \"\""),
        (.sayTime(1_795_328_951, escapeDigits: "#"), "SAY TIME 1795328951 \"#\""),
        (.sayDateTime(1_795_328_951, format: "ABdY", timezone: "Asia/Kolkata"), "SAY DATETIME 1795328951 \"\" \"ABdY\" Asia/Kolkata"),
        (.recordFile("/var/spool/asterisk/recording/x", format: "gsm", timeout: 10000, beep: true), "RECORD FILE /var/spool/asterisk/recording/x gsm \"#\" 10000 0 BEEP"),
        (.recordFile("rec", format: "wav", timeout: -1, silenceSeconds: 3), "RECORD FILE rec wav \"#\" -1 0 s=3"),
        (.setVariable("HELPLINE_QUEUE", "dept-health"), "SET VARIABLE HELPLINE_QUEUE \"dept-health\""),
        (.setVariable("LAB_QUOTE", "say \"hi\""), "SET VARIABLE LAB_QUOTE \"say \\\"hi\\\"\""),
        (.setVariable("LAB_EMPTY", ""), "SET VARIABLE LAB_EMPTY \"\""),
        (.getVariable("CALLERID(name)"), "GET VARIABLE CALLERID(name)"),
        (.getFullVariable("${CALLERID(num)}-${EXTEN}"), "GET FULL VARIABLE ${CALLERID(num)}-${EXTEN}"),
        (.exec("Playback", "beep,noanswer"), "EXEC Playback beep,noanswer"),
        (.exec("Set", "X=two words"), "EXEC Set \"X=two words\""),
        (.channelStatus(), "CHANNEL STATUS"),
        (.setMusic(true, class: "default"), "SET MUSIC on default"),
        (.setAutoHangup(seconds: 0), "SET AUTOHANGUP 0"),
        (.setCallerID("\"Lab Caller\" <5550100>"), "SET CALLERID \"\\\"Lab Caller\\\" <5550100>\""),
        (.setContext("helpline-in"), "SET CONTEXT helpline-in"),
        (.setExtension("1076"), "SET EXTENSION 1076"),
        (.setPriority("1"), "SET PRIORITY 1"),
        (.verbose("one more command"), "VERBOSE \"one more command\" 1"),
        (.databaseGet(family: "helpline", key: "x"), "DATABASE GET helpline x"),
        (.databasePut(family: "helpline", key: "x", value: "a b"), "DATABASE PUT helpline x \"a b\""),
        (.databaseDel(family: "helpline", key: "x"), "DATABASE DEL helpline x"),
        (.databaseDelTree(family: "helpline"), "DATABASE DELTREE helpline"),
        (.gosub(context: "sub", extension: "s", priority: "1", arguments: ["a", "b"]), "GOSUB sub s 1 a,b"),
        (.raw("NOOP with some text"), "NOOP with some text"),
        (.streamFile("C:\\path with space"), "STREAM FILE \"C:\\\\path with space\" \"\""),
    ])
    func encodesTheLineAsteriskExpects(command: AGICommand, line: String) throws {
        var buffer = ByteBuffer()
        try command.encode(into: &buffer)
        #expect(String(buffer: buffer) == line + "\n")
        #expect(command.description == line)
    }

    @Test(arguments: ["a\nb", "a\rb", "\n", "trailing\r"])
    func refusesCROrLFInsideAnArgumentBeforeSending(text: String) {
        for command in [AGICommand.setVariable("X", text), .streamFile(text), .raw("NOOP " + text)] {
            var buffer = ByteBuffer()
            #expect(throws: AGIError.self) { try command.encode(into: &buffer) }
            #expect(buffer.readableBytes == 0, "nothing may be written for a refused command")
        }
        do {
            var buffer = ByteBuffer()
            try AGICommand.setVariable("X", text).encode(into: &buffer)
        } catch {
            #expect(error.code == .invalidArgument)
        }
    }

    @Test func refusesALineAsteriskWouldSplitAndAFailureLine() {
        var buffer = ByteBuffer()
        #expect(throws: AGIError.self) { try AGICommand.setVariable("X", String(repeating: "a", count: 9000)).encode(into: &buffer) }
        #expect(buffer.readableBytes == 0)
        #expect(throws: AGIError.self) { try AGICommand.raw("FAILURE").encode(into: &buffer) }
        #expect(throws: AGIError.self) { try AGICommand.raw("failure now").encode(into: &buffer) }
    }

    /// Whatever the argument, Asterisk's tokenizer must read back exactly what was meant.
    @Test func everyArgumentSurvivesAsterisksTokenizer() throws {
        var generator = SplitMix(seed: 42)
        let alphabet: [Character] = ["a", "Z", "0", " ", "\t", "\"", "\\", "'", "(", ")", "=", ",", "#", "é", "न", "ệ", "$", "{", "}"]
        for _ in 0..<2000 {
            let length = Int(generator.next() % 12)
            let value = String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
            let other = String((0..<Int(generator.next() % 5)).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
            for command in [AGICommand.setVariable("V", value), .exec(value, other), .databasePut(family: value, key: other, value: value)] {
                var buffer = ByteBuffer()
                try command.encode(into: &buffer)
                let line = Array(buffer.readableBytesView.dropLast())
                let words = AGICommandLine.words(line).map { String(decoding: $0, as: UTF8.self) }
                switch command.name {
                case "SET VARIABLE": #expect(words == ["SET", "VARIABLE", "V", value], "\(command)")
                case "EXEC": #expect(words == ["EXEC", value, other], "\(command)")
                default: #expect(words == ["DATABASE", "PUT", value, other, value], "\(command)")
                }
            }
        }
    }

    /// The commands the lab's server sent in the captures read, word for word, as ours do.
    @Test func matchesTheCommandsInTheCaptures() throws {
        let cases: [(String, AGICommand)] = [
            ("normal-session-inbound.txt", .streamFile("hello-world")),
            ("normal-session-inbound.txt", .getData("beep", timeout: 3000, maxDigits: 1)),
            ("normal-session-inbound.txt", .setVariable("HELPLINE_QUEUE", "dept-health")),
            ("set-variable.txt", .setVariable("LAB_SPACES", "two words")),
            ("set-variable.txt", .setVariable("LAB_QUOTE", "say \"hi\"")),
            ("set-variable.txt", .setVariable("LAB_EMPTY", "")),
            ("get-variable.txt", .getVariable("CALLERID(name)")),
            ("get-variable.txt", .getFullVariable("${CALLERID(num)}-${EXTEN}")),
            ("exec-playback.txt", .exec("Playback", "beep,noanswer")),
            ("exec-playback.txt", .exec("Playback", "no-such-prompt")),
            ("stream-file-escape-pressed.txt", .streamFile("demo-congrats", escapeDigits: "0123456789#*")),
            ("stream-file-escape-not-pressed.txt", .streamFile("hello-world", escapeDigits: "123", offset: 8000)),
            ("say-digits.txt", .sayDigits("98765", escapeDigits: "3")),
            ("say-number.txt", .sayNumber(123456, escapeDigits: "*")),
            ("wait-for-digit.txt", .waitForDigit(timeout: 5000)),
            ("channel-status.txt", .channelStatus("Local/no-such-channel-00000000;1")),
            ("record-file.txt", .recordFile("/var/spool/asterisk/recording/cap-rec-timeout", format: "gsm", escapeDigits: "#", timeout: 2000)),
            ("record-file.txt", .recordFile("/var/spool/asterisk/recording/cap-rec-dtmf", format: "gsm", escapeDigits: "#", timeout: 10000, offsetSamples: 8000)),
            ("line-endings-crlf-blank-pipelined.txt", .verbose("one more command")),
        ]
        for (file, command) in cases {
            let capture = try Capture.load("agi/" + file)
            let sent = capture.events.compactMap { event -> [String]? in
                guard case .toAsterisk(let bytes) = event else { return nil }
                return AGICommandLine.words(Array(bytes.dropLast())).map { String(decoding: $0, as: UTF8.self) }
            }
            var buffer = ByteBuffer()
            try command.encode(into: &buffer)
            let ours = AGICommandLine.words(Array(buffer.readableBytesView.dropLast())).map { String(decoding: $0, as: UTF8.self) }
            #expect(sent.contains(ours), "\(command) is not among the commands of \(file)")
        }
    }
}
