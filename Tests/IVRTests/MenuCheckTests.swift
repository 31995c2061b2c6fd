import Foundation
import IVR
import Testing
import YAMLSupport

@Suite struct MenuCheckTests {
    static var repository: URL {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }

    static func problems(_ yaml: String, sounds: URL? = nil) -> [String] {
        do {
            let menu = try MenuLoader.load(yaml: yaml, file: "m.yaml")
            return MenuChecker.problems(menu, sounds: sounds).map(\.description)
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test(arguments: ["inbound", "feedback"])
    func theShippedMenusAreClean(_ name: String) throws {
        let path = Self.repository.appendingPathComponent("menus/\(name).yaml").path
        let menu = try MenuLoader.load(yaml: try String(contentsOfFile: path, encoding: .utf8), file: path)
        #expect(menu.name == name)
        #expect(menu.languages == ["hi", "en", "vi"])
        #expect(MenuChecker.problems(menu).map(\.description) == [])
    }

    @Test(arguments: [("scheme-survey", ["received", "on_time", "asked_money", "rating"]), ("home-isolation", ["fever", "breathing", "oxygen", "needs_help"])])
    func theShippedCampaignMenusAreCleanAndListTheirAnswers(_ name: String, _ answers: [String]) throws {
        let path = Self.repository.appendingPathComponent("menus/\(name).yaml").path
        let menu = try MenuLoader.load(yaml: try String(contentsOfFile: path, encoding: .utf8), file: path)
        #expect(menu.inputs == ["contact"])
        #expect(menu.answers == answers)
        #expect(MenuChecker.problems(menu).map(\.description) == [])
    }

    @Test func campaignAnswersMustBeSetByANodeAndNeedTheContact() {
        let yaml = """
            languages: [hi]
            answers: [fever, mood]
            start: ask
            nodes:
              ask:
                menu: {prompt: [q], options: {"1": "yes", "2": "no"}, into: fever, failure: bye}
                next: save
              save:
                action: save_answers
                next: bye
              bye:
                hangup: true
            """
        #expect(Self.problems(yaml) == [
            "m.yaml:2:10: answers are stored for the campaign's contact: the menu needs inputs: [contact] (the dialplan passes ?contact=${HELPLINE_CONTACT})",
            "m.yaml:2:10: answers names 'mood', which no menu, collect or set node sets (a menu's into: or a collect's into:)",
            "m.yaml:9:5: nodes.save uses 'contact', which is not set on every path to it",
        ])
        let twice = yaml.replacingOccurrences(of: "[fever, mood]", with: "[fever, fever]")
        #expect(Self.problems(twice) == ["m.yaml:2:18: answers names 'fever' twice"])
        let none = """
            languages: [hi]
            inputs: [contact]
            start: save
            nodes:
              save:
                action: save_answers
                next: bye
              bye:
                hangup: true
            """
        #expect(Self.problems(none) == ["m.yaml:6:5: nodes.save: save_answers stores the menu's answers, and the menu lists none (add answers: [question, …] at the top)"])
    }

    static let minimal = """
        languages: [hi, en]
        start: a
        nodes:
          a:
            play: [welcome]
            next: b
          b:
            hangup: true

        """

    @Test func aMinimalMenuIsClean() {
        #expect(Self.problems(Self.minimal) == [])
    }

    @Test func unknownNodeReferencesAreReportedWhereTheyAreWritten() {
        let yaml = """
            languages: [hi]
            start: a
            nodes:
              a:
                menu:
                  prompt: [m]
                  options: {"1": b, "2": nowhere}
                  failure: gone
              b:
                hangup: true
            """
        #expect(Self.problems(yaml) == [
            "m.yaml:7:30: nodes.a: unknown node 'nowhere'",
            "m.yaml:8:16: nodes.a: unknown node 'gone'",
        ])
    }

    @Test func anUnknownStartIsReported() {
        #expect(Self.problems(Self.minimal.replacingOccurrences(of: "start: a", with: "start: z")).first == "m.yaml:2:8: start: unknown node 'z'")
    }

    @Test func unreachableNodesAreReported() {
        let yaml = Self.minimal + "  orphan:\n    play: [x]\n    next: b\n"
        #expect(Self.problems(yaml) == ["m.yaml:10:5: nodes.orphan is never reached from start"])
    }

    @Test func loopsWithoutCallerInputAreReported() {
        let yaml = """
            languages: [hi]
            start: a
            nodes:
              a:
                play: [x]
                next: b
              b:
                set: {v: "1"}
                next: a
            """
        #expect(Self.problems(yaml) == ["m.yaml:5:5: nodes a → b → a loop without the caller pressing a key; a silent line would go round forever"])
        // The same loop through a menu waits for the caller: fine.
        let waiting = """
            languages: [hi]
            start: a
            nodes:
              a:
                play: [x]
                next: b
              b:
                menu: {prompt: [m], options: {"1": a}, failure: c}
              c:
                hangup: true
            """
        #expect(Self.problems(waiting) == [])
        // A menu's failure is taken after silence: a loop through it is silent.
        let throughFailure = """
            languages: [hi]
            start: main
            nodes:
              main:
                menu: {prompt: [m], options: {"1": bye}, failure: again}
              again:
                goto: main
              bye:
                hangup: true
            """
        #expect(Self.problems(throughFailure) == ["m.yaml:5:5: nodes main → again → main loop without the caller pressing a key; a silent line would go round forever"])
    }

    @Test func anOutcomeWithNowhereToGoIsReported() {
        let yaml = """
            languages: [hi]
            start: look
            nodes:
              look:
                action: open_tickets
                on: {some: bye}
              bye:
                hangup: true
            """
        #expect(Self.problems(yaml) == ["m.yaml:5:5: nodes.look: outcome 'none' of open_tickets has no node and there is no next"])
    }

    @Test func anOptionHiddenByAShorterOneIsReported() {
        let yaml = Self.minimal.replacingOccurrences(of: "    play: [welcome]\n    next: b", with: "    menu: {prompt: [m], options: {\"1\": b, \"10\": b}, failure: b}")
        #expect(Self.problems(yaml) == ["m.yaml:5:5: nodes.a: option 10 can never be chosen: option 1 is taken as soon as it is pressed"])
    }

    @Test func outputsOfAnActionAreNotSetWhereAFailureFallsThrough() {
        let yaml = """
            languages: [hi]
            start: look
            nodes:
              look:
                action: open_tickets
                next: say
              say:
                say: {digits: "${ticket}"}
                next: bye
              bye:
                hangup: true
            """
        #expect(Self.problems(yaml) == ["m.yaml:8:5: nodes.say uses 'ticket', which is not set on every path to it"])
    }

    @Test func actionsMissingTheirInputsAreReported() {
        let yaml = """
            languages: [hi]
            start: ask
            nodes:
              ask:
                collect: {prompt: [d], min: 2, max: 2, validate: district, into: district, failure: create}
                next: create
              create:
                action: create_ticket
                next: bye
              bye:
                hangup: true
            """
        // category and recording are never set; district is not set on the failure path.
        #expect(Self.problems(yaml) == [
            "m.yaml:8:5: nodes.create uses 'category', which is not set on every path to it",
            "m.yaml:8:5: nodes.create uses 'district', which is not set on every path to it",
            "m.yaml:8:5: nodes.create uses 'recording', which is not set on every path to it",
        ])
    }

    @Test func digitLimitsMustMakeSense() {
        let yaml = Self.minimal.replacingOccurrences(of: "    play: [welcome]\n    next: b", with: "    collect: {prompt: [p], min: 4, max: 2, into: n, failure: b}\n    next: b")
        #expect(Self.problems(yaml) == ["m.yaml:5:33: nodes.a.collect.min (4) is more than max (2)"])
    }

    @Test func aLanguageChoiceOffersOnlyTheMenusLanguages() {
        let yaml = Self.minimal.replacingOccurrences(of: "    play: [welcome]\n    next: b", with: "    language: {prompt: [l], options: {\"1\": hi, \"2\": fr}}\n    next: b")
        #expect(Self.problems(yaml) == ["m.yaml:5:5: nodes.a: option 2 chooses 'fr', which is not among the menu's languages (hi, en)"])
    }

    @Test func structuralMistakesAreReportedAtTheirPlace() {
        let yaml = """
            languages: [hi]
            start: a
            colour: red
            nodes:
              a:
                play: [x]
                goto: b
              b:
                collect: {prompt: [p], min: 4, max: 2, into: 9lives, failure: a}
                next: a
              c:
                action: make_coffee
              d:
                record: {max: 2h, into: r}
                next: a
              e:
                menu: {options: {"1": a, "x": b}, failure: a}
              f:
                say: {loudly: "${ticket}"}
                next: a
              g:
                next: a
            """
        #expect(Self.problems(yaml) == [
            "m.yaml:3:1: unknown key 'colour'; expected one of: name, languages, inputs, answers, start, nodes",
            "m.yaml:7:11: nodes.a does two things ('play' and 'goto'); a node does one, then goes to next",
            "m.yaml:9:50: nodes.b.collect.into: '9lives' is not a variable name (letters, digits and _, starting with a letter)",
            "m.yaml:12:13: nodes.c.action: unknown action 'make_coffee'; expected one of: create_ticket, ticket_status, open_tickets, route, accept_callback, wait_in_queue, submit_feedback, save_answers, seat_login, seat_logout, seat_pause, seat_unpause",
            "m.yaml:14:19: nodes.d.record.max must be between 0 and 30 minutes",
            "m.yaml:17:35: nodes.e.menu.options: 'x' is not a key on a phone (0-9, * or #)",
            "m.yaml:19:11: nodes.f.say: 'loudly' is not a way to say a value; expected digits, number or date",
            "m.yaml:22:5: nodes.g must say what it does: one of play, menu, collect, record, say, set, language, goto, hangup, action",
        ])
    }

    @Test func missingRecordingsAreReportedPerLanguage() throws {
        let sounds = FileManager.default.temporaryDirectory.appendingPathComponent("helpline-sounds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: sounds) }
        for language in ["hi", "en"] { try FileManager.default.createDirectory(at: sounds.appendingPathComponent(language), withIntermediateDirectories: true) }
        try Data().write(to: sounds.appendingPathComponent("hi/welcome.wav"))
        try Data().write(to: sounds.appendingPathComponent("en/welcome.gsm"))
        #expect(Self.problems(Self.minimal, sounds: sounds) == [])
        try FileManager.default.removeItem(at: sounds.appendingPathComponent("en/welcome.gsm"))
        #expect(Self.problems(Self.minimal, sounds: sounds) == [
            "m.yaml:5:5: nodes.a: prompt 'welcome' has no recording for language 'en' (looked for \(sounds.path)/en/welcome.*)",
        ])
    }

    @Test func templatedPromptsAreCheckedForEveryValue() throws {
        let sounds = FileManager.default.temporaryDirectory.appendingPathComponent("helpline-sounds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: sounds) }
        try FileManager.default.createDirectory(at: sounds.appendingPathComponent("hi"), withIntermediateDirectories: true)
        for status in ["registered", "assigned", "resolved", "reopened", "escalated", "closed", "cancelled"] {
            try Data().write(to: sounds.appendingPathComponent("hi/status-\(status).wav"))
        }
        let yaml = """
            languages: [hi]
            start: look
            nodes:
              look:
                action: open_tickets
                on: {some: say, none: bye}
              say:
                play: ["status-${ticket_status}"]
                next: bye
              bye:
                hangup: true
            """
        #expect(Self.problems(yaml, sounds: sounds) == [
            "m.yaml:8:5: nodes.say: prompt 'status-duplicate' has no recording for language 'hi' (looked for \(sounds.path)/hi/status-duplicate.*)",
        ])
    }
}
