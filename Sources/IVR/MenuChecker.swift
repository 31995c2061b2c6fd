public import Foundation
public import YAMLSupport

/// Checks a loaded call flow as a whole, the way `helpline menus check` reports it.
///
/// - every node named (start, next, options, failure, outcomes, goto) exists;
/// - every node can be reached from start;
/// - no loop can repeat without waiting for the caller (it would spin forever);
/// - every action, `say` and `set` has the variables it uses set on every path to it;
/// - language choices offer only the menu's languages;
/// - a campaign menu's `answers` are each set by a node, and it takes the `contact` input;
/// - with a sounds folder: every prompt has a recording in every language of the menu.
public enum MenuChecker {
    /// Variables every call has from the start.
    public static let predefined: Set<String> = ["caller", "dnid", "uniqueid", "language"]

    /// File extensions Asterisk plays a prompt from.
    public static let soundExtensions = ["wav", "gsm", "ulaw", "alaw", "sln", "sln16", "g722", "wav16", "g729"]

    /// The problems of `menu`, in file order; `sounds` is Asterisk's sounds folder with one
    /// folder per language (`sounds/hi/main-menu.wav`).
    public static func problems(_ menu: Menu, sounds: URL? = nil) -> [YAMLProblem] {
        var problems: [YAMLProblem] = []
        func problem(_ position: SourcePosition, _ message: String) {
            problems.append(YAMLProblem(file: menu.file, line: position.line, column: position.column, message: message))
        }
        let nodes = menu.nodes.values.sorted { $0.position < $1.position }

        // Languages.
        var seen: Set<String> = []
        for language in menu.languages where !seen.insert(language).inserted {
            problem(menu.startPosition, "language '\(language)' is listed twice in languages")
        }

        // References.
        if menu.nodes[menu.start] == nil {
            problem(menu.startPosition, "start: unknown node '\(menu.start)'")
        }
        for node in nodes {
            for target in Set(node.successors) where menu.nodes[target] == nil {
                problem(node.referencePositions[target] ?? node.position, "nodes.\(node.id): unknown node '\(target)'")
            }
            if case .language(let choice) = node.kind {
                for (digit, language) in choice.options.sorted(by: { $0.key < $1.key }) where !menu.languages.contains(language) {
                    problem(node.position, "nodes.\(node.id): option \(digit) chooses '\(language)', which is not among the menu's languages (\(menu.languages.joined(separator: ", ")))")
                }
            }
            if case .action(let action) = node.kind, node.next == nil {
                // Outcomes that leave the menu for the queue: a route without a branch for the
                // callback offer sends the call to the queue.
                let handOff: Set<String> = switch action.kind {
                case .route: ["queue", "callback_offer"]
                case .waitInQueue: ["queue"]
                default: []
                }
                for outcome in action.kind.outcomes where action.outcomes[outcome] == nil && !handOff.contains(outcome) {
                    problem(node.position, "nodes.\(node.id): outcome '\(outcome)' of \(action.kind.rawValue) has no node and there is no next")
                }
            }
            if case .menu(let choice) = node.kind {
                for option in choice.options.keys.sorted() where option.count > 1 {
                    for shorter in (1..<option.count).map({ String(option.prefix($0)) }) where choice.options[shorter] != nil {
                        problem(node.position, "nodes.\(node.id): option \(option) can never be chosen: option \(shorter) is taken as soon as it is pressed")
                    }
                }
            }
            if node.next == nil, node.successors.isEmpty {
                switch node.kind {
                case .hangup: break
                case .action(let action) where action.kind == .route || action.kind == .waitInQueue: break  // hands the call to the dialplan
                default: problem(node.position, "nodes.\(node.id) has no next: say where the call goes, or end it with hangup")
                }
            }
        }

        // Campaign answers.
        if !menu.answers.isEmpty {
            let position = menu.answersPosition ?? menu.startPosition
            var setByNodes: Set<String> = []
            for node in nodes {
                switch node.kind {
                case .menu(let choice): if let variable = choice.variable { setByNodes.insert(variable) }
                case .collect(let collect): setByNodes.insert(collect.variable)
                case .set(let variable, _): setByNodes.insert(variable)
                default: break
                }
            }
            for answer in menu.answers where !setByNodes.contains(answer) {
                problem(position, "answers names '\(answer)', which no menu, collect or set node sets (a menu's into: or a collect's into:)")
            }
            if !menu.inputs.contains("contact") {
                problem(position, "answers are stored for the campaign's contact: the menu needs inputs: [contact] (the dialplan passes ?contact=${HELPLINE_CONTACT})")
            }
        }
        for node in nodes {
            if case .action(let action) = node.kind, action.kind == .saveAnswers, menu.answers.isEmpty {
                problem(node.position, "nodes.\(node.id): save_answers stores the menu's answers, and the menu lists none (add answers: [question, …] at the top)")
            }
        }

        // Reachability.
        var reached: Set<String> = []
        var queue = menu.nodes[menu.start] == nil ? [] : [menu.start]
        while let id = queue.popLast() {
            guard reached.insert(id).inserted, let node = menu.nodes[id] else { continue }
            queue += node.successors.filter { menu.nodes[$0] != nil }
        }
        for node in nodes where !reached.contains(node.id) {
            problem(node.position, "nodes.\(node.id) is never reached from start")
        }

        // Loops without caller input: cycles among nodes that do not wait for the caller.
        for cycle in silentCycles(menu) {
            let first = cycle.min { menu.nodes[$0]!.position < menu.nodes[$1]!.position }!
            let ordered = Array(cycle[cycle.firstIndex(of: first)!...] + cycle[..<cycle.firstIndex(of: first)!])
            problem(menu.nodes[first]!.position, "nodes \(ordered.joined(separator: " → ")) → \(first) loop without the caller pressing a key; a silent line would go round forever")
        }

        // Variables set on every path.
        let setAtEntry = definitelySet(menu, reached: reached)
        for node in nodes where reached.contains(node.id) {
            let available = setAtEntry[node.id] ?? []
            for variable in uses(node).sorted() where !available.contains(variable) {
                problem(node.position, "nodes.\(node.id) uses '\(variable)', which is not set on every path to it")
            }
        }

        // Prompt recordings.
        if let sounds {
            let fileManager = FileManager.default
            for node in nodes {
                for prompt in Set(node.prompts.flatMap(expand)).sorted() {
                    for language in menu.languages {
                        let found = soundExtensions.contains { fileManager.fileExists(atPath: sounds.appendingPathComponent(language).appendingPathComponent("\(prompt).\($0)").path) }
                        if !found {
                            problem(node.position, "nodes.\(node.id): prompt '\(prompt)' has no recording for language '\(language)' (looked for \(sounds.appendingPathComponent(language).appendingPathComponent(prompt).path).*)")
                        }
                    }
                }
            }
        }
        return problems.sorted { ($0.line, $0.column, $0.message) < ($1.line, $1.column, $1.message) }
    }

    /// The variables a node reads.
    static func uses(_ node: MenuNode) -> Set<String> {
        switch node.kind {
        case .action(let action): Set(action.kind.inputs)
        case .say(let say): references(in: say.value)
        case .set(_, let value): references(in: value)
        default: node.prompts.reduce(into: Set<String>()) { $0.formUnion(references(in: $1)) }
        }
    }

    /// The prompt names a templated prompt can become (`status-${ticket_status}` → one per
    /// status); a template over a variable without known values is not checked.
    static func expand(_ prompt: String) -> [String] {
        var names = [prompt]
        for variable in references(in: prompt) {
            guard let values = Action.Kind.knownValues[variable] else { return [] }
            names = names.flatMap { name in values.map { name.replacingOccurrences(of: "${\(variable)}", with: $0) } }
        }
        return names
    }

    /// The `${name}` references in a template (none when a `${` is not closed; the loader
    /// reports that).
    static func references(in text: String) -> Set<String> {
        Set(Placeholders.names(in: text) ?? [])
    }

    /// The successors of a node with the variables each edge sets: a collect or record sets its
    /// variable only on the way to next (not to failure); an action sets its outputs only on
    /// next and its success outcomes.
    static func edges(_ node: MenuNode) -> [(target: String, sets: Set<String>)] {
        var edges: [(String, Set<String>)] = []
        switch node.kind {
        case .collect(let collect):
            if let failure = collect.retrying.failure { edges.append((failure, [])) }
            if let next = node.next { edges.append((next, [collect.variable])) }
        case .record(let record):
            if let next = node.next { edges.append((next, [record.variable])) }
        case .set(let variable, _):
            if let next = node.next { edges.append((next, [variable])) }
        case .menu(let choice) where choice.variable != nil:
            if let failure = choice.retrying.failure { edges.append((failure, [])) }
            if let next = node.next { edges.append((next, [choice.variable!])) }
        case .action(let action):
            // A callback offer comes with the queue the caller may keep waiting in.
            let success: Set<String> = ["found", "some", "queue", "callback_offer"]
            for (outcome, target) in action.outcomes {
                edges.append((target, success.contains(outcome) ? Set(action.kind.outputs) : []))
            }
            // Next is also taken for an outcome without its own node: the outputs are set
            // there only when every other outcome has one.
            let unmappedFailures = action.kind.outcomes.filter { !success.contains($0) && action.outcomes[$0] == nil }
            if let next = node.next { edges.append((next, unmappedFailures.isEmpty ? Set(action.kind.outputs) : [])) }
        default:
            for target in node.successors { edges.append((target, [])) }
        }
        return edges
    }

    /// For each reached node, the variables set on every path from start to it.
    static func definitelySet(_ menu: Menu, reached: Set<String>) -> [String: Set<String>] {
        var entry: [String: Set<String>] = [:]  // missing = not yet reached by the analysis (top)
        entry[menu.start] = predefined.union(menu.inputs)
        var changed = true
        while changed {
            changed = false
            for id in reached.sorted() {
                guard let node = menu.nodes[id], let available = entry[id] else { continue }
                for (target, sets) in edges(node) where menu.nodes[target] != nil {
                    let out = available.union(sets)
                    let merged = entry[target].map { $0.intersection(out) } ?? out
                    if entry[target] != merged {
                        entry[target] = merged
                        changed = true
                    }
                }
            }
        }
        return entry
    }

    /// The nodes a call can go to from `node` without the caller pressing a key: every
    /// successor of nodes that do not wait, and the failure (after silence), the language
    /// choice's next and the recording's next of those that do.
    static func silentSuccessors(_ node: MenuNode) -> [String] {
        switch node.kind {
        case .menu(let choice): return [choice.retrying.failure].compactMap { $0 }
        case .collect(let collect): return [collect.retrying.failure].compactMap { $0 }
        case .language(let choice): return [choice.retrying.failure, node.next].compactMap { $0 }
        default: return node.successors
        }
    }

    /// Cycles a call can go round without the caller pressing a key, each once, as node ids in order.
    static func silentCycles(_ menu: Menu) -> [[String]] {
        var cycles: [[String]] = []
        var reported: Set<String> = []
        for start in menu.nodes.keys.sorted() where !reported.contains(start) {
            // Depth-first search for a path from start back to start along silent edges.
            var stack: [(id: String, path: [String])] = [(start, [start])]
            var visited: Set<String> = []
            search: while let (id, path) = stack.popLast() {
                guard let node = menu.nodes[id] else { continue }
                for target in silentSuccessors(node) where menu.nodes[target] != nil {
                    if target == start {
                        cycles.append(path)
                        reported.formUnion(path)
                        break search
                    }
                    if !reported.contains(target), visited.insert(target).inserted { stack.append((target, path + [target])) }
                }
            }
        }
        return cycles
    }
}
