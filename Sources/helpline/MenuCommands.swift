import ArgumentParser
import Foundation
import Helpline
import IVR

/// `helpline menus`: call flows, for menu authors.
struct Menus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the call flows, and reload them in a running daemon.",
        subcommands: [Check.self, Reload.self])

    /// `helpline menus reload`.
    struct Reload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reload the call flows and the routing directory of the running daemon.",
            discussion: """
                The daemon reads and checks the menus and the directory; they replace the ones in                 use only when clean, and a call in progress finishes on the menu it started with.                 SIGHUP does the same. Exit status 0 when reloaded, 1 when refused (each problem is                 printed), 69 when the daemon cannot be reached.
                """)

        @Option(name: .long, help: ArgumentHelp("The daemon's control socket (default: control.socket from --config, else helpline.sock).", valueName: "path"))
        var socket: String?

        @Option(name: .long, help: ArgumentHelp("The daemon's YAML configuration, to find its control socket.", valueName: "file"))
        var config: String?

        func run() async throws {
            var path = socket ?? "helpline.sock"
            if socket == nil, let config { path = try loadConfiguration(config, resolveSecrets: false).controlSocketPath }
            let reply: String
            do {
                reply = try await ControlServer.request("menus-reload", socketPath: path)
            } catch {
                fail("cannot reach the helpline daemon at \(path): \(error). Is `helpline serve` running, and is this its control socket?", code: 69)
            }
            struct Reply: Decodable {
                var reloaded: Bool
                var menus: [String]
                var problems: [String]
                var notes: [String]
            }
            guard let answer = try? JSONDecoder().decode(Reply.self, from: Data(reply.utf8)) else {
                fail("the daemon answered: \(reply)", code: 70)
            }
            for note in answer.notes { print("note: \(note)") }
            for problem in answer.problems { print(problem) }
            if answer.reloaded {
                print("reloaded: \(answer.menus.joined(separator: ", "))")
            } else {
                print("refused: \(answer.problems.count) problem\(answer.problems.count == 1 ? "" : "s"); the daemon keeps the call flows it had (\(answer.menus.joined(separator: ", ")))")
                throw ExitCode(1)
            }
        }
    }

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
