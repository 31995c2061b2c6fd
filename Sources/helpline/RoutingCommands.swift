import ArgumentParser
import Foundation
import Routing
import Store

/// `helpline routing`: routing decisions, for administrators.
struct RoutingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing",
        abstract: "Explain routing decisions.",
        subcommands: [Explain.self])

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
            let store = TicketStore(database: try options.open(migrate: true))
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
