import Foundation
import HelplineDomain
import TimeSupport
public import YAMLSupport
import Yams

/// Reads the directory file administrators edit (`deploy/directory.yaml` is a commented
/// example) and checks every reference in it.
///
/// Every problem is reported, not just the first, each as `FILE:LINE:COLUMN: message`:
/// YAML syntax, unknown keys, wrong types, a category or officer naming an unknown department,
/// an officer naming an unknown district, a department queue not declared for its PBX, a PBX
/// without a general queue, and a department with no L1 officer for some district.
public enum DirectoryLoader {
    /// Loads and validates a directory from YAML text; `file` names it in problems.
    public static func load(yaml: String, file: String) throws(YAMLProblems) -> Directory {
        var parser = Parser(reader: YAMLReader(file: file))
        parser.collect { parser throws(YAMLProblem) in
            guard let root = try parser.reader.compose(yaml) else {
                throw YAMLProblem(file: file, line: 1, column: 1, message: "the directory is empty; it needs pbxs, departments, categories, districts and officers")
            }
            try parser.parse(root)
        }
        if parser.problems.isEmpty { parser.validate() }
        guard parser.problems.isEmpty else {
            throw YAMLProblems(problems: parser.problems.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        return Directory(
            departments: parser.departments.values.map(\.value), categories: parser.categories.values.map(\.value),
            districts: parser.districts.values.map(\.value), officers: parser.officers.values.map(\.value),
            generalQueues: parser.generalQueues, policy: parser.policy)
    }

    /// Loads a directory file.
    public static func load(contentsOf path: String) throws(YAMLProblems) -> Directory {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw YAMLProblems(problems: [YAMLProblem(file: path, line: 1, column: 1, message: "cannot read the directory file: \(error.localizedDescription)")])
        }
        return try load(yaml: text, file: path)
    }

    /// A parsed item with the node it came from, for problems found later.
    struct Located<Value> {
        var value: Value
        var node: Node
    }

    struct Parser {
        let reader: YAMLReader
        var problems: [YAMLProblem] = []
        var policy = RoutingPolicy()
        var generalQueues: [String: String] = [:]
        var declaredQueues: [String: Set<String>] = [:]
        /// Every department id the file names, parsed or not: a reference to one is not "unknown".
        var departmentIDs: Set<String> = []
        var departments: [String: Located<Department>] = [:]
        var categories: [String: Located<Routing.Category>] = [:]
        var districts: [String: Located<District>] = [:]
        var officers: [String: Located<Officer>] = [:]

        init(reader: YAMLReader) {
            self.reader = reader
        }

        /// Runs `body`, keeping its problem and going on, so one file reports every mistake.
        mutating func collect(_ body: (inout Parser) throws(YAMLProblem) -> Void) {
            do {
                try body(&self)
            } catch {
                problems.append(error)
            }
        }

        mutating func parse(_ root: Node) throws(YAMLProblem) {
            var sections: [String: Node] = [:]
            try reader.mapping(root, path: "") { key, value throws(YAMLProblem) in
                guard ["policy", "pbxs", "departments", "categories", "districts", "officers"].contains(key) else {
                    throw reader.unknownKey(value, path: key, known: ["policy", "pbxs", "departments", "categories", "districts", "officers"])
                }
                sections[key] = value
            }
            for required in ["pbxs", "departments", "categories", "districts", "officers"] where sections[required] == nil {
                problems.append(YAMLProblem(file: reader.file, line: root.mark?.line ?? 1, column: root.mark?.column ?? 1, message: "the directory has no '\(required)' section"))
            }
            if let node = sections["policy"] { collect { parser throws(YAMLProblem) in try parser.parsePolicy(node) } }
            if let node = sections["pbxs"] { collect { parser throws(YAMLProblem) in try parser.parsePBXs(node) } }
            if let node = sections["districts"] { collect { parser throws(YAMLProblem) in try parser.parseDistricts(node) } }
            if let node = sections["departments"] { collect { parser throws(YAMLProblem) in try parser.parseDepartments(node) } }
            if let node = sections["categories"] { collect { parser throws(YAMLProblem) in try parser.parseCategories(node) } }
            if let node = sections["officers"] { collect { parser throws(YAMLProblem) in try parser.parseOfficers(node) } }
        }

        mutating func parsePolicy(_ node: Node) throws(YAMLProblem) {
            let reader = reader
            var policy = self.policy
            try reader.mapping(node, path: "policy") { key, value throws(YAMLProblem) in
                let path = "policy." + key
                switch key {
                case "callback_after": policy.callbackAfterSeconds = try reader.duration(value, path: path).seconds
                case "stale_after": policy.staleAfterSeconds = try reader.duration(value, path: path).seconds
                case "default_talk_time": policy.defaultTalkSeconds = try reader.duration(value, path: path).seconds
                case "normal_priority": policy.normalPriority = try reader.integer(value, path: path, in: 0...1000)
                case "emergency_priority": policy.emergencyPriority = try reader.integer(value, path: path, in: 0...1000)
                case "utc_offset": policy.utcOffset = try Self.utcOffset(reader, value, path: path)
                default:
                    throw reader.unknownKey(value, path: path, known: ["callback_after", "stale_after", "default_talk_time", "normal_priority", "emergency_priority", "utc_offset"])
                }
            }
            self.policy = policy
        }

        static func utcOffset(_ reader: YAMLReader, _ node: Node, path: String) throws(YAMLProblem) -> Int {
            let text = try reader.string(node, path: path)
            let sign = text.hasPrefix("-") ? -1 : 1
            let parts = text.drop { $0 == "+" || $0 == "-" }.split(separator: ":")
            guard text.first == "+" || text.first == "-", parts.count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]), (0...14).contains(hours), (0...59).contains(minutes) else {
                throw reader.error(node, "\(path) must be like \"+05:30\" or \"-03:00\", not '\(text)'")
            }
            return sign * (hours * 3600 + minutes * 60)
        }

        mutating func parsePBXs(_ node: Node) throws(YAMLProblem) {
            guard let mapping = node.mapping else { throw reader.error(node, "pbxs must be a mapping of PBX names to their queues") }
            for (key, value) in mapping {
                guard let pbx = key.scalar?.string else {
                    problems.append(reader.error(key, "PBX names must be plain strings"))
                    continue
                }
                // Declared even when its entry has a problem, so references to it do not cascade.
                declaredQueues[pbx] = []
                collect { parser throws(YAMLProblem) in
                    let reader = parser.reader
                    var general: String?
                    var queues: Set<String> = []
                    try reader.mapping(value, path: "pbxs.\(pbx)") { key, item throws(YAMLProblem) in
                        let path = "pbxs.\(pbx).\(key)"
                        switch key {
                        case "general_queue": general = try reader.string(item, path: path)
                        case "queues":
                            for queue in try reader.sequence(item, path: path) { queues.insert(try reader.string(queue, path: path)) }
                        default: throw reader.unknownKey(item, path: path, known: ["general_queue", "queues"])
                        }
                    }
                    parser.declaredQueues[pbx] = queues.union(general.map { [$0] } ?? [])
                    guard let general else { throw reader.error(value, "pbxs.\(pbx) needs a general_queue for calls without a department") }
                    parser.generalQueues[pbx] = general
                }
            }
        }

        mutating func parseDistricts(_ node: Node) throws(YAMLProblem) {
            guard let mapping = node.mapping else { throw reader.error(node, "districts must be a mapping of district codes to districts") }
            for (key, value) in mapping {
                guard let code = key.scalar?.string else {
                    problems.append(reader.error(key, "district codes must be plain strings"))
                    continue
                }
                collect { parser throws(YAMLProblem) in
                    let reader = parser.reader
                    guard !code.isEmpty, code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber) else {
                        throw reader.error(key, "district codes are keyed on a phone: digits only, not '\(code)' (quote codes with leading zeros: \"07\")")
                    }
                    var district = District(code: code)
                    try reader.mapping(value, path: "districts.\(code)") { field, item throws(YAMLProblem) in
                        guard field == "names" else { throw reader.unknownKey(item, path: "districts.\(code).\(field)", known: ["names"]) }
                        district.names = try Self.names(reader, item, path: "districts.\(code).names")
                    }
                    parser.districts[code] = Located(value: district, node: value)
                }
            }
        }

        static func names(_ reader: YAMLReader, _ node: Node, path: String) throws(YAMLProblem) -> [String: String] {
            var names: [String: String] = [:]
            try reader.mapping(node, path: path) { language, value throws(YAMLProblem) in
                names[language] = try reader.string(value, path: "\(path).\(language)")
            }
            return names
        }

        mutating func parseDepartments(_ node: Node) throws(YAMLProblem) {
            guard let mapping = node.mapping else { throw reader.error(node, "departments must be a mapping of department ids to departments") }
            for (key, value) in mapping {
                guard let id = key.scalar?.string else {
                    problems.append(reader.error(key, "department ids must be plain strings"))
                    continue
                }
                departmentIDs.insert(id)
                collect { parser throws(YAMLProblem) in parser.departments[id] = Located(value: try parser.department(id, value), node: value) }
            }
        }

        func department(_ id: String, _ node: Node) throws(YAMLProblem) -> Department {
            let reader = reader
            var department = Department(id: id, queues: [:])
            let known = ["names", "queues", "sla_hours", "hours", "callback_after"]
            try reader.mapping(node, path: "departments.\(id)") { key, value throws(YAMLProblem) in
                let path = "departments.\(id).\(key)"
                switch key {
                case "names": department.names = try Self.names(reader, value, path: path)
                case "queues":
                    try reader.mapping(value, path: path) { pbx, item throws(YAMLProblem) in
                        let itemPath = "\(path).\(pbx)"
                        guard let declared = declaredQueues[pbx] else {
                            throw reader.error(item, "\(itemPath): unknown PBX '\(pbx)'; the pbxs section declares: \(declaredQueues.keys.sorted().joined(separator: ", "))")
                        }
                        var primary: String?
                        var overflow: String?
                        try reader.mapping(item, path: itemPath) { field, queueNode throws(YAMLProblem) in
                            guard field == "queue" || field == "overflow" else { throw reader.unknownKey(queueNode, path: "\(itemPath).\(field)", known: ["queue", "overflow"]) }
                            let queue = try reader.string(queueNode, path: "\(itemPath).\(field)")
                            guard declared.contains(queue) else {
                                throw reader.error(queueNode, "\(itemPath).\(field): unknown queue '\(queue)' on PBX '\(pbx)'; declare it under pbxs.\(pbx).queues")
                            }
                            if field == "queue" { primary = queue } else { overflow = queue }
                        }
                        guard let primary else { throw reader.error(item, "\(itemPath) needs a queue") }
                        if overflow == primary { throw reader.error(item, "\(itemPath): the overflow queue must differ from the queue") }
                        department.queues[pbx] = DepartmentQueues(primary: primary, overflow: overflow)
                    }
                case "sla_hours":
                    try reader.mapping(value, path: path) { level, hours throws(YAMLProblem) in
                        guard let parsed = TicketLevel(rawValue: level.uppercased()) else { throw reader.unknownKey(hours, path: "\(path).\(level)", known: ["L1", "L2"]) }
                        department.slaHours[parsed] = try reader.integer(hours, path: "\(path).\(level)", in: 1...8760)
                    }
                case "hours": department.openingHours = try Self.openingHours(reader, value, path: path)
                case "callback_after": department.callbackAfterSeconds = try reader.duration(value, path: path).seconds
                default: throw reader.unknownKey(value, path: path, known: known)
                }
            }
            return department
        }

        static let weekdays = ["mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7]

        /// `mon-fri: "09:00-17:00"`, `sat: ["09:00-13:00", "14:00-16:00"]`.
        static func openingHours(_ reader: YAMLReader, _ node: Node, path: String) throws(YAMLProblem) -> OpeningHours {
            var days: [Int: [Range<Int>]] = [:]
            try reader.mapping(node, path: path) { key, value throws(YAMLProblem) in
                let bounds = key.lowercased().split(separator: "-").map(String.init)
                guard (1...2).contains(bounds.count), let first = weekdays[bounds[0]], let last = weekdays[bounds.last!], first <= last else {
                    throw reader.error(value, "\(path): '\(key)' is not a day or a range of days like mon, sat or mon-fri")
                }
                for interval in try reader.sequence(value, path: "\(path).\(key)") {
                    let text = try reader.string(interval, path: "\(path).\(key)")
                    guard let range = LocalTimeWindow(text)?.minutes else {
                        throw reader.error(interval, "\(path).\(key): '\(text)' is not a time range like \"09:00-17:00\"")
                    }
                    for day in first...last { days[day, default: []].append(range) }
                }
            }
            return OpeningHours(days: days)
        }

        mutating func parseCategories(_ node: Node) throws(YAMLProblem) {
            guard let mapping = node.mapping else { throw reader.error(node, "categories must be a mapping of category ids to categories") }
            for (key, value) in mapping {
                guard let id = key.scalar?.string else {
                    problems.append(reader.error(key, "category ids must be plain strings"))
                    continue
                }
                collect { parser throws(YAMLProblem) in
                    let reader = parser.reader
                    var department: String?
                    var emergency = false
                    var names: [String: String] = [:]
                    try reader.mapping(value, path: "categories.\(id)") { field, item throws(YAMLProblem) in
                        let path = "categories.\(id).\(field)"
                        switch field {
                        case "department":
                            let name = try reader.string(item, path: path)
                            guard parser.departmentIDs.contains(name) else { throw reader.error(item, "\(path): unknown department '\(name)'") }
                            department = name
                        case "emergency": emergency = try reader.boolean(item, path: path)
                        case "names": names = try Self.names(reader, item, path: path)
                        default: throw reader.unknownKey(item, path: path, known: ["department", "emergency", "names"])
                        }
                    }
                    guard let department else { throw reader.error(value, "categories.\(id) needs a department") }
                    parser.categories[id] = Located(value: Routing.Category(id: id, department: department, emergency: emergency, names: names), node: value)
                }
            }
        }

        mutating func parseOfficers(_ node: Node) throws(YAMLProblem) {
            guard let mapping = node.mapping else { throw reader.error(node, "officers must be a mapping of officer ids to officers") }
            for (key, value) in mapping {
                guard let id = key.scalar?.string else {
                    problems.append(reader.error(key, "officer ids must be plain strings"))
                    continue
                }
                collect { parser throws(YAMLProblem) in
                    let reader = parser.reader
                    var officer = Officer(id: id, name: id, department: "", level: .l1)
                    var hasDepartment = false
                    var hasLevel = false
                    try reader.mapping(value, path: "officers.\(id)") { field, item throws(YAMLProblem) in
                        let path = "officers.\(id).\(field)"
                        switch field {
                        case "name": officer.name = try reader.string(item, path: path)
                        case "department":
                            let name = try reader.string(item, path: path)
                            guard parser.departmentIDs.contains(name) else { throw reader.error(item, "\(path): unknown department '\(name)'") }
                            officer.department = name
                            hasDepartment = true
                        case "level":
                            let text = try reader.string(item, path: path)
                            guard let level = TicketLevel(rawValue: text.uppercased()) else { throw reader.error(item, "\(path) must be L1 or L2, not '\(text)'") }
                            officer.level = level
                            hasLevel = true
                        case "districts":
                            var codes: Set<String> = []
                            for codeNode in try reader.sequence(item, path: path) {
                                let code = try reader.string(codeNode, path: path)
                                guard parser.districts[code] != nil else { throw reader.error(codeNode, "\(path): unknown district '\(code)'") }
                                codes.insert(code)
                            }
                            officer.districts = codes
                        case "phone": officer.phone = try reader.string(item, path: path)
                        case "email": officer.email = try reader.string(item, path: path)
                        default: throw reader.unknownKey(item, path: path, known: ["name", "department", "level", "districts", "phone", "email"])
                        }
                    }
                    guard hasDepartment, hasLevel else { throw reader.error(value, "officers.\(id) needs a department and a level (L1 or L2)") }
                    parser.officers[id] = Located(value: officer, node: value)
                }
            }
        }

        /// Checks what only the whole directory shows: every department has an L1 officer for
        /// every district.
        mutating func validate() {
            let allDistricts = Set(districts.keys)
            for (id, department) in departments.sorted(by: { $0.key < $1.key }) {
                var covered: Set<String> = []
                for officer in officers.values.map(\.value) where officer.department == id && officer.level == .l1 {
                    covered.formUnion(officer.districts ?? allDistricts)
                }
                let missing = allDistricts.subtracting(covered).sorted()
                if !missing.isEmpty {
                    problems.append(reader.error(department.node, "department '\(id)' has no L1 officer for district\(missing.count == 1 ? "" : "s") \(missing.prefix(20).joined(separator: ", "))\(missing.count > 20 ? " and \(missing.count - 20) more" : "")"))
                }
            }
        }
    }
}
