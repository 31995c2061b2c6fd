import ArgumentParser
import Foundation
import IVR
import YAMLSupport

/// `helpline menus`: call flows, for menu authors.
struct Menus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the call flows.",
        subcommands: [Check.self])

    /// `helpline menus check [DIR]`.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every menu file in a folder; print each problem as FILE:LINE:COLUMN.",
            discussion: """
                Reads every .yaml file in DIR (default: menus). Reports YAML errors, unknown keys, \
                unknown node references, nodes never reached, loops that repeat without caller input, \
                actions and prompts using variables not set on every path, language choices outside \
                the menu's languages, two files with the same menu name, and, with --sounds, prompts \
                without a recording in some language. Exit status 0 when every menu is clean, 1 when \
                there are problems, 66 when DIR cannot be read.
                """)

        @Argument(help: ArgumentHelp("The folder of menu files.", valueName: "dir"))
        var directory = "menus"

        @Option(help: ArgumentHelp("Asterisk's sounds folder, with a folder per language (like /var/lib/asterisk/sounds).", valueName: "dir"))
        var sounds: String?

        func run() async throws {
            let folder = URL(fileURLWithPath: directory)
            let files: [URL]
            do {
                files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
                    .filter { $0.pathExtension == "yaml" || $0.pathExtension == "yml" }
                    .sorted { $0.lastPathComponent < $1.lastPathComponent }
            } catch {
                fail("cannot read the menu folder '\(directory)': \(error.localizedDescription)", code: 66)
            }
            if let sounds {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: sounds, isDirectory: &isDirectory), isDirectory.boolValue else {
                    fail("--sounds '\(sounds)' is not a folder", code: 66)
                }
            }
            guard !files.isEmpty else { fail("no menu files (*.yaml) in '\(directory)'", code: 66) }
            var problems: [YAMLProblem] = []
            var names: [String: String] = [:]
            var clean = 0
            for file in files {
                let path = directory.hasSuffix("/") ? directory + file.lastPathComponent : directory + "/" + file.lastPathComponent
                do {
                    let menu = try MenuLoader.load(yaml: try String(contentsOf: file, encoding: .utf8), file: path)
                    let found = MenuChecker.problems(menu, sounds: sounds.map { URL(fileURLWithPath: $0) })
                    if let other = names[menu.name] {
                        problems.append(YAMLProblem(file: path, line: 1, column: 1, message: "menu name '\(menu.name)' is already used by \(other)"))
                    }
                    names[menu.name] = path
                    problems += found
                    if found.isEmpty { clean += 1 }
                } catch let error as YAMLProblems {
                    problems += error.problems
                } catch {
                    problems.append(YAMLProblem(file: path, line: 1, column: 1, message: "cannot read: \(error.localizedDescription)"))
                }
            }
            for problem in problems { print(problem) }
            print("\(files.count) menu file\(files.count == 1 ? "" : "s"), \(clean) clean, \(problems.count) problem\(problems.count == 1 ? "" : "s")\(sounds == nil ? " (recordings not checked: give --sounds)" : "")")
            if !problems.isEmpty { throw ExitCode(1) }
        }
    }
}
