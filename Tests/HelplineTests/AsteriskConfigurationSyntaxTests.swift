import Foundation
import Testing

/// The shipped `asterisk-conf/*.conf` files read as Asterisk's config parser (main/config.c)
/// reads them. A line outside any `[category]` made a real Asterisk 22.10.1 refuse the whole
/// shipped extensions.conf ("No category context for line 12", pbx_config declined to load)
/// while a test that searched the text for `[globals]` passed on a comment.
@Suite struct AsteriskConfigurationSyntaxTests {
    static let folder: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("asterisk-conf")
    }()

    /// One setting line: its category, the name before `=` or `=>`, the value, and its line number.
    struct Setting {
        var category: String
        var name: String
        var value: String
        var line: Int
    }

    /// The settings of a file, or the problems Asterisk would have with it.
    static func read(_ text: String, file: String) -> (settings: [Setting], problems: [String]) {
        var settings: [Setting] = []
        var problems: [String] = []
        var category: String?
        var inBlockComment = false
        for (index, raw) in text.components(separatedBy: "\n").enumerated() {
            let number = index + 1
            var line = Substring(raw)
            if inBlockComment {
                guard let end = line.range(of: "--;") else { continue }
                line = line[end.upperBound...]
                inBlockComment = false
            }
            if let start = line.range(of: ";--") {
                inBlockComment = !line[start.upperBound...].contains("--;")
                line = line[..<start.lowerBound]
            }
            // A ';' starts a comment unless escaped as '\;'.
            var kept = ""
            var escaped = false
            for character in line {
                if character == ";" && !escaped { break }
                escaped = character == "\\"
                kept.append(character)
            }
            let trimmed = kept.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#include") || trimmed.hasPrefix("#exec") || trimmed.hasPrefix("#tryinclude") { continue }
            if trimmed.hasPrefix("[") {
                guard let close = trimmed.firstIndex(of: "]") else {
                    problems.append("\(file):\(number): a category without its closing ']'")
                    continue
                }
                let rest = trimmed[trimmed.index(after: close)...]
                if !rest.isEmpty && !(rest.hasPrefix("(") && rest.hasSuffix(")")) {
                    problems.append("\(file):\(number): text after the category name: '\(rest)'")
                }
                category = String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
                continue
            }
            guard let category else {
                problems.append("\(file):\(number): no category for this line (Asterisk: No category context for line \(number))")
                continue
            }
            guard let equals = trimmed.firstIndex(of: "=") else {
                problems.append("\(file):\(number): no '=' in '\(trimmed)'")
                continue
            }
            var value = trimmed[trimmed.index(after: equals)...]
            if value.hasPrefix(">") { value = value.dropFirst() }
            settings.append(Setting(category: category, name: trimmed[..<equals].trimmingCharacters(in: .whitespaces),
                                    value: value.trimmingCharacters(in: .whitespaces), line: number))
        }
        return (settings, problems)
    }

    /// Asterisk's files; `system.conf` is DAHDI's (/etc/dahdi/system.conf, read by dahdi_cfg,
    /// plain `key=value` lines without categories).
    static func files() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".conf") && $0 != "system.conf" }.sorted()
    }

    @Test(arguments: try files())
    func everyShippedFileParses(file: String) throws {
        let text = try String(contentsOf: Self.folder.appendingPathComponent(file), encoding: .utf8)
        let (settings, problems) = Self.read(text, file: file)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        #expect(!settings.isEmpty)
    }

    /// The dialplan has what the daemon relies on: the trunk in [globals], the contexts its
    /// outbound calls and scripts name, and no `same =>` without an `exten =>` before it.
    @Test func theDialplanHasTheGlobalsAndContextsTheDaemonUses() throws {
        let text = try String(contentsOf: Self.folder.appendingPathComponent("extensions.conf"), encoding: .utf8)
        let (settings, problems) = Self.read(text, file: "extensions.conf")
        #expect(problems.isEmpty)
        #expect(settings.contains { $0.category == "globals" && $0.name == "HELPLINE_TRUNK" && !$0.value.isEmpty })
        let contexts = Set(settings.map(\.category))
        for context in ["helpline-in", "helpline-health", "helpline-feedback", "helpline-callback", "helpline-campaign", "helpline-outbound", "helpline-seats"] {
            #expect(contexts.contains(context), "no [\(context)]")
        }
        var previous: Setting?
        for setting in settings where setting.category != "globals" {
            if setting.name == "same" {
                #expect(previous?.category == setting.category && ["exten", "same"].contains(previous?.name ?? ""),
                        "extensions.conf:\(setting.line): 'same =>' without an 'exten =>' before it in [\(setting.category)]")
            } else {
                #expect(["exten", "include", "switch", "ignorepat"].contains(setting.name), "extensions.conf:\(setting.line): '\(setting.name)' is not a dialplan line")
            }
            previous = setting
        }
    }

    /// The check itself catches the mistake the shipped file had.
    @Test func aLineBeforeTheFirstCategoryIsAProblem() {
        let (_, problems) = Self.read("; comment\nHELPLINE_TRUNK=DAHDI/g1\n\n[helpline-in]. For E1/PRI spans\nexten => 1076,1,Answer()\n", file: "x.conf")
        #expect(problems == [
            "x.conf:2: no category for this line (Asterisk: No category context for line 2)",
            "x.conf:4: text after the category name: '. For E1/PRI spans'",
        ])
    }
}
