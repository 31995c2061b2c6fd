import AGITestSupport
import NIOCore
import Testing

@testable import AGIServer
import AsteriskFakes

/// Random and mutated input never crashes the codec or leaves the state machine accepting
/// commands after a protocol error.
@Suite struct RandomInputTests {
    @Test func randomLinesInEveryStateEndCleanly() {
        var generator = SplitMix(seed: 7)
        for round in 0..<3000 {
            var machine = AGISessionStateMachine(maximumEnvironmentKeys: 64)
            // Start from one of the three interesting states.
            switch round % 3 {
            case 0: break
            case 1: machine.feedEnvironment(FakeAsterisk.environment(script: "x"))
            default:
                machine.feedEnvironment(FakeAsterisk.environment(script: "x"))
                _ = machine.sendCommand()
            }
            for _ in 0..<Int(generator.next() % 6) + 1 {
                let length = Int(generator.next() % 40)
                let bytes = (0..<length).map { _ -> UInt8 in
                    let byte = UInt8(truncatingIfNeeded: generator.next())
                    return byte == UInt8(ascii: "\n") ? UInt8(ascii: " ") : byte
                }
                switch machine.lineReceived(ByteBuffer(bytes: bytes)) {
                case .protocolError(let error):
                    #expect([.protocolViolation, .environmentTooLarge].contains(error.code))
                    #expect(!(machine.sendCommand() == .write), "no command after a protocol error")
                case .none, .environmentComplete, .reply, .hangup:
                    break
                }
                _ = AGIReply.parse(ByteBuffer(bytes: bytes))
            }
        }
    }

    /// Every capture reply line with one byte changed still parses or is refused, never crashes,
    /// and a parsed reply keeps the line it came from.
    @Test func mutatedCaptureRepliesParseOrAreRefused() throws {
        var generator = SplitMix(seed: 11)
        for name in try Capture.agiNames() {
            for case .fromAsterisk(let bytes) in try Capture.load("agi/" + name).events where bytes.count > 1 {
                for _ in 0..<20 {
                    var line = Array(bytes.dropLast())
                    guard !line.isEmpty else { continue }
                    line[Int(generator.next() % UInt64(line.count))] = UInt8(truncatingIfNeeded: generator.next())
                    if let reply = AGIReply.parse(ByteBuffer(bytes: line)) {
                        #expect(reply.line == String(decoding: line, as: UTF8.self))
                        #expect(reply.code == Int(String(decoding: line.prefix(3), as: UTF8.self)), "the code is the line's first three digits")
                    }
                }
            }
        }
    }
}
