import Foundation
import Testing

/// The borders between the modules (docs/developers.md, "Modules"), read from the sources:
/// every `import` of every file under `Sources/` must be one its module may make.
///
/// The rules behind the table: the protocol libraries (`AGIServer`, `AMIClient`) know no
/// persistence, policy or application; `HelplineDomain` and `Routing` are pure (no database,
/// no wire, no clock of their own); `Store` knows no wire; no library imports the application
/// (`HelplineApp`), which only the executable (`HelplineCLI`) imports.
@Suite struct ModuleBordersTests {
    /// Modules of the toolchain that any module may import, and `TimeSupport` (durations,
    /// back-off, windows of local time: Foundation only, nothing of helplines).
    static let system: Set<String> = ["Foundation", "Dispatch", "Synchronization", "Glibc", "Darwin", "Musl", "_Concurrency", "TimeSupport"]

    static let libraries: Set<String> = ["AGIServer", "AMIClient", "YAMLSupport", "TimeSupport", "HelplineDomain", "Routing", "Store", "IVR", "HTTPAPI"]

    /// What each module under `Sources/` may import besides ``system``.
    static let allowed: [String: Set<String>] = [
        "AGIServer": ["NIOCore", "NIOPosix", "Logging", "Metrics", "CoreMetrics", "ServiceLifecycle"],
        "AMIClient": ["NIOCore", "NIOPosix", "Logging", "Metrics", "CoreMetrics", "Crypto", "ServiceLifecycle"],
        "TimeSupport": [],
        "YAMLSupport": ["Yams"],
        "HelplineDomain": [],
        "Routing": ["HelplineDomain", "YAMLSupport", "Yams"],
        "Store": ["HelplineDomain", "GRDB"],
        "IVR": ["AGIServer", "YAMLSupport", "Yams"],
        "HTTPAPI": [
            "AGIServer", "AMIClient", "HelplineDomain", "Routing", "Store",
            "Hummingbird", "HummingbirdBcrypt", "NIOCore", "Logging", "Metrics", "CoreMetrics", "Prometheus", "ServiceLifecycle", "Crypto",
        ],
        "HelplineApp": libraries.union([
            "NIOCore", "NIOPosix", "Logging", "Metrics", "CoreMetrics", "Prometheus", "ServiceLifecycle", "UnixSignals",
            "Yams", "AsyncHTTPClient",
        ]),
        "AsteriskFakes": ["AGIServer", "AMIClient", "NIOCore", "NIOPosix", "Crypto"],
        "HelplineCLI": libraries.union(["HelplineApp", "AsteriskFakes", "ArgumentParser", "NIOCore", "Logging", "Metrics", "Prometheus", "ServiceLifecycle"]),
    ]

    /// One `import` line of a source file.
    struct Import: CustomStringConvertible {
        var module: String
        var imported: String
        var file: String
        var line: Int
        var description: String { "\(file):\(line): \(module) imports \(imported)" }
    }

    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/HelplineTests/ModuleBordersTests.swift -> repo
        return url
    }()

    /// Every import of every Swift file under `Sources/`, by module (the folder under `Sources/`).
    static func imports() throws -> [Import] {
        let sources = repository.appendingPathComponent("Sources")
        let pattern = /^(?:@\w+\s+)*(?:public\s+|package\s+|internal\s+|private\s+|fileprivate\s+)?import\s+(?:(?:struct|class|enum|protocol|func|var|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)/
        var result: [Import] = []
        for module in try FileManager.default.contentsOfDirectory(atPath: sources.path).sorted() where !module.hasPrefix(".") {
            let folder = sources.appendingPathComponent(module)
            guard let walker = FileManager.default.enumerator(atPath: folder.path) else { continue }
            for case let relative as String in walker where relative.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(relative), encoding: .utf8)
                for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    guard let match = line.firstMatch(of: pattern) else { continue }
                    result.append(Import(module: module, imported: String(match.1), file: "Sources/\(module)/\(relative)", line: index + 1))
                }
            }
        }
        return result
    }

    /// The imports that cross a border the table does not open.
    static func crossings(_ imports: [Import]) -> [Import] {
        imports.filter { item in
            guard let allowed = allowed[item.module] else { return false }
            return !system.contains(item.imported) && !allowed.contains(item.imported)
        }
    }

    @Test func everyImportIsOneItsModuleMayMake() throws {
        let imports = try Self.imports()
        #expect(imports.count > 100, "the sources' imports were read (\(imports.count))")
        let crossings = Self.crossings(imports)
        #expect(crossings.isEmpty, "imports across a border:\n\(crossings.map(\.description).joined(separator: "\n"))")
    }

    @Test func aForbiddenImportIsFound() {
        let imports = [
            Import(module: "Routing", imported: "Store", file: "Sources/Routing/X.swift", line: 2),
            Import(module: "Store", imported: "NIOCore", file: "Sources/Store/Y.swift", line: 1),
            Import(module: "Store", imported: "Foundation", file: "Sources/Store/Y.swift", line: 2),
            Import(module: "HTTPAPI", imported: "HelplineApp", file: "Sources/HTTPAPI/Z.swift", line: 3),
            Import(module: "HelplineCLI", imported: "HelplineApp", file: "Sources/HelplineCLI/W.swift", line: 1),
        ]
        #expect(Self.crossings(imports).map(\.description) == [
            "Sources/Routing/X.swift:2: Routing imports Store",
            "Sources/Store/Y.swift:1: Store imports NIOCore",
            "Sources/HTTPAPI/Z.swift:3: HTTPAPI imports HelplineApp",
        ])
    }

    @Test func everyModuleHasItsBordersDeclared() throws {
        let modules = Set(try Self.imports().map(\.module))
        let undeclared = modules.subtracting(Self.allowed.keys)
        #expect(undeclared.isEmpty, "modules under Sources/ with no entry in ModuleBordersTests.allowed: \(undeclared.sorted())")
        #expect(modules.isSuperset(of: ["AGIServer", "AMIClient", "HelplineDomain", "Routing", "Store", "HelplineApp", "HelplineCLI"]))
    }

    /// The rules the table encodes, checked on the table itself, so that widening it to let a
    /// forbidden import through fails here too.
    @Test func theTableKeepsTheDesignsRules() {
        let persistence: Set<String> = ["Store", "GRDB", "PostgresNIO"]
        let wire: Set<String> = ["NIOCore", "NIOPosix", "AGIServer", "AMIClient", "Hummingbird", "AsyncHTTPClient"]
        let policyAndApp: Set<String> = ["Routing", "IVR", "HTTPAPI", "HelplineApp", "HelplineCLI"]
        for module in ["AGIServer", "AMIClient", "AsteriskFakes"] {
            #expect(Self.allowed[module]!.isDisjoint(with: persistence.union(policyAndApp)), "\(module) knows no persistence, policy or application")
        }
        for (module, allowed) in Self.allowed where !["HelplineCLI", "AsteriskFakes"].contains(module) {
            #expect(!allowed.contains("AsteriskFakes"), "\(module) must not link the test peers")
        }
        for module in ["HelplineDomain", "Routing", "TimeSupport"] {
            #expect(Self.allowed[module]!.isDisjoint(with: persistence.union(wire).union(policyAndApp)), "\(module) is pure")
        }
        #expect(Self.allowed["Store"]!.isDisjoint(with: wire.union(policyAndApp)), "Store knows no wire")
        for (module, allowed) in Self.allowed where module != "HelplineCLI" {
            #expect(!allowed.contains("HelplineApp") && !allowed.contains("HelplineCLI"), "\(module) must not import the application")
        }
    }
}

/// The repository checks out on a case-insensitive file system (macOS's default).
@Suite struct RepositoryLayoutTests {
    /// Paths under `root` (relative), build folders and git's own left out.
    static func paths(under root: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var result: [String] = []
        for case let relative as String in walker {
            let first = relative.split(separator: "/").first.map(String.init) ?? relative
            if first == ".git" || first.hasPrefix(".build") || first == ".swiftpm" || relative.contains("/.build") {
                walker.skipDescendants()
                continue
            }
            result.append(relative)
        }
        return result
    }

    /// Paths that differ from another only by case, grouped.
    static func caseCollisions(_ paths: [String]) -> [[String]] {
        Dictionary(grouping: paths, by: { $0.lowercased() }).values.filter { $0.count > 1 }.map { $0.sorted() }.sorted { $0[0] < $1[0] }
    }

    @Test func noTwoPathsDifferOnlyByCase() {
        let paths = Self.paths(under: ModuleBordersTests.repository)
        #expect(paths.contains("Sources/HelplineApp") && paths.contains("Sources/HelplineCLI"), "the repository was walked")
        let collisions = Self.caseCollisions(paths)
        #expect(collisions.isEmpty, "paths that are one path on a case-insensitive file system: \(collisions)")
    }

    @Test func theCheckFindsACollision() {
        #expect(Self.caseCollisions(["Sources/Helpline/A.swift", "Sources/helpline/B.swift", "Sources/Helpline", "Sources/helpline", "README.md"])
            == [["Sources/Helpline", "Sources/helpline"]])
    }

    @Test func noStrayFilesAtTheTop() throws {
        let top = try FileManager.default.contentsOfDirectory(atPath: ModuleBordersTests.repository.path)
        let odd = top.filter { name in name.contains(" ") || name.hasSuffix("#") || name.hasSuffix("~") }
        #expect(odd.isEmpty, "stray files at the repository's top: \(odd)")
    }
}
