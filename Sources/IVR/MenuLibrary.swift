import Foundation
public import YAMLSupport

/// Every call flow of a folder, loaded and checked together: what the daemon serves and what
/// `helpline menus check` reports on.
public struct MenuLibrary: Sendable {
    /// The menus by name.
    public var menus: [String: Menu]
    /// The files read.
    public var files: [String]
    /// Every problem found, by file then position.
    public var problems: [YAMLProblem]
    /// How many files had no problem.
    public var cleanFiles: Int

    /// No menus.
    public init() {
        menus = [:]
        files = []
        problems = []
        cleanFiles = 0
    }

    /// Reads and checks every `.yaml` file in `folder` (two files may not share a menu name);
    /// when `folder/prompts` holds prompt lists, every prompt needs a text in each of its
    /// menu's languages; with `sounds`, also a recording. Throws only when the folder cannot
    /// be read.
    public static func load(folder: String, sounds: String? = nil) throws -> MenuLibrary {
        let url = URL(fileURLWithPath: folder)
        let entries = try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "yaml" || $0.pathExtension == "yml" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        var library = MenuLibrary()
        var owners: [String: String] = [:]
        let promptFolder = folder.hasSuffix("/") ? folder + "prompts" : folder + "/prompts"
        let hasPromptLists = FileManager.default.fileExists(atPath: promptFolder)
        let (lists, listProblems) = hasPromptLists ? PromptList.loadAll(folder: promptFolder) : ([:], [])
        library.problems += listProblems
        for entry in entries {
            let path = folder.hasSuffix("/") ? folder + entry.lastPathComponent : folder + "/" + entry.lastPathComponent
            library.files.append(path)
            do {
                let menu = try MenuLoader.load(yaml: try String(contentsOf: entry, encoding: .utf8), file: path)
                var found = MenuChecker.problems(menu, sounds: sounds.map { URL(fileURLWithPath: $0) })
                if hasPromptLists { found += PromptList.problems(menu, lists: lists, folder: promptFolder) }
                if let other = owners[menu.name] {
                    found.append(YAMLProblem(file: path, line: 1, column: 1, message: "menu name '\(menu.name)' is already used by \(other)"))
                }
                owners[menu.name] = path
                library.problems += found
                if found.isEmpty {
                    library.cleanFiles += 1
                    library.menus[menu.name] = menu
                }
            } catch let error as YAMLProblems {
                library.problems += error.problems
            } catch {
                library.problems.append(YAMLProblem(file: path, line: 1, column: 1, message: "cannot read: \(error.localizedDescription)"))
            }
        }
        return library
    }
}
