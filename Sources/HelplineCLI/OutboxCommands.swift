import ArgumentParser
import Foundation
import HelplineApp
import HelplineDomain
import Store

/// `helpline outbox`: the notifications waiting, sent and given up, for administrators.
struct Outbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the notification outbox (SMS and webhooks) and retry dead messages.",
        subcommands: [List.self, Retry.self])

    /// `helpline outbox list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List outbox messages, newest first.",
            discussion: "Phone numbers are masked but for their last 4 digits.")
        @OptionGroup var options: DatabaseOptions
        @Option(help: ArgumentHelp("Only this status: pending, sent or dead.", valueName: "status")) var status: String?
        @Option(help: "At most this many (1…10000).") var limit = 50

        func validate() throws {
            if let status, OutboxStatus(rawValue: status) == nil { throw ValidationError("--status must be pending, sent or dead; not '\(status)'") }
            if !(1...10_000).contains(limit) { throw ValidationError("--limit must be 1…10000") }
        }

        func run() async throws {
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            let entries = try await store.outbox(status: status.flatMap(OutboxStatus.init(rawValue:)), limit: limit)
            print(OutboxText.table(entries))
        }
    }

    /// `helpline outbox retry ID… | --all-dead`.
    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send dead messages again: they become pending, due now, with their attempts reset.",
            discussion: "Exit status 1 when an id is unknown or its message is not dead (the others are still retried).")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: ArgumentHelp("The ids of the messages (see helpline outbox list).", valueName: "id")) var ids: [Int64] = []
        @Flag(name: .customLong("all-dead"), help: "Retry every dead message.") var allDead = false

        func validate() throws {
            if ids.isEmpty == !allDead { throw ValidationError("give the ids of the messages to retry, or --all-dead") }
        }

        func run() async throws {
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            if allDead {
                let ids = try await store.retryAllDeadOutbox()
                print(ids.isEmpty ? "no dead messages" : "\(ids.count) dead messages pending again: \(ids.map(String.init).joined(separator: ", "))")
                return
            }
            var failed = false
            for (id, result) in try await store.retryOutbox(ids: ids) {
                switch result {
                case .requeued:
                    print("\(id): pending again")
                case .unknown:
                    FileHandle.standardError.write(Data("error: no outbox message has the id \(id)\n".utf8))
                    failed = true
                case .notDead(let status):
                    FileHandle.standardError.write(Data("error: message \(id) is \(status.rawValue), not dead; only dead messages are retried\n".utf8))
                    failed = true
                }
            }
            if failed { throw ExitCode(1) }
        }
    }
}

/// Plain-text renderings of the outbox.
enum OutboxText {
    /// A phone number with all but its last 4 digits replaced by `*` (other characters kept);
    /// a URL (a webhook's destination) as it is.
    static func mask(_ destination: String, kind: OutboxKind) -> String {
        kind == .sms ? PhoneNumber.masked(destination) : destination
    }

    static func table(_ entries: [OutboxEntry]) -> String {
        guard !entries.isEmpty else { return "no messages" }
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        var lines = ["ID      KIND     TICKET    DESTINATION          STATUS   ATTEMPTS  NEXT ATTEMPT          LAST ERROR"]
        for entry in entries {
            lines.append([
                pad(String(entry.id), 7),
                pad(entry.kind.rawValue, 8),
                pad(entry.ticketNumber ?? "-", 9),
                pad(mask(entry.destination, kind: entry.kind), 20),
                pad(entry.status.rawValue, 8),
                pad(String(entry.attempts), 9),
                pad(entry.status == .pending ? TicketText.time(entry.nextAttemptAt) : "-", 21),
                entry.lastError.map { String($0.prefix(120)) } ?? "-",
            ].joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }
}
