import AGITestSupport
import NIOCore
import Testing

@testable import AGIServer
import AsteriskFakes

/// What a replayed line produced, in a form tests can compare.
enum Outcome: Equatable {
    case none, environment, reply(String), hangup(pending: Bool), error(AGIError.Code)
}

extension AGISessionStateMachine {
    mutating func feed(_ line: String) -> Outcome {
        switch lineReceived(ByteBuffer(string: line)) {
        case .none: .none
        case .environmentComplete: .environment
        case .reply(let reply): .reply(reply.line + (reply.usage.isEmpty ? "" : " +\(reply.usage.count) usage lines"))
        case .hangup(let pending): .hangup(pending: pending)
        case .protocolError(let error): .error(error.code)
        }
    }

    mutating func feedEnvironment(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            _ = feed(String(line))
        }
    }

    var sendOutcome: AGIError.Code? {
        mutating get {
            switch sendCommand() {
            case .write: nil
            case .fail(let error): error.code
            }
        }
    }
}

@Suite struct SessionStateMachineTests {
    @Test func readsTheEnvironmentOfEveryCapture() throws {
        for name in try Capture.agiNames() {
            let capture = try Capture.load("agi/" + name)
            var machine = AGISessionStateMachine(maximumEnvironmentKeys: 256)
            var completed = false
            for line in String(decoding: capture.environmentBlock, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                if machine.feed(String(line)) == .environment { completed = true }
            }
            #expect(completed, "\(name)")
            let env = machine.environment
            #expect(env["agi_network"] == "yes", "\(name)")
            #expect(env.uniqueID.hasPrefix("astlab-"), "\(name)")
            #expect(env.scriptPath.hasPrefix("/"), "\(name)")
            #expect(env["agi_accountcode"] == "", "\(name): an empty value stays empty")
            #expect(env["agi_threadid"] != nil, "\(name): unknown-to-us keys are kept")
            #expect(env.count == 24, "\(name)")
            #expect(env.dnid == nil, "\(name): 'unknown' reads as nil")
            #expect(env.callerID == "5550100", "\(name)")
        }
    }

    @Test func scriptQueryAndArgumentsAsTheCaptureShows() throws {
        let capture = try Capture.load("agi/env-url-query-and-args.txt")
        var machine = AGISessionStateMachine(maximumEnvironmentKeys: 256)
        machine.feedEnvironment(String(decoding: capture.environmentBlock, as: UTF8.self))
        let env = machine.environment
        #expect(env.script == "cap-env-answer?dept=health&lang=en")
        #expect(env.scriptPath == "/cap-env-answer")
        #expect(env.query("dept") == "health")
        #expect(env.query("lang") == "en")
        #expect(env.query("missing") == nil)
        #expect(env.arguments == ["two words", "x=1&y=2"])
        #expect(env.request == "agi://127.0.0.1:4573/cap-env-answer?dept=health&lang=en")
    }

    @Test func keepsRawUTF8AndOddBytes() {
        var machine = AGISessionStateMachine(maximumEnvironmentKeys: 256)
        var line = ByteBuffer(string: "agi_calleridname: ")
        line.writeBytes([0xE0, 0xA4, 0xB0, 0xE0, 0xA4, 0xBE, 0xE0, 0xA4, 0xAE, 0x20, 0xFF])  // "राम " + an invalid byte
        _ = machine.lineReceived(line)
        _ = machine.feed("agi_arg_2: second")
        _ = machine.feed("agi_arg_1: ")
        _ = machine.feed("agi_arg_10: tenth")
        _ = machine.feed("x-vendor-key:no space after colon")
        #expect(machine.feed("") == .environment)
        let env = machine.environment
        #expect(env.rawValue("agi_calleridname") == [0xE0, 0xA4, 0xB0, 0xE0, 0xA4, 0xBE, 0xE0, 0xA4, 0xAE, 0x20, 0xFF])
        #expect(env.callerIDName == "राम \u{FFFD}")
        #expect(env.arguments == ["", "second", "tenth"])
        #expect(env["x-vendor-key"] == "no space after colon")
        #expect(env.scriptPath == "/")
        #expect(env.fields.map(\.key) == ["agi_calleridname", "agi_arg_2", "agi_arg_1", "agi_arg_10", "x-vendor-key"])
    }

    @Test func buildsAnEnvironmentForASimulatedCall() {
        let env = AGIEnvironment(["agi_network_script": "inbound?lang=hi", "agi_uniqueid": "sim.1", "agi_arg_1": "1076", "agi_callerid": "unknown"])
        #expect(env.scriptPath == "/inbound")
        #expect(env.query("lang") == "hi")
        #expect(env.uniqueID == "sim.1")
        #expect(env.arguments == ["1076"])
        #expect(env.callerID == nil)
        #expect(env.rawValue("agi_uniqueid") == Array("sim.1".utf8))
    }

    @Test func refusesMalformedAndOversizedEnvironments() {
        var machine = AGISessionStateMachine(maximumEnvironmentKeys: 3)
        _ = machine.feed("a: 1")
        _ = machine.feed("b: 2")
        _ = machine.feed("c: 3")
        #expect(machine.feed("d: 4") == .error(.environmentTooLarge))
        #expect(machine.feed("") == .none, "a finished session ignores input")
        #expect(machine.sendOutcome == .connectionClosed)

        var garbage = AGISessionStateMachine(maximumEnvironmentKeys: 256)
        #expect(garbage.feed("GET / HTTP/1.1") == .error(.protocolViolation))
        var noKey = AGISessionStateMachine(maximumEnvironmentKeys: 256)
        #expect(noKey.feed(": value") == .error(.protocolViolation))
        var binary = AGISessionStateMachine(maximumEnvironmentKeys: 256)
        #expect(binary.lineReceived(ByteBuffer(bytes: [0x16, 0x03, 0x01, 0x3A, 0x20])) .isProtocolError)
    }

    @Test func oneCommandInFlightAndRepliesInOrder() {
        var machine = AGISessionStateMachine(maximumEnvironmentKeys: 256)
        #expect(machine.sendOutcome == .protocolViolation, "no command before the environment")
        machine.feedEnvironment(FakeAsterisk.environment(script: "inbound"))
        #expect(machine.sendOutcome == nil)
        #expect(machine.sendOutcome == .protocolViolation, "a second command while one is in flight is refused")
        #expect(machine.feed("200 result=0") == .reply("200 result=0"))
        #expect(machine.sendOutcome == nil)
        #expect(machine.feed("200 result=0 endpos=11360") == .reply("200 result=0 endpos=11360"))
        #expect(machine.feed("200 result=1") == .error(.protocolViolation), "a reply nobody asked for")
    }

    @Test func multiLineUsageAndGosub() {
        var machine = AGISessionStateMachine(maximumEnvironmentKeys: 256)
        machine.feedEnvironment(FakeAsterisk.environment(script: "x"))
        _ = machine.sendOutcome
        #expect(machine.feed("520-Invalid command syntax.  Proper usage follows:") == .none)
        #expect(machine.feed("Stream the given <replaceable>file</replaceable>, and receive DTMF data.") == .none)
        #expect(machine.feed("HANGUP") == .none, "inside a usage block every line is usage text")
        #expect(machine.feed("520 End of proper usage.") == .reply("520 End of proper usage. +2 usage lines"))
        _ = machine.sendOutcome
        #expect(machine.feed("100 result=0 Trying...") == .none)
        #expect(machine.feed("200 result=0 Gosub complete") == .reply("200 result=0 Gosub complete"))
        _ = machine.sendOutcome
        #expect(machine.feed("520 Invalid command syntax.  Proper usage not available.") == .reply("520 Invalid command syntax.  Proper usage not available."))
    }

    @Test func hangupBeforeAReplyFailsThePendingCommandAndNothingAfter() {
        var machine = AGISessionStateMachine(maximumEnvironmentKeys: 256)
        machine.feedEnvironment(FakeAsterisk.environment(script: "x"))
        _ = machine.sendOutcome
        #expect(machine.feed("HANGUP") == .hangup(pending: true))
        #expect(machine.hungUp)
        #expect(machine.feed("511 Command Not Permitted on a dead channel or intercept routine") == .none, "the late reply is not taken for another command's")
        #expect(machine.feed("HANGUP") == .none, "a second HANGUP changes nothing")
        #expect(machine.sendOutcome == .hungUp)
    }

    @Test func hangupWhileIdle() {
        var machine = AGISessionStateMachine(maximumEnvironmentKeys: 256)
        machine.feedEnvironment(FakeAsterisk.environment(script: "x"))
        #expect(machine.feed("HANGUP") == .hangup(pending: false))
        #expect(machine.sendOutcome == .hungUp)
    }

    @Test func toleratesCRLFFromAHumanWithNetcat() {
        var machine = AGISessionStateMachine(maximumEnvironmentKeys: 256)
        _ = machine.feed("agi_network_script: health\r")
        #expect(machine.feed("\r") == .environment)
        #expect(machine.environment.script == "health")
        _ = machine.sendOutcome
        #expect(machine.feed("200 result=1\r") == .reply("200 result=1"))
    }

    /// Replays every capture: each command the lab server sent while idle is accepted, each
    /// reply is matched to it, and a HANGUP ends the session. Pipelined commands and commands
    /// written while another runs (two captures show what they do to Asterisk) are refused.
    @Test func replaysEveryCapture() throws {
        for name in try Capture.agiNames() {
            let capture = try Capture.load("agi/" + name)
            var machine = AGISessionStateMachine(maximumEnvironmentKeys: 256)
            var sent = 0
            var refused = 0
            var replies = 0
            var hangups = 0
            for event in capture.events {
                switch event {
                case .fromAsterisk(let bytes):
                    var line = ByteBuffer(bytes: bytes)
                    line.moveWriterIndex(to: line.writerIndex - 1)
                    switch machine.lineReceived(line) {
                    case .reply: replies += 1
                    case .hangup: hangups += 1
                    case .protocolError(let error):
                        // Only where the lab server broke the one-in-flight rule can replies arrive unasked.
                        #expect(refused > 0, "\(name): \(error)")
                    default: break
                    }
                case .toAsterisk:
                    if machine.sendCommand() == .write { sent += 1 } else { refused += 1 }
                default: break
                }
            }
            let rulesBroken = ["command-while-busy.txt", "line-endings-crlf-blank-pipelined.txt"].contains(name)
            if rulesBroken {
                #expect(refused > 0, "\(name): a command while another is in flight must be refused")
            } else {
                #expect(replies == sent, "\(name): every command sent got its own reply")
                #expect(hangups == (name.contains("agisighup-no") ? 0 : 1), "\(name)")
            }
        }
    }
}

extension AGISessionStateMachine.LineAction {
    var isProtocolError: Bool {
        if case .protocolError = self { return true }
        return false
    }
}

extension AGISessionStateMachine.SendAction {
    static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.write, .write): true
        case (.fail(let a), .fail(let b)): a.code == b.code
        default: false
        }
    }
}
