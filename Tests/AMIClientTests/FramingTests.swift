import AGITestSupport
@testable import AMIClient
import NIOCore
import Testing
import AsteriskFakes

@Suite struct FramingTests {
    @Test(arguments: try Capture.amiNames())
    func everyCaptureParses(name: String) throws {
        let capture = try Capture.load("ami/" + name)
        // Independent count: in the capture, every message from Asterisk ends with a line that is just CR LF.
        var expectedPerConnection: [Int] = []
        for event in capture.events {
            switch event {
            case .connected: expectedPerConnection.append(0)
            case .fromAsterisk(let bytes) where bytes == [0x0D, 0x0A]: expectedPerConnection[expectedPerConnection.count - 1] += 1
            default: break
            }
        }
        let connections = capture.connectionsFromAsterisk
        #expect(connections.count == expectedPerConnection.count)
        for (bytes, expected) in zip(connections, expectedPerConnection) {
            let whole = try frame(bytes)
            let byteByByte = try frame(bytes, chunk: 1)
            let chunked = try frame(bytes, chunk: 7)
            #expect(whole.first?.kind == .banner)
            #expect(whole.first?.first == "Asterisk Call Manager/11.0.0")
            #expect(whole.count - 1 == expected, "\(name)")
            #expect(whole.dropFirst().allSatisfy { $0.kind == .response || $0.kind == .event }, "\(name)")
            #expect(byteByByte.map(\.description) == whole.map(\.description))
            #expect(chunked.map(\.description) == whole.map(\.description))
        }
        // The client's side parses too: each message is an Action.
        let sent = try frame(capture.bytes(fromAsterisk: false), banner: false)
        let sentCount = capture.events.filter { $0 == .toAsterisk([0x0D, 0x0A]) }.count
        #expect(sent.count == sentCount)
        #expect(sent.allSatisfy { $0.headers.first?.name.lowercased() == "action" })
    }

    @Test func bannerWithoutBlankLineThenResponse() throws {
        let messages = try frame("Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nActionID: a-1\r\nMessage: Authentication accepted\r\n\r\n")
        #expect(messages.count == 2)
        #expect(messages[0].kind == .banner)
        #expect(messages[1].kind == .response)
        #expect(messages[1].actionID == "a-1")
    }

    @Test func missingBannerIsNotAnError() throws {
        let messages = try frame("Response: Success\r\nActionID: 1\r\n\r\n")
        #expect(messages.map(\.kind) == [.response])
    }

    @Test func bareLFStaysInsideTheValue() throws {
        let messages = try frame("Response: Error\r\nActionID: x\r\nMessage: Uniqueid length exceeds maximum of 149\n\r\n\r\n", banner: false)
        #expect(messages.count == 1)
        #expect(messages[0]["Message"] == "Uniqueid length exceeds maximum of 149\n")
    }

    @Test func splitsAtTheFirstColonSpaceOnly() throws {
        let messages = try frame("Response: Error\r\nMessage: Invalid/unknown command: Foo. Use Action: ListCommands\r\n\r\n", banner: false)
        #expect(messages[0]["message"] == "Invalid/unknown command: Foo. Use Action: ListCommands")
    }

    @Test func emptyValuesAndKeysWithParenthesesAndSlashes() throws {
        let text = "Event: X\r\nPausedReason: \r\nOutput:\r\nChanVariable(PJSIP/x-1): a=b\r\nParent/Child: c\r\nKey(0): d\r\n\r\n"
        let message = try frame(text, banner: false)[0]
        #expect(message["PausedReason"] == "")
        #expect(message["Output"] == "")
        #expect(message["ChanVariable(PJSIP/x-1)"] == "a=b")
        #expect(message["parent/child"] == "c")
        #expect(message["KEY(0)"] == "d")
    }

    @Test func repeatedKeysKeepTheirOrder() throws {
        let text = "Response: Success\r\nMessage: Command output follows\r\nOutput: one\r\nOutput: \r\nOutput: three\r\n\r\n"
        let message = try frame(text, banner: false)[0]
        #expect(message.values("Output") == ["one", "", "three"])
        #expect(message.values("output") == ["one", "", "three"])
        #expect(message["Output"] == "one")
    }

    @Test func namesCompareWithoutCase() throws {
        let message = try frame("response: success\r\nACTIONID: x\r\nHoldTime: 4\r\n\r\n", banner: false)[0]
        #expect(message.kind == .response)
        #expect(message.nameIs("Success"))
        #expect(message.actionID == "x")
        #expect(message.int("holdtime") == 4)
        #expect(message["Hold"] == nil)
    }

    @Test func olderFollowsFormKeepsOutputLines() throws {
        let text = "Response: Follows\r\nPrivilege: Command\r\nActionID: c-1\r\nline one\nline: two\n--END COMMAND--\r\n\r\n"
        let message = try frame(text, banner: false)[0]
        #expect(message.kind == .response)
        #expect(message.actionID == "c-1")
        #expect(message.values("Output") == ["line one", "line: two"])
    }

    @Test func blankLinesBetweenMessagesAreSkipped() throws {
        let messages = try frame("\r\nEvent: A\r\n\r\n\r\n\r\nEvent: B\r\n\r\n", banner: false)
        #expect(messages.map(\.name) == ["A", "B"])
    }

    @Test func lineTooLongIsAnErrorWithTheLineNumber() throws {
        let limits = AMIFramer.Limits(maximumLineLength: 32, maximumHeaderCount: 10)
        let long = "Event: " + String(repeating: "x", count: 40) + "\r\n\r\n"
        let error = #expect(throws: AMIError.self) { try frame("Event: A\r\n\r\n" + long, banner: false, limits: limits) }
        #expect(error?.code == .lineTooLong)
        #expect(error?.message.hasPrefix("line 3:") == true)
        // Also without any CR LF at all (a peer streaming garbage).
        #expect(throws: AMIError.self) { try frame(String(repeating: "y", count: 100), banner: false, limits: limits) }
    }

    @Test func tooManyHeadersIsAnError() throws {
        let limits = AMIFramer.Limits(maximumLineLength: 100, maximumHeaderCount: 3)
        #expect(throws: AMIError.self) { try frame("Event: A\r\nB: 1\r\nC: 2\r\nD: 3\r\n\r\n", banner: false, limits: limits) }
        #expect(try frame("Event: A\r\nB: 1\r\nC: 2\r\n\r\n", banner: false, limits: limits).count == 1)
    }

    @Test func aLineWithoutSeparatorIsAProtocolViolation() throws {
        let error = #expect(throws: AMIError.self) { try frame("Event: A\r\nnot a header\r\n\r\n", banner: false) }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("not a header") == true)
    }

    @Test func randomBytesNeverCrash() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab: \r\n\n:E".utf8)
        for _ in 0..<300 {
            let bytes = (0..<Int.random(in: 0..<200, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            do {
                for message in try frame(bytes, chunk: Int.random(in: 1...9, using: &generator)) {
                    // Every field of every message reads back without trapping.
                    _ = message.headers
                }
            } catch is AMIError {
                // A precise error is fine.
            } catch is Leftover {
                // An unfinished message at the end is fine.
            }
        }
    }
}
