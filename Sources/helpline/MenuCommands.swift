import ArgumentParser
import Foundation
import IVR

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
            if let sounds {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: sounds, isDirectory: &isDirectory), isDirectory.boolValue else {
                    fail("--sounds '\(sounds)' is not a folder", code: 66)
                }
            }
            let library: MenuLibrary
            do {
                library = try MenuLibrary.load(folder: directory, sounds: sounds)
            } catch {
                fail("cannot read the menu folder '\(directory)': \(error.localizedDescription)", code: 66)
            }
            guard !library.files.isEmpty else { fail("no menu files (*.yaml) in '\(directory)'", code: 66) }
            for problem in library.problems { print(problem) }
            let files = library.files.count, problems = library.problems.count
            print("\(files) menu file\(files == 1 ? "" : "s"), \(library.cleanFiles) clean, \(problems) problem\(problems == 1 ? "" : "s")\(sounds == nil ? " (recordings not checked: give --sounds)" : "")")
            if problems > 0 { throw ExitCode(1) }
        }
    }
}
