import Foundation
public import YAMLSupport
import Yams

/// Reads call-flow files (`menus/*.yaml`, documented in `menus/README.md`).
///
/// Every problem in a file is reported, each at its line and column. The checks that need the
/// whole flow (unknown references, unreachable nodes, loops without caller input, actions
/// missing their inputs, missing prompt files) are ``MenuChecker``'s.
public enum MenuLoader {
    /// Reads a flow from YAML text; `file` names it in problems, and its base name is the
    /// flow's default name.
    public static func load(yaml: String, file: String) throws(YAMLProblems) -> Menu {
        var parser = Parser(reader: YAMLReader(file: file))
        var menu = Menu(
            name: URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent, file: file, languages: [],
            start: "", startPosition: SourcePosition(line: 1, column: 1), nodes: [:])
        parser.collect { parser throws(YAMLProblem) in
            guard let root = try parser.reader.compose(yaml) else {
                throw YAMLProblem(file: file, line: 1, column: 1, message: "the menu is empty; it needs languages, start and nodes")
            }
            try parser.parse(root, into: &menu)
        }
        guard parser.problems.isEmpty else {
            throw YAMLProblems(problems: parser.problems.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        return menu
    }

    struct Parser {
        let reader: YAMLReader
        var problems: [YAMLProblem] = []

        mutating func collect(_ body: (inout Parser) throws(YAMLProblem) -> Void) {
            do {
                try body(&self)
            } catch {
                problems.append(error)
            }
        }

        static func position(_ node: Node) -> SourcePosition {
            SourcePosition(line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        }

        mutating func parse(_ root: Node, into menu: inout Menu) throws(YAMLProblem) {
            let reader = reader
            var nodesNode: Node?
            var sawStart = false
            var sawLanguages = false
            try reader.mapping(root, path: "") { key, value throws(YAMLProblem) in
                switch key {
                case "name":
                    let name = try reader.string(value, path: "name")
                    guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                        throw reader.error(value, "name must be letters, digits, - or _ (it is the FastAGI script path), not '\(name)'")
                    }
                    menu.name = name
                case "languages":
                    menu.languages = try reader.sequence(value, path: "languages").map { item throws(YAMLProblem) in try reader.string(item, path: "languages") }
                    guard !menu.languages.isEmpty else { throw reader.error(value, "languages must name at least one language") }
                    sawLanguages = true
                case "inputs":
                    for item in try reader.sequence(value, path: "inputs") {
                        let name = try reader.string(item, path: "inputs")
                        try Self.checkVariableName(reader, item, name, path: "inputs")
                        menu.inputs.append(name)
                    }
                case "answers":
                    menu.answersPosition = Self.position(value)
                    for item in try reader.sequence(value, path: "answers") {
                        let name = try reader.string(item, path: "answers")
                        try Self.checkVariableName(reader, item, name, path: "answers")
                        guard !menu.answers.contains(name) else { throw reader.error(item, "answers names '\(name)' twice") }
                        menu.answers.append(name)
                    }
                case "start":
                    menu.start = try reader.string(value, path: "start")
                    menu.startPosition = Self.position(value)
                    sawStart = true
                case "nodes":
                    nodesNode = value
                default:
                    // Reported, and the rest of the file still read.
                    problems.append(reader.unknownKey(value, path: key, known: ["name", "languages", "inputs", "answers", "start", "nodes"]))
                }
            }
            if !sawLanguages { problems.append(reader.error(root, "the menu needs languages, like [hi, en]")) }
            if !sawStart { problems.append(reader.error(root, "the menu needs start, the first node of a call")) }
            guard let nodesNode else { throw reader.error(root, "the menu needs nodes") }
            guard let mapping = nodesNode.mapping else { throw reader.error(nodesNode, "nodes must be a mapping of node ids to nodes") }
            for (key, value) in mapping {
                guard let id = key.scalar?.string, !id.isEmpty else {
                    problems.append(reader.error(key, "node ids must be plain strings"))
                    continue
                }
                collect { parser throws(YAMLProblem) in menu.nodes[id] = try parser.node(id, value) }
            }
        }

        static let kinds = ["play", "menu", "collect", "record", "say", "set", "language", "goto", "hangup", "action"]

        func node(_ id: String, _ value: Node) throws(YAMLProblem) -> MenuNode {
            let reader = reader
            var kindKey: (String, Node)?
            var next: String?
            var outcomes: [String: String] = [:]
            var references: [String: SourcePosition] = [:]
            try reader.mapping(value, path: "nodes.\(id)") { key, item throws(YAMLProblem) in
                let path = "nodes.\(id).\(key)"
                switch key {
                case "next":
                    next = try reader.string(item, path: path)
                    references[next!] = references[next!] ?? Self.position(item)
                case "on":
                    try reader.mapping(item, path: path) { outcome, target throws(YAMLProblem) in
                        let name = try reader.string(target, path: "\(path).\(outcome)")
                        outcomes[outcome] = name
                        references[name] = references[name] ?? Self.position(target)
                    }
                case _ where Self.kinds.contains(key):
                    if let (other, _) = kindKey { throw reader.error(item, "nodes.\(id) does two things ('\(other)' and '\(key)'); a node does one, then goes to next") }
                    kindKey = (key, item)
                default:
                    throw reader.unknownKey(item, path: path, known: Self.kinds + ["next", "on"])
                }
            }
            guard let (kindName, kindNode) = kindKey else {
                throw reader.error(value, "nodes.\(id) must say what it does: one of \(Self.kinds.joined(separator: ", "))")
            }
            let path = "nodes.\(id).\(kindName)"
            let kind: MenuNode.Kind
            switch kindName {
            case "play":
                kind = .play(try prompts(kindNode, path: path))
            case "menu", "language":
                let choice = try self.choice(kindNode, path: path, references: &references, language: kindName == "language")
                kind = kindName == "menu" ? .menu(choice) : .language(choice)
            case "collect":
                kind = .collect(try collect(kindNode, path: path, references: &references))
            case "record":
                kind = .record(try record(kindNode, path: path))
            case "say":
                kind = .say(try say(kindNode, path: path))
            case "set":
                guard let mapping = kindNode.mapping, mapping.count == 1, let (key, valueNode) = mapping.first.map({ ($0.key, $0.value) }), let variable = key.scalar?.string else {
                    throw reader.error(kindNode, "\(path) must set one variable, like {category: water-supply}")
                }
                try Self.checkVariableName(reader, key, variable, path: path)
                kind = .set(variable: variable, value: try reader.string(valueNode, path: "\(path).\(variable)"))
            case "goto":
                let target = try reader.string(kindNode, path: path)
                references[target] = references[target] ?? Self.position(kindNode)
                kind = .goto(target)
            case "hangup":
                guard try reader.boolean(kindNode, path: path) else { throw reader.error(kindNode, "\(path) must be true (leave the key out otherwise)") }
                kind = .hangup
            default:  // action
                let name = try reader.string(kindNode, path: path)
                guard let action = Action.Kind(rawValue: name) else {
                    throw reader.error(kindNode, "\(path): unknown action '\(name)'; expected one of: \(Action.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                for outcome in outcomes.keys where !action.outcomes.contains(outcome) {
                    throw reader.error(value, "nodes.\(id).on.\(outcome): '\(name)' has no outcome '\(outcome)'; it has: \(action.outcomes.isEmpty ? "none (use next)" : action.outcomes.joined(separator: ", "))")
                }
                kind = .action(Action(kind: action, outcomes: outcomes))
            }
            if case .menu(let choice) = kind, choice.variable != nil, next == nil {
                throw reader.error(value, "nodes.\(id) chooses a value into '\(choice.variable!)'; it needs next")
            }
            if !outcomes.isEmpty, kindName != "action" {
                throw reader.error(value, "nodes.\(id).on is for action nodes only")
            }
            if case .hangup = kind, next != nil { throw reader.error(value, "nodes.\(id) hangs up; it cannot have a next") }
            if case .goto = kind, next != nil { throw reader.error(value, "nodes.\(id) is a goto; it cannot also have a next") }
            return MenuNode(id: id, kind: kind, next: next, position: Self.position(value), referencePositions: references)
        }

        func prompts(_ node: Node, path: String) throws(YAMLProblem) -> [String] {
            try reader.sequence(node, path: path).map { item throws(YAMLProblem) in
                let prompt = try reader.string(item, path: path)
                guard !prompt.isEmpty, !prompt.contains(" "), !prompt.hasPrefix("/"), !prompt.contains("..") else {
                    throw reader.error(item, "\(path): '\(prompt)' is not a prompt name (a sound file name without language folder or extension, like main-menu)")
                }
                return prompt
            }
        }

        static func checkVariableName(_ reader: YAMLReader, _ node: Node, _ name: String, path: String) throws(YAMLProblem) {
            guard let first = name.first, first.isLetter, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw reader.error(node, "\(path): '\(name)' is not a variable name (letters, digits and _, starting with a letter)")
            }
        }

        func timeout(_ node: Node?, path: String, default value: Duration) throws(YAMLProblem) -> Duration {
            guard let node else { return value }
            let duration = try reader.duration(node, path: path)
            guard duration > .zero, duration <= .seconds(120) else { throw reader.error(node, "\(path) must be between 0 and 2 minutes") }
            return duration
        }

        func fields(_ node: Node, path: String, known: [String]) throws(YAMLProblem) -> [String: Node] {
            var fields: [String: Node] = [:]
            try reader.mapping(node, path: path) { key, value throws(YAMLProblem) in
                guard known.contains(key) else { throw reader.unknownKey(value, path: "\(path).\(key)", known: known) }
                fields[key] = value
            }
            return fields
        }

        func choice(_ node: Node, path: String, references: inout [String: SourcePosition], language: Bool) throws(YAMLProblem) -> Choice {
            let f = try fields(node, path: path, known: ["prompt", "options", "timeout", "inter_digit_timeout", "retries", "invalid", "no_input", "failure"] + (language ? [] : ["into"]))
            var variable: String?
            if let intoNode = f["into"] {
                variable = try reader.string(intoNode, path: "\(path).into")
                try Self.checkVariableName(reader, intoNode, variable!, path: "\(path).into")
            }
            guard let optionsNode = f["options"] else { throw reader.error(node, "\(path) needs options, like {\"1\": register, \"2\": status}") }
            var options: [String: String] = [:]
            try reader.mapping(optionsNode, path: "\(path).options") { digits, target throws(YAMLProblem) in
                guard !digits.isEmpty, digits.allSatisfy({ "0123456789*#".contains($0) }) else {
                    throw reader.error(target, "\(path).options: '\(digits)' is not a key on a phone (0-9, * or #)")
                }
                let name = try reader.string(target, path: "\(path).options.\(digits)")
                options[digits] = name
                if !language, variable == nil { references[name] = references[name] ?? Self.position(target) }
            }
            let asking = try retrying(f, node, path: path, references: &references, failureRequired: !language, firstDigit: .seconds(5), interDigit: .seconds(2))
            return Choice(prompts: asking.prompts, options: options, retrying: asking.retrying, variable: variable)
        }

        /// A waiting node's `prompt`, and its `failure`, `timeout`, `inter_digit_timeout`,
        /// `retries`, `invalid` and `no_input` with their defaults.
        func retrying(
            _ f: [String: Node], _ node: Node, path: String, references: inout [String: SourcePosition], failureRequired: Bool,
            firstDigit: Duration, interDigit: Duration
        ) throws(YAMLProblem) -> (prompts: [String], retrying: Retrying) {
            let failure = try f["failure"].map { item throws(YAMLProblem) in try reader.string(item, path: "\(path).failure") }
            if let failure, let item = f["failure"] { references[failure] = references[failure] ?? Self.position(item) }
            if failureRequired, failure == nil { throw reader.error(node, "\(path) needs failure: the node a caller goes to after the retries") }
            let asked = try f["prompt"].map { item throws(YAMLProblem) in try prompts(item, path: "\(path).prompt") } ?? []
            let retrying = Retrying(
                firstDigitTimeout: try timeout(f["timeout"], path: "\(path).timeout", default: firstDigit),
                interDigitTimeout: try timeout(f["inter_digit_timeout"], path: "\(path).inter_digit_timeout", default: interDigit),
                retries: try f["retries"].map { item throws(YAMLProblem) in try reader.integer(item, path: "\(path).retries", in: 0...9) } ?? 2,
                invalidPrompts: try f["invalid"].map { item throws(YAMLProblem) in try prompts(item, path: "\(path).invalid") } ?? [],
                timeoutPrompts: try f["no_input"].map { item throws(YAMLProblem) in try prompts(item, path: "\(path).no_input") } ?? [],
                failure: failure)
            return (asked, retrying)
        }

        func collect(_ node: Node, path: String, references: inout [String: SourcePosition]) throws(YAMLProblem) -> Collect {
            let f = try fields(node, path: path, known: ["prompt", "min", "max", "terminator", "validate", "into", "timeout", "inter_digit_timeout", "retries", "invalid", "no_input", "failure"])
            guard let intoNode = f["into"] else { throw reader.error(node, "\(path) needs into: the variable that receives the digits") }
            let variable = try reader.string(intoNode, path: "\(path).into")
            try Self.checkVariableName(reader, intoNode, variable, path: "\(path).into")
            let minimum = try f["min"].map { item throws(YAMLProblem) in try reader.integer(item, path: "\(path).min", in: 1...32) } ?? 1
            let maximum = try f["max"].map { item throws(YAMLProblem) in try reader.integer(item, path: "\(path).max", in: 1...32) } ?? 32
            if minimum > maximum, let item = f["min"] { throw reader.error(item, "\(path).min (\(minimum)) is more than max (\(maximum))") }
            var terminator: Character? = "#"
            if let item = f["terminator"] {
                let text = try reader.string(item, path: "\(path).terminator")
                guard text.isEmpty || (text.count == 1 && "#*".contains(text)) else { throw reader.error(item, "\(path).terminator must be # or * (or \"\" for none), not '\(text)'") }
                terminator = text.first
            }
            var validation = Collect.Validation.none
            if let item = f["validate"] {
                let text = try reader.string(item, path: "\(path).validate")
                guard let parsed = Collect.Validation(rawValue: text) else {
                    throw reader.error(item, "\(path).validate: unknown validation '\(text)'; expected one of: \(Collect.Validation.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                validation = parsed
            }
            let asking = try retrying(f, node, path: path, references: &references, failureRequired: true, firstDigit: .seconds(6), interDigit: .seconds(3))
            return Collect(
                prompts: asking.prompts, minimumDigits: minimum, maximumDigits: maximum, terminator: terminator, validation: validation, variable: variable,
                retrying: asking.retrying)
        }

        func record(_ node: Node, path: String) throws(YAMLProblem) -> Record {
            let f = try fields(node, path: path, known: ["prompt", "max", "beep", "silence", "folder", "format", "into"])
            guard let intoNode = f["into"] else { throw reader.error(node, "\(path) needs into: the variable that receives the recording's path") }
            let variable = try reader.string(intoNode, path: "\(path).into")
            try Self.checkVariableName(reader, intoNode, variable, path: "\(path).into")
            let maximum = try f["max"].map { item throws(YAMLProblem) in try reader.duration(item, path: "\(path).max") } ?? .seconds(120)
            if maximum <= .zero || maximum > .seconds(1800), let item = f["max"] { throw reader.error(item, "\(path).max must be between 0 and 30 minutes") }
            let format = try f["format"].map { item throws(YAMLProblem) in try reader.string(item, path: "\(path).format") } ?? "wav"
            guard ["wav", "gsm", "ulaw", "alaw", "sln", "wav49", "g722"].contains(format) else {
                throw reader.error(f["format"]!, "\(path).format must be a format Asterisk records: wav, gsm, ulaw, alaw, sln, wav49 or g722")
            }
            let folder = try f["folder"].map { item throws(YAMLProblem) in try reader.string(item, path: "\(path).folder") } ?? "helpline/recordings"
            if folder.contains(".."), let item = f["folder"] { throw reader.error(item, "\(path).folder must not contain ..") }
            return Record(
                prompts: try f["prompt"].map { item throws(YAMLProblem) in try prompts(item, path: "\(path).prompt") } ?? [],
                maximumDuration: maximum, beep: try f["beep"].map { item throws(YAMLProblem) in try reader.boolean(item, path: "\(path).beep") } ?? true,
                silence: try f["silence"].map { item throws(YAMLProblem) in try reader.duration(item, path: "\(path).silence") } ?? .seconds(5),
                folder: folder, format: format, variable: variable)
        }

        func say(_ node: Node, path: String) throws(YAMLProblem) -> Say {
            guard let mapping = node.mapping, mapping.count == 1, let entry = mapping.first, let key = entry.key.scalar?.string else {
                throw reader.error(node, "\(path) must be one of {digits: …}, {number: …}, {date: …}")
            }
            guard let style = Say.Style(rawValue: key) else {
                throw reader.error(entry.key, "\(path): '\(key)' is not a way to say a value; expected digits, number or date")
            }
            return Say(style: style, value: try reader.string(entry.value, path: "\(path).\(key)"))
        }
    }
}
