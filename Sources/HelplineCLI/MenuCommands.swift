import ArgumentParser
import Foundation
import HelplineApp
import HelplineDomain
import HTTPAPI
import IVR
import NIOCore
import AsteriskFakes

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

        @OptionGroup var control: ControlSocketOptions

        func run() async throws {
            let reply = try await control.request("menus-reload")
            guard let answer = try? JSONDecoder().decode(ReloadOutcome.self, from: Data(reply.utf8)) else {
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

/// `helpline call`: plays a call against a running daemon, for menu authors.
struct Call: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play a call against a running daemon with scripted keys; print every prompt, key and variable.",
        discussion: """
            Plays Asterisk's side of FastAGI the way a real Asterisk 22 answers, without a PBX: each \
            group of --digits is what the caller keys at one point of the flow (1,3,05 is three \
            groups); after each group the caller is silent, so the next prompt plays to its end. \
            The daemon really runs the flow: tickets and decisions are stored. Exit status 0 when the \
            call ran, 69 when the daemon cannot be reached.
            """)

    @Argument(help: ArgumentHelp("The FastAGI script: a menu name, with a query if it needs one (feedback?ticket=1000002).", valueName: "script"))
    var script = "inbound"

    @Option(name: .long, help: ArgumentHelp("Keys in groups, like 1,3,05.", valueName: "keys"))
    var digits = ""

    @Option(name: .long, help: ArgumentHelp("The daemon's FastAGI address.", valueName: "host:port"))
    var agi = "127.0.0.1:4573"

    @Option(name: .long, help: ArgumentHelp("The caller's number.", valueName: "number"))
    var caller = "9876543210"

    @Option(name: .long, help: ArgumentHelp("The number dialled.", valueName: "number"))
    var dnid = "1076"

    @Option(name: .long, help: ArgumentHelp("Prompts to treat as missing, comma-separated (to try the fallbacks).", valueName: "names"))
    var missing = ""

    @Option(name: .customLong("hang-up-at"), help: ArgumentHelp("Hang up during the Nth command of the daemon (to try what a hangup leaves behind).", valueName: "n"))
    var hangUpAt: Int?

    func validate() throws {
        guard parseHostPort(agi) != nil else { throw ValidationError("--agi must be HOST:PORT, not '\(agi)'") }
        let allowed = Set("0123456789*#,")
        guard digits.allSatisfy(allowed.contains) else { throw ValidationError("--digits takes keys 0-9, * and # in comma-separated groups, not '\(digits)'") }
        if let hangUpAt, hangUpAt < 1 { throw ValidationError("--hang-up-at counts commands from 1") }
    }

    func run() async throws {
        guard let (host, port) = parseHostPort(agi), let address = try? SocketAddress.makeAddressResolvingHost(host, port: port) else {
            throw ValidationError("--agi: cannot resolve '\(agi)'")
        }
        let groups = digits.isEmpty ? [] : digits.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let player = CallPlayer(
            keyGroups: groups, caller: caller, dnid: dnid, uniqueid: "helpline-call-\(Int(Date().timeIntervalSince1970)).\(Int.random(in: 1...99_999))",
            missingPrompts: Set(missing.split(separator: ",").map(String.init)), hangUpAtCommand: hangUpAt)
        print("call \(player.uniqueid) from \(caller) to \(dnid): \(script), keys \(groups.isEmpty ? "(none)" : groups.joined(separator: " "))")
        do {
            let (_, variables) = try await player.run(script: script, to: address) { event in print("  \(event)") }
            let handed = variables["HELPLINE_ACTION"].map { "handed to the dialplan: \($0) \(variables["HELPLINE_QUEUE"] ?? "") priority \(variables["HELPLINE_PRIORITY"] ?? "0")" }
            print(handed ?? "ended in the menu")
            if let ticket = variables["HELPLINE_TICKET"], !ticket.isEmpty { print("ticket \(ticket)") }
        } catch {
            fail("cannot play the call against \(agi): \(error). Is `helpline serve` running there?", code: 69)
        }
    }
}
