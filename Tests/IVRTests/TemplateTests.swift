import Foundation
@testable import IVR
import Testing

@Suite struct TemplateTests {
    struct NoApplication: MenuApplication {
        func perform(_ action: Action.Kind, state: inout CallState) async throws -> ActionResult { ActionResult() }
        func validate(_ digits: String, as validation: Collect.Validation) -> Bool { true }
        func callEnded(_ state: CallState, outcome: CallOutcome) async {}
    }

    @Test(arguments: [
        ("plain", "plain"),
        ("", ""),
        ("status-${ticket_status}", "status-resolved"),
        ("${ticket}", "1000002"),
        ("${language}/welcome", "hi/welcome"),
        ("a${ticket}b${ticket_status}c", "a1000002bresolvedc"),
        ("${unset} and ${}", " and "),
        ("cost $5 ${ticket}", "cost $5 1000002"),
        ("$", "$"),
        ("ends with $", "ends with $"),
        ("${ticket", "${ticket"),
        ("x ${ticket} ${open", "x 1000002 ${open"),
        ("हिन्दी-${ticket_status}", "हिन्दी-resolved"),
        ("$${ticket}", "$1000002"),
    ])
    func substitutesVariables(_ template: String, _ expected: String) throws {
        let menu = try MenuLoader.load(yaml: "languages: [hi]\nstart: bye\nnodes:\n  bye:\n    hangup: true\n", file: "t.yaml")
        let interpreter = MenuInterpreter(menu: menu, application: NoApplication())
        let state = CallState(menu: "t", uniqueid: "u", caller: "9", dnid: "1076", language: "hi", variables: ["ticket": "1000002", "ticket_status": "resolved"])
        #expect(interpreter.expand(template, state) == expected)
    }
}
