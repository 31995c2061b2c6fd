import Foundation
import HelplineApp
import Testing

/// The configuration's keys are declared once, in the reader's key tables
/// (``HelplineConfiguration/keyPaths``): the administrators' manual and the commented sample
/// `deploy/helpline.yaml` are checked against them, so neither can name a key the daemon
/// refuses nor leave one out.
@Suite struct ConfigurationDocumentationTests {
    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    static func text(_ path: String) throws -> String {
        try String(contentsOf: repository.appendingPathComponent(path), encoding: .utf8)
    }

    /// The backticked names in the first cell of each row of the table whose header row is
    /// `header`, in `markdown`.
    static func documentedKeys(_ markdown: String, tableHeader header: String) -> [String] {
        let lines = markdown.components(separatedBy: "\n")
        guard let start = lines.firstIndex(of: header) else { return [] }
        var keys: [String] = []
        for line in lines[(start + 2)...] {
            guard line.hasPrefix("|") else { break }
            let cell = line.split(separator: "|", omittingEmptySubsequences: true).first.map(String.init) ?? ""
            keys += cell.matches(of: /`([^`]+)`/).map { String($0.1) }
        }
        return keys
    }

    static func keys(under prefix: String) -> Set<String> {
        Set(HelplineConfiguration.keyPaths.filter { $0.hasPrefix(prefix + ".") }.map { String($0.dropFirst(prefix.count + 1)) })
    }

    @Test func theManualsMainTableListsEveryKeyOfTheSectionsItCovers() throws {
        let manual = try Self.text("docs/administrators.md")
        let documented = Set(Self.documentedKeys(manual, tableHeader: "| key | default | meaning |"))
        let sections = ["agi", "database", "log", "control", "menus", "routing", "http"]
        var expected = Set(HelplineConfiguration.keyPaths.filter { path in
            sections.contains(String(path.prefix { $0 != "." })) && !path.contains("[]")
        })
        expected.insert("ami.endpoints")  // its entries have a table of their own
        expected.insert("notifications")  // so has this section
        #expect(documented.subtracting(expected).isEmpty, "documented but not read: \(documented.subtracting(expected).sorted())")
        #expect(expected.subtracting(documented).isEmpty, "read but not documented: \(expected.subtracting(documented).sorted())")
    }

    @Test func theManualsTablesOfAMIEndpointsAndNotificationsMatchTheReader() throws {
        let manual = try Self.text("docs/administrators.md")
        // The endpoint table is the first table after the main one with the same header.
        let afterMain = manual.components(separatedBy: "Each entry of `ami.endpoints` is one Asterisk server").dropFirst().joined()
        let endpoint = Set(Self.documentedKeys(afterMain, tableHeader: "| key | default | meaning |"))
        #expect(endpoint == Self.keys(under: "ami.endpoints[]"))

        let notifications = Set(Self.documentedKeys(manual, tableHeader: "| key (under `notifications`) | default | meaning |"))
        var expected = Self.keys(under: "notifications").filter { !$0.hasPrefix("webhooks.*.") }
        expected.remove("sms")
        expected.remove("webhooks")
        expected.insert("webhooks.DEPARTMENT")
        #expect(notifications.subtracting(expected).isEmpty, "documented but not read: \(notifications.subtracting(expected).sorted())")
        #expect(expected.subtracting(notifications).isEmpty, "read but not documented: \(expected.subtracting(notifications).sorted())")
    }

    @Test func theSampleFileNamesEveryKeyInItsSection() throws {
        let sample = try Self.text("deploy/helpline.yaml").components(separatedBy: "\n")
        var missing: [String] = []
        for path in HelplineConfiguration.keyPaths {
            let section = String(path.prefix { $0 != "." })
            let leaf = String(path.split(separator: ".").last!)
            guard let start = sample.firstIndex(where: { $0.hasPrefix(section + ":") }) else {
                missing.append(path)
                continue
            }
            let end = sample[(start + 1)...].firstIndex { line in
                guard let first = line.first else { return false }
                return first != " " && first != "#"
            } ?? sample.endIndex
            // Set or shown commented out, as `key:` or a flow mapping's `key: …`.
            let named = sample[start..<end].contains { line in
                line.range(of: #"^[ #-]*(\{\s*)?"# + NSRegularExpression.escapedPattern(for: leaf) + ":", options: .regularExpression) != nil
                    || line.contains("{\(leaf):") || line.contains(", \(leaf):")
            }
            if !named { missing.append(path) }
        }
        #expect(missing.isEmpty, "keys deploy/helpline.yaml does not show in their section: \(missing)")
    }

    @Test func everyKeyPathIsReadAndAnUnknownOneIsRefused() throws {
        #expect(HelplineConfiguration.keyPaths.count > 60)
        #expect(Set(HelplineConfiguration.keyPaths).count == HelplineConfiguration.keyPaths.count, "no key is declared twice")
        #expect(throws: ConfigurationError.self) { try HelplineConfiguration(yaml: "agi:\n  listne: 127.0.0.1:4573\n", file: "t.yaml") }
        let configuration = try HelplineConfiguration(yaml: "agi:\n  listen: 127.0.0.1:4600\n  allow: [10.0.0.0/8]\nhttp:\n  listen: 127.0.0.1:8090\n", file: "t.yaml")
        #expect(configuration.agi.port == 4600 && configuration.http.port == 8090 && configuration.agi.allowList.count == 1)
    }
}
