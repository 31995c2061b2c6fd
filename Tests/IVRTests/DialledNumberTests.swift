import AGIServer
import AsteriskFakes
import IVR
import Testing

/// The number a caller dialled, as a call's row stores it: Asterisk 22 reports `agi_dnid:
/// unknown` on a Local channel (and on many trunks), and the shipped dialplan passes
/// `${EXTEN}` as the first AGI argument for that reason.
@Suite struct DialledNumberTests {
    /// The environment block of a capture, as the server parses it into keys and values.
    static func environment(_ capture: String) throws -> AGIEnvironment {
        let block = String(decoding: try Capture.load(capture).environmentBlock, as: UTF8.self)
        var environment = AGIEnvironment()
        for line in block.split(separator: "\n") {
            guard let colon = line.firstRange(of: ": ") else { continue }
            environment.append(key: String(line[..<colon.lowerBound]), value: String(line[colon.upperBound...]))
        }
        return environment
    }

    @Test func theFirstArgumentIsTheDialledNumberWhenAsteriskDoesNotKnowIt() throws {
        let environment = try Self.environment("agi/normal-session-inbound.txt")
        #expect(environment.dnid == nil, "the capture's agi_dnid is 'unknown'")
        #expect(environment.arguments.first == "1076")
        #expect(CallState(menu: "inbound", environment: environment).dnid == "1076")
    }

    @Test func agiDNIDIsUsedWhenTheFirstArgumentIsNoNumber() {
        let named = AGIEnvironment(["agi_uniqueid": "a.1", "agi_dnid": "155330", "agi_arg_1": "inbound line"])
        #expect(CallState.dialled(named) == "155330")
        let none = AGIEnvironment(["agi_uniqueid": "a.2", "agi_dnid": "unknown"])
        #expect(CallState.dialled(none) == "")
        let both = AGIEnvironment(["agi_uniqueid": "a.3", "agi_dnid": "1800", "agi_arg_1": "+911076"])
        #expect(CallState.dialled(both) == "+911076")
    }
}
