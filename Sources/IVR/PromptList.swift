import Foundation
public import YAMLSupport

/// What each prompt says in one language (`menus/prompts/hi.yaml`): the script studio
/// recordings are made from, and what `helpline prompts synth` speaks for placeholders.
public struct PromptList: Sendable {
    /// The language code (`hi`, `en`, `vi`).
    public var language: String
    /// Prompt name → text.
    public var texts: [String: String]
    /// The file it was read from.
    public var file: String

    /// Reads a prompt list; every problem is reported at its line and column.
    public static func load(yaml: String, file: String) throws(YAMLProblems) -> PromptList {
        let reader = YAMLReader(file: file)
        var list = PromptList(language: "", texts: [:], file: file)
        do throws(YAMLProblem) {
            guard let root = try reader.compose(yaml) else {
                throw YAMLProblem(file: file, line: 1, column: 1, message: "the prompt list is empty; it needs language and prompts")
            }
            try reader.mapping(root, path: "") { key, value throws(YAMLProblem) in
                switch key {
                case "language": list.language = try reader.nonEmptyString(value, path: "language")
                case "prompts":
                    try reader.mapping(value, path: "prompts") { name, text throws(YAMLProblem) in
                        list.texts[name] = try reader.nonEmptyString(text, path: "prompts.\(name)")
                    }
                default: throw reader.unknownKey(value, path: key, known: ["language", "prompts"])
                }
            }
            if list.language.isEmpty { throw reader.error(root, "the prompt list needs language, like hi") }
        } catch {
            throw YAMLProblems(problems: [error])
        }
        return list
    }

    /// Every prompt list in `folder` by language, and the problems found reading them.
    public static func loadAll(folder: String) -> (lists: [String: PromptList], problems: [YAMLProblem]) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return ([:], []) }
        var lists: [String: PromptList] = [:]
        var problems: [YAMLProblem] = []
        for entry in entries.sorted() where entry.hasSuffix(".yaml") || entry.hasSuffix(".yml") {
            let path = folder + "/" + entry
            do {
                let list = try load(yaml: try String(contentsOfFile: path, encoding: .utf8), file: path)
                if let other = lists[list.language] {
                    problems.append(YAMLProblem(file: path, line: 1, column: 1, message: "language '\(list.language)' already has a prompt list: \(other.file)"))
                }
                lists[list.language] = list
            } catch let error as YAMLProblems {
                problems += error.problems
            } catch {
                problems.append(YAMLProblem(file: path, line: 1, column: 1, message: "cannot read: \(error.localizedDescription)"))
            }
        }
        return (lists, problems)
    }

    /// The problems of a menu against the prompt lists: a language without a list, or a
    /// prompt without a text in some language.
    public static func problems(_ menu: Menu, lists: [String: PromptList], folder: String) -> [YAMLProblem] {
        var problems: [YAMLProblem] = []
        for language in menu.languages where lists[language] == nil {
            problems.append(YAMLProblem(file: menu.file, line: menu.startPosition.line, column: 1, message: "no prompt list for language '\(language)' (\(folder)/\(language).yaml)"))
        }
        for node in menu.nodes.values.sorted(by: { $0.position < $1.position }) {
            for prompt in Set(node.prompts.flatMap(MenuChecker.expand)).sorted() {
                for language in menu.languages {
                    guard let list = lists[language], list.texts[prompt] == nil else { continue }
                    problems.append(YAMLProblem(
                        file: menu.file, line: node.position.line, column: node.position.column,
                        message: "nodes.\(node.id): prompt '\(prompt)' has no text in \(list.file)"))
                }
            }
        }
        return problems
    }
}
