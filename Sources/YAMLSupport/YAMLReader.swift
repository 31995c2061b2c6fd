import Synchronization
public import Yams

/// A problem in a YAML file, with the place it was found (1-based line and column).
public struct YAMLProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file (or `--flag`) the problem is in.
    public var file: String
    /// The 1-based line.
    public var line: Int
    /// The 1-based column.
    public var column: Int
    /// What is wrong, naming the key.
    public var message: String

    /// Creates a problem report.
    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `FILE:LINE:COLUMN: message`, the form editors and CI logs link to.
    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// Several problems found in one file, in file order.
public struct YAMLProblems: Error, Sendable, CustomStringConvertible {
    /// The problems.
    public var problems: [YAMLProblem]

    /// Problems to report together.
    public init(problems: [YAMLProblem]) {
        self.problems = problems
    }

    /// One line per problem.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Walks a composed YAML tree, turning every mistake into a ``YAMLProblem`` at its node.
public struct YAMLReader: Sendable {
    /// The file name used in problems.
    public let file: String
    /// Where each value's key is, so an unknown key is reported at the key, not its value.
    private let keyPositions = KeyPositions()

    /// A reader for `file`.
    public init(file: String) {
        self.file = file
    }

    /// Parses `yaml` into a node tree (nil for an empty document), with YAML syntax errors
    /// reported at their line and column.
    public func compose(_ yaml: String) throws(YAMLProblem) -> Node? {
        do {
            return try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            switch error {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                .composer(let context, let problem, let mark, _):
                let detail = context.map { "\(problem) (\($0.text))" } ?? problem
                throw YAMLProblem(file: file, line: mark.line, column: mark.column, message: "YAML error: \(detail)")
            case .duplicatedKeysInMapping(let duplicates, let context):
                throw YAMLProblem(file: file, line: context.mark.line, column: context.mark.column, message: "duplicate keys: \(duplicates.joined(separator: ", "))")
            default:
                throw YAMLProblem(file: file, line: 1, column: 1, message: "YAML error: \(error)")
            }
        } catch {
            throw YAMLProblem(file: file, line: 1, column: 1, message: "\(error)")
        }
    }

    /// A problem at `node`.
    public func error(_ node: Node, _ message: String) -> YAMLProblem {
        YAMLProblem(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1, message: message)
    }

    /// An unknown key whose value is `node` (reported at the key when ``mapping(_:path:_:)``
    /// read it), listing the keys allowed there.
    public func unknownKey(_ node: Node, path: String, known: [String]) -> YAMLProblem {
        let message = "unknown key '\(path)'; expected one of: \(known.joined(separator: ", "))"
        if let mark = node.mark, let key = keyPositions.key(of: SourcePosition(line: mark.line, column: mark.column)) {
            return YAMLProblem(file: file, line: key.line, column: key.column, message: message)
        }
        return error(node, message)
    }

    /// Calls `body` with each key and value of a mapping.
    public func mapping(_ node: Node, path: String, _ body: (String, Node) throws(YAMLProblem) -> Void) throws(YAMLProblem) {
        guard let mapping = node.mapping else {
            throw error(node, "\(path.isEmpty ? "the top level" : path) must be a mapping of keys to values")
        }
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { throw error(key, "keys must be plain strings") }
            if let keyMark = key.mark, let valueMark = value.mark {
                keyPositions.record(value: SourcePosition(line: valueMark.line, column: valueMark.column), key: SourcePosition(line: keyMark.line, column: keyMark.column))
            }
            try body(name, value)
        }
    }

    /// The items of a list; a single value is a list of one.
    public func sequence(_ node: Node, path: String) throws(YAMLProblem) -> [Node] {
        if let sequence = node.sequence { return Array(sequence) }
        if node.scalar != nil { return [node] }
        throw error(node, "\(path) must be a list")
    }

    /// A single value.
    public func string(_ node: Node, path: String) throws(YAMLProblem) -> String {
        guard let scalar = node.scalar else { throw error(node, "\(path) must be a single value, not a list or mapping") }
        return scalar.string
    }

    /// A single value that must not be empty.
    public func nonEmptyString(_ node: Node, path: String) throws(YAMLProblem) -> String {
        let text = try string(node, path: path)
        if text.isEmpty { throw error(node, "\(path) must not be empty") }
        return text
    }

    /// A whole number in `range`.
    public func integer(_ node: Node, path: String, in range: ClosedRange<Int>) throws(YAMLProblem) -> Int {
        let text = try string(node, path: path)
        guard let value = Int(text) else { throw error(node, "\(path) must be a whole number, not '\(text)'") }
        guard range.contains(value) else { throw error(node, "\(path) must be between \(range.lowerBound) and \(range.upperBound), not \(value)") }
        return value
    }

    /// `true` or `false` (also `yes`/`no`).
    public func boolean(_ node: Node, path: String) throws(YAMLProblem) -> Bool {
        let text = try string(node, path: path)
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(node, "\(path) must be true or false, not '\(text)'")
        }
    }

    /// A duration: seconds as a number, or a number with `ms`, `s`, `m` or `h`.
    public func duration(_ node: Node, path: String) throws(YAMLProblem) -> Duration {
        let text = try string(node, path: path)
        guard let duration = parseDuration(text) else {
            throw error(node, "\(path) must be a duration such as 5, \"5s\", \"250ms\" or \"2m\", not '\(text)'")
        }
        return duration
    }
}

/// Parses `5`, `1.5`, `250ms`, `5s`, `2m`, `1h` into a duration.
public func parseDuration(_ text: String) -> Duration? {
    let text = String(text.trimmingSpaces)
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
    var number = Substring(text)
    var scale = 1.0
    for (suffix, factor) in units where text.hasSuffix(suffix) {
        number = text.dropLast(suffix.count)
        scale = factor
        break
    }
    // Up to a year: anything longer is a typing error, and larger values would not fit.
    guard let value = Double(number.trimmingSpaces), value >= 0, value.isFinite, value * scale <= 31_536_000 else { return nil }
    return .milliseconds(Int64((value * scale * 1000).rounded()))
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    public var trimmingSpaces: Substring {
        let scalars = Substring(self)
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return scalars[first...last]
    }
}

/// A line and column in a YAML file (1-based), as problems and menu nodes report them.
public struct SourcePosition: Hashable, Sendable, Comparable {
    /// 1-based line.
    public var line: Int
    /// 1-based column.
    public var column: Int

    /// A position.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool { (a.line, a.column) < (b.line, b.column) }
}

/// Keys' positions by their values' positions, filled as mappings are read.
final class KeyPositions: Sendable {
    private let positions = Mutex<[SourcePosition: SourcePosition]>([:])

    func record(value: SourcePosition, key: SourcePosition) {
        positions.withLock { $0[value] = key }
    }

    func key(of value: SourcePosition) -> SourcePosition? {
        positions.withLock { $0[value] }
    }
}
