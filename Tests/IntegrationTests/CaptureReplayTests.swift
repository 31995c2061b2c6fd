import AGIServer
import AGITestSupport
import Testing
import AsteriskFakes

extension Integration {
    /// Each capture's Asterisk side, replayed byte for byte over a real loopback socket against
    /// the real server running a handler that issues the capture's commands through the typed API.
    @Suite struct CaptureReplayTests {
        typealias Script = @Sendable (AGISession, Journal) async throws -> Void

        static func code(_ body: () async throws -> Void) async -> String {
            do {
                try await body()
                return "ok"
            } catch let error as AGIError {
                return "\(error.code)"
            } catch {
                return "\(error)"
            }
        }

        static let scripts: [String: (Script, [String])] = [
            "normal-session-inbound.txt": ({ s, j in
                try await s.answer()
                let playback = try await s.streamFile("hello-world")
                j.record("endpos \(playback.endpos ?? -1) digit \(playback.digit.map(String.init) ?? "none")")
                j.record("\(try await s.getData("beep", timeout: 3000, maxDigits: 1))")
                try await s.setVariable("HELPLINE_QUEUE", "dept-health")
                j.record("args \(s.environment.arguments)")
            }, ["endpos 11360 digit none", "entered(\"1\")", "args [\"1076\", \"5550100\"]"]),
            "get-data-digits.txt": ({ s, j in
                try await s.answer()
                j.record("\(try await s.getData("beep", timeout: 5000, maxDigits: 4))")
            }, ["entered(\"1234\")"]),
            "get-data-hash-terminator.txt": ({ s, j in
                try await s.answer()
                j.record("\(try await s.getData("beep", timeout: 5000, maxDigits: 10))")
                j.record("\(try await s.getData("beep", timeout: 5000, maxDigits: 10))")
            }, ["entered(\"42\")", "entered(\"\")"]),
            "get-data-partial-timeout.txt": ({ s, j in
                try await s.answer()
                j.record("\(try await s.getData("beep", timeout: 3000, maxDigits: 4))")
            }, ["timeout(\"12\")"]),
            "get-data-timeout.txt": ({ s, j in
                try await s.answer()
                j.record("\(try await s.getData("beep", timeout: 2000, maxDigits: 4))")
            }, ["timeout(\"\")"]),
            "get-data-missing-prompt.txt": ({ s, j in
                try await s.answer()
                j.record(await code { _ = try await s.getData("no-such-prompt", timeout: 2000, maxDigits: 4) })
                try await s.noop()
                j.record("still up")
            }, ["command failed", "still up"]),
            "get-variable.txt": ({ s, j in
                j.record("\(try await s.getVariable("AGISCRIPT") ?? "nil")")
                j.record("\(try await s.getVariable("NO_SUCH_VARIABLE") ?? "nil")")
                j.record("[\(try await s.getVariable("HELPLINE_QUEUE") ?? "nil")]")
                j.record("\(try await s.getVariable("CALLERID(name)") ?? "nil")")
                j.record("\(try await s.getFullVariable("${CALLERID(num)}-${EXTEN}") ?? "nil")")
                j.record("[\(try await s.getFullVariable("${NO_SUCH_VARIABLE}") ?? "nil")]")
            }, ["cap-get-variable", "nil", "[]", "Lab Caller", "5550100-1076", "[]"]),
            "set-variable.txt": ({ s, j in
                try await s.setVariable("HELPLINE_QUEUE", "dept-health")
                j.record(try await s.getVariable("HELPLINE_QUEUE") ?? "nil")
                try await s.setVariable("LAB_SPACES", "two words")
                j.record(try await s.getVariable("LAB_SPACES") ?? "nil")
                try await s.setVariable("LAB_QUOTE", "say \"hi\"")
                j.record(try await s.getVariable("LAB_QUOTE") ?? "nil")
                try await s.setVariable("LAB_EMPTY", "")
                j.record("[\(try await s.getVariable("LAB_EMPTY") ?? "nil")]")
                do {
                    _ = try await s.execute(.raw("SET VARIABLE LAB_NOVALUE"))
                } catch let error as AGIError {
                    j.record("\(error.code): \(error.reply?.usage ?? [])")
                }
            }, ["dept-health", "two words", "say \"hi\"", "[]", "invalid command syntax (520): [\"Sets a variable to the current channel.\"]"]),
            "say-digits.txt": ({ s, j in
                try await s.answer()
                j.record("\(try await s.sayDigits("98765", escapeDigits: "3").map(String.init) ?? "none")")
                j.record("\(try await s.sayDigits("1076").map(String.init) ?? "none")")
            }, ["3", "none"]),
            "say-number.txt": ({ s, j in
                try await s.answer()
                j.record("\(try await s.sayNumber(123456, escapeDigits: "*").map(String.init) ?? "none")")
                j.record("\(try await s.sayNumber(1076).map(String.init) ?? "none")")
                j.record(await code { _ = try await s.execute(.raw("SAY NUMBER abc \"\"")) })
            }, ["*", "none", "invalid command syntax (520)"]),
            "stream-file-escape-pressed.txt": ({ s, j in
                try await s.answer()
                let playback = try await s.streamFile("demo-congrats", escapeDigits: "0123456789#*")
                j.record("\(playback.digit.map(String.init) ?? "none") \(playback.endpos ?? -1)")
            }, ["5 14880"]),
            "stream-file-escape-not-pressed.txt": ({ s, j in
                try await s.answer()
                j.record("\(try await s.streamFile("hello-world").endpos ?? -1)")
                j.record("\(try await s.streamFile("hello-world", escapeDigits: "123").digit.map(String.init) ?? "none")")
                j.record("\(try await s.streamFile("hello-world", escapeDigits: "123", offset: 8000).endpos ?? -1)")
            }, ["11360", "none", "11360"]),
            "stream-file-missing-file.txt": ({ s, j in
                try await s.answer()
                j.record(await code { _ = try await s.streamFile("no-such-prompt") })
            }, ["command failed"]),
            "wait-for-digit.txt": ({ s, j in
                try await s.answer()
                j.record("\(try await s.waitForDigit(timeout: 5000).map(String.init) ?? "none")")
                j.record("\(try await s.waitForDigit(timeout: 1500).map(String.init) ?? "none")")
            }, ["7", "none"]),
            "record-file.txt": (recordFileScript, recordings(endpos: [15840, 16000, 40480])),
            // The same commands while the caller sends no audio at all: nothing is recorded.
            "record-file-silent-caller.txt": (recordFileScript, recordings(endpos: [0, 0, 0])),
            "exec-playback.txt": ({ s, j in
                try await s.answer()
                j.record("\(try await s.exec("Playback", "hello-world"))")
                j.record(try await s.getVariable("PLAYBACKSTATUS") ?? "nil")
                j.record("\(try await s.exec("Playback", "no-such-prompt"))")
                j.record(try await s.getVariable("PLAYBACKSTATUS") ?? "nil")
                j.record("\(try await s.exec("Playback", "beep,noanswer"))")
                j.record(await code { try await s.exec("NoSuchApplication", "foo") })
                try await s.exec("Set", "LAB_FROM_EXEC=42")
                j.record(try await s.getVariable("LAB_FROM_EXEC") ?? "nil")
            }, ["0", "SUCCESS", "0", "FAILED", "0", "command failed", "42"]),
            "channel-status.txt": ({ s, j in
                j.record("\(try await s.channelStatus().map { "\($0)" } ?? "nil")")
                j.record("\(try await s.channelStatus("Local/no-such-channel-00000000;1").map { "\($0)" } ?? "nil")")
            }, ["up", "nil"]),
            "invalid-command-510.txt": ({ s, j in
                j.record(await code { _ = try await s.execute(.raw("FOO BAR")) })
                j.record(await code { _ = try await s.execute(.raw("answer")) })
                try await s.noop()
                j.record(await code { _ = try await s.execute(.raw("NOOP with some text")) })
            }, ["invalid command (510)", "ok", "ok"]),
            "usage-error-520.txt": ({ s, j in
                for line in ["GET DATA", "STREAM FILE hello-world", "WAIT FOR DIGIT"] {
                    let reply = try await s.send(.raw(line))
                    j.record("\(reply.code) \(reply.usage.count)")
                }
            }, ["520 2", "520 5", "520 1"]),
            "env-url-query-and-args.txt": ({ s, j in
                let env = s.environment
                j.record("\(env.scriptPath) \(env.query("dept") ?? "-") \(env.query("lang") ?? "-") \(env.arguments)")
                try await s.answer()
                try await s.answer()
            }, ["/cap-env-answer health en [\"two words\", \"x=1&y=2\"]"]),
            "hangup-during-get-data-agisighup-no.txt": ({ s, j in
                try await s.answer()
                j.record(await code { _ = try await s.getData("beep", timeout: 10000, maxDigits: 4) })
                j.record(await code { _ = try await s.streamFile("hello-world") })
                j.record(try await s.getVariable("AGISCRIPT") ?? "nil")
                j.record(await code { try await s.answer() })
                try await s.noop()
                try await s.setVariable("AFTER_HANGUP", "yes")
                j.record(await code { _ = try await s.channelStatus() })
            }, ["command failed", "not permitted on a dead channel (511)", "cap-hangup-during-get-data", "not permitted on a dead channel (511)", "not permitted on a dead channel (511)"]),
        ]

        /// The three RECORD FILE commands both record-file captures send.
    static let recordFileScript: Script = { s, j in
        try await s.answer()
        let path = "/var/spool/asterisk/recording/"
        j.record("\(try await s.recordFile(path + "cap-rec-dtmf", format: "gsm", timeout: 10000, beep: true))")
        j.record("\(try await s.recordFile(path + "cap-rec-timeout", format: "gsm", timeout: 2000))")
        j.record("\(try await s.recordFile(path + "cap-rec-dtmf", format: "gsm", timeout: 10000, offsetSamples: 8000))")
    }

    /// What recordFileScript records: `#`, the time limit, `#`, with these sample counts.
    static func recordings(endpos: [Int]) -> [String] {
        let endings = ["digit(\"#\")", "timeout", "digit(\"#\")"]
        return zip(endings, endpos).map { "AGIRecording(ending: AGIServer.AGIRecording.Ending.\($0), endpos: \($1))" }
    }

    @Test(arguments: scripts.keys.sorted())
        func replaysTheCaptureAgainstTheServer(_ name: String) async throws {
            let (script, expected) = try #require(Self.scripts[name])
            let capture = try Capture.load("agi/" + name)
            let journal = Journal()
            let scriptName = String(decoding: capture.environmentBlock, as: UTF8.self)
                .split(separator: "\n").first { $0.hasPrefix("agi_network_script: ") }!
                .dropFirst("agi_network_script: ".count).split(separator: "?").first!
            var routes = AGIRoutes()
            routes.add(String(scriptName)) { session in try await script(session, journal) }
            let report = try await withAGIServer(routes: routes) { _, address in
                try await withTimeout(.seconds(20)) { try await replay(capture, to: address) }
            }
            #expect(report.mismatches.isEmpty, "\(report.mismatches)")
            #expect(report.serverClosed)
            #expect(journal.all == expected)
        }

        /// The caller hangs up in the middle of GET DATA: the reply and the unsolicited HANGUP
        /// arrive; the handler's next command fails with a hangup error, and the server closes at
        /// once so Asterisk can release the channel (it sends no further commands).
        @Test(arguments: ["hangup-during-get-data.txt", "hangup-during-get-data-exitonhangup.txt", "hangup-while-idle.txt"])
        func hangupEndsTheSession(_ name: String) async throws {
            let capture = try Capture.load("agi/" + name)
            let journal = Journal()
            let idle = name == "hangup-while-idle.txt"
            var routes = AGIRoutes()
            routes.add(idle ? "/cap-hangup-while-idle" : "/cap-hangup-during-get-data") { s in
                try await s.answer()
                if idle {
                    while !s.isHungUp { try await Task.sleep(for: .milliseconds(5)) }
                } else {
                    j(journal, await Self.code { _ = try await s.getData("beep", timeout: 10000, maxDigits: 4) })
                }
                journal.record(await Self.code { _ = try await s.streamFile("hello-world") })
                journal.record(await Self.code { try await s.noop() })
                journal.record("hung up: \(s.isHungUp)")
            }
            let report = try await withAGIServer(routes: routes) { _, address in
                try await withTimeout(.seconds(20)) { try await replay(capture, to: address) }
            }
            #expect(report.mismatches.isEmpty, "\(report.mismatches)")
            #expect(report.serverClosed)
            // The first command after the hangup may already be on the wire when HANGUP arrives;
            // it fails with the hangup error as well, and nothing after it is sent.
            #expect(report.afterHangup.count <= 1, "\(report.afterHangup)")
            #expect(Array(journal.all.suffix(3)) == ["hung up", "hung up", "hung up: true"])
        }
    }
}

private func j(_ journal: Journal, _ entry: String) { journal.record(entry) }
