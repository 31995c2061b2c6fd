import ArgumentParser
import Foundation
import Routing
import HelplineDomain
import Store

/// `helpline routing`: routing decisions, for administrators.
struct RoutingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing",
        abstract: "Check the routing directory and explain routing decisions.",
        subcommands: [Check.self, Explain.self])

    /// `helpline routing check FILE`.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a routing directory file; print what it holds, or every problem as FILE:LINE:COLUMN.",
            discussion: "Exit status 0 when the file is valid, 78 when it is not (including when it cannot be read).")

        @Argument(help: ArgumentHelp("The directory YAML file (see deploy/directory.yaml).", valueName: "file"))
        var file: String

        func run() async throws {
            do {
                let directory = try DirectoryLoader.load(contentsOf: file)
                let queues = directory.departments.values.reduce(0) { $0 + $1.queues.count }
                print("""
                    \(file): ok
                      departments  \(directory.departments.count) (\(queues) department queues, \(directory.departments.values.filter { $0.openingHours != nil }.count) with opening hours)
                      categories   \(directory.categories.count) (\(directory.categories.values.filter(\.emergency).count) emergency)
                      districts    \(directory.districts.count)
                      officers     \(directory.officers.count) (\(directory.officers.values.filter { $0.level == .l2 }.count) at L2)
                      pbxs         \(directory.generalQueues.sorted { $0.key < $1.key }.map { "\($0.key) (general queue \($0.value))" }.joined(separator: ", "))
                    """)
            } catch {
                FileHandle.standardError.write(Data((error.description + "\n").utf8))
                FileHandle.standardError.write(Data("\(error.problems.count) problem\(error.problems.count == 1 ? "" : "s") in \(file)\n".utf8))
                throw ExitCode(78)
            }
        }
    }

    /// `helpline routing explain ID`.
    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say why a call or a complaint went where it went.",
            discussion: """
                ID is a call's Asterisk uniqueid (like 1732200000.42) or a ticket number. For each \
                routing decision stored for it: what the caller chose, the live figures of the \
                queues weighed, the outcome, and the reasons in order. Exit status 1 when nothing \
                is stored for ID, 65 when it looks like a ticket number with a wrong check digit.
                """)
        @OptionGroup var options: DatabaseOptions
        @Argument(help: ArgumentHelp("A call uniqueid or a ticket number.", valueName: "id")) var id: String

        func run() async throws {
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            var decisions = try await store.decisions(callUniqueid: id)
            var heading: String?
            if decisions.isEmpty {
                switch TicketNumber.parse(id) {
                case .valid(let number):
                    if let history = try await store.history(number: number.description) {
                        decisions = history.decisions
                        heading = "ticket \(history.ticket.number): \(history.ticket.department), \(history.ticket.status.rawValue) at \(history.ticket.level.rawValue)"
                    }
                case .checkDigitMismatch where !id.contains("."):
                    fail("\(id) is not a call uniqueid with stored decisions, and as a ticket number its check digit does not match (a digit mistyped?)", code: 65)
                default:
                    break
                }
            }
            guard !decisions.isEmpty else {
                fail("no routing decision is stored for '\(id)' (neither a call uniqueid nor a ticket with decisions)", code: 1)
            }
            if let heading { print(heading) }
            print(decisions.map(RoutingExplanation.text).joined(separator: "\n\n"))
        }
    }
}
