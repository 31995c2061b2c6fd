import AGITestSupport
import Testing

@testable import AGIServer
import AsteriskFakes

@Suite struct ReplyParsingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var line: String
        var code: Int
        var result: String?
        var data: String?
        var endpos: Int?
        var note: String = ""
        var testDescription: String { line }
    }

    @Test(arguments: [
        Case(line: "200 result=0", code: 200, result: "0"),
        Case(line: "200 result=0 endpos=11360", code: 200, result: "0", endpos: 11360),
        Case(line: "200 result=53 endpos=14880", code: 200, result: "53", endpos: 14880),
        Case(line: "200 result=-1 endpos=0", code: 200, result: "-1", endpos: 0),
        Case(line: "200 result=1 (dept-health)", code: 200, result: "1", data: "dept-health"),
        Case(line: "200 result=1 ()", code: 200, result: "1", data: ""),
        Case(line: "200 result=1 (two words)", code: 200, result: "1", data: "two words"),
        Case(line: "200 result=1 (a (nested) value) )", code: 200, result: "1", data: "a (nested) value) "),
        Case(line: "200 result=1 (say \"hi\")", code: 200, result: "1", data: "say \"hi\""),
        Case(line: "200 result= (timeout)", code: 200, result: "", data: "timeout"),
        Case(line: "200 result=12 (timeout)", code: 200, result: "12", data: "timeout"),
        Case(line: "200 result=", code: 200, result: ""),
        Case(line: "200 result=35 (dtmf) endpos=15840", code: 200, result: "35", data: "dtmf", endpos: 15840),
        Case(line: "200 result=0 (timeout) endpos=16000", code: 200, result: "0", data: "timeout", endpos: 16000),
        Case(line: "100 result=0 Trying...", code: 100, result: "0", note: "Trying..."),
        Case(line: "200 result=0 Gosub complete", code: 200, result: "0", note: "Gosub complete"),
        Case(line: "200 result=0 Gosub complete (abnormal exit)", code: 200, result: "0", data: "abnormal exit", note: "Gosub complete"),
        Case(line: "200 result=-1 Gosub label not found", code: 200, result: "-1", note: "Gosub label not found"),
        Case(line: "503 result=-2 Memory allocation failure", code: 503, result: "-2", note: "Memory allocation failure"),
        Case(line: "510 Invalid or unknown command", code: 510, note: "Invalid or unknown command"),
        Case(line: "511 Command Not Permitted on a dead channel or intercept routine", code: 511, note: "Command Not Permitted on a dead channel or intercept routine"),
        Case(line: "520 Invalid command syntax.  Proper usage not available.", code: 520, note: "Invalid command syntax.  Proper usage not available."),
        Case(line: "520 End of proper usage.", code: 520, note: "End of proper usage."),
        Case(line: "200 result=1 (speech) endpos=0 results=1 score0=900", code: 200, result: "1", data: "speech", endpos: 0),
    ])
    func parsesEveryReplyShape(_ expected: Case) throws {
        let reply = try #require(AGIReply.parse(expected.line))
        #expect(reply.code == expected.code)
        #expect(reply.result == expected.result)
        #expect(reply.data == expected.data)
        #expect(reply.endpos == expected.endpos)
        #expect(reply.note == expected.note)
        #expect(reply.line == expected.line)
    }

    @Test(arguments: ["", "HANGUP", "20", "2000 result=1", "abc result=1", "200result=1", "\u{FF}\u{FE}garbage"])
    func rejectsLinesThatAreNotReplies(_ line: String) {
        #expect(AGIReply.parse(line) == nil)
    }

    /// Every line Asterisk sent after the environment block in every AGI capture is either
    /// `HANGUP`, a reply, or a line of a 520 usage block.
    @Test func parsesEveryReplyLineInTheCaptures() throws {
        for name in try Capture.agiNames() {
            let capture = try Capture.load("agi/" + name)
            var afterEnvironment = false
            var inUsage = false
            for case .fromAsterisk(let bytes) in capture.events {
                let line = String(decoding: bytes.dropLast(), as: UTF8.self)
                if !afterEnvironment {
                    afterEnvironment = line.isEmpty
                    continue
                }
                if inUsage {
                    inUsage = !line.hasPrefix("520 ")
                    continue
                }
                if line == "HANGUP" { continue }
                let reply = try #require(AGIReply.parse(line), "\(name): \(line)")
                #expect([100, 200, 510, 511, 520].contains(reply.code), "\(name): \(line)")
                inUsage = line.hasPrefix("520-")
            }
            #expect(afterEnvironment, "\(name) has an environment block")
        }
    }
}
