import ArgumentParser
import Foundation
import HelplineApp
import HelplineDomain
import Store

/// Where the administration commands find the database: `--database`, else the
/// configuration's `database.path`, else `helpline.sqlite` in the working directory.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("YAML configuration file whose database.path to use.", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("SQLite database file (default: the configuration's, else helpline.sqlite).", valueName: "path"))
    var database: String?

    func path() throws -> String {
        if let database {
            guard !database.isEmpty else { throw ValidationError("--database must not be empty") }
            return database
        }
        if let config { return try loadConfiguration(config, resolveSecrets: false).databasePath }
        return HelplineConfiguration().databasePath
    }

    /// Opens the database without migrating it, exiting 73 with the reason when it cannot be
    /// opened. With `requireCurrentSchema`, a file that lacks migrations (or has migrations of a
    /// newer Helpline) is refused too: only `helpline db migrate` and the daemon migrate, so a
    /// newer command line never changes the file under an older running daemon.
    func open(requireCurrentSchema: Bool) throws -> HelplineDatabase {
        let path = try path()
        if !FileManager.default.fileExists(atPath: path) {
            fail("no database at '\(path)' (give --database PATH, or --config FILE; `helpline db migrate` creates one)", code: 66)
        }
        do {
            let database = try HelplineDatabase(path: path, migrate: false)
            if requireCurrentSchema {
                let status = try database.migrationStatus()
                if !status.unknown.isEmpty {
                    fail("the database '\(path)' was migrated by a newer Helpline (\(status.unknown.joined(separator: ", "))); use that version", code: 73)
                }
                if !status.pending.isEmpty {
                    fail("the database '\(path)' needs migrating (\(status.pending.joined(separator: ", "))); run helpline db migrate, or start the daemon", code: 73)
                }
            }
            return database
        } catch {
            fail("\(error)", code: 73)
        }
    }
}

/// Prints `message` on standard error and exits with `code`.
func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(code)
}

/// `helpline db`: the database file.
struct Db: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Migrate, back up and check the SQLite database.",
        subcommands: [Migrate.self, Backup.self, Check.self])

    /// `helpline db migrate`.
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the database or bring its schema up to date (the daemon also does this on start).",
            discussion: "Refuses a database a newer Helpline has migrated. Exit status 73 when the file cannot be opened or migrated.")
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let path = try options.path()
            let database: HelplineDatabase
            do {
                database = try HelplineDatabase(path: path, migrate: false)
                let before = try database.migrationStatus()
                try database.migrate()
                print("\(path): schema up to date")
                for name in before.pending { print("  applied  \(name)") }
                if before.pending.isEmpty { print("  nothing to do (\(before.applied.count) migrations already applied)") }
            } catch {
                fail("\(error)", code: 73)
            }
        }
    }

    /// `helpline db backup PATH`.
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the database to a new file while the daemon keeps writing.",
            discussion: """
                The copy is one consistent snapshot (SQLite's online backup), checked with \
                integrity_check before it is given its name. An existing file is never overwritten. \
                Exit status 1 when the backup fails.
                """)
        @OptionGroup var options: DatabaseOptions

        @Argument(help: ArgumentHelp("The new file to write.", valueName: "path"))
        var destination: String

        func run() async throws {
            let database = try options.open(requireCurrentSchema: false)
            do {
                let tickets = try database.backup(to: destination)
                print("\(destination): backup of \(database.path) complete, \(tickets) tickets, integrity ok")
            } catch {
                fail("\(error)", code: 1)
            }
        }
    }

    /// `helpline db check`.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the database: integrity, foreign keys and migrations.",
            discussion: "Exit status 0 when sound, 1 when integrity_check or foreign_key_check find problems or a newer Helpline migrated the file.")
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let database = try options.open(requireCurrentSchema: false)
            let status = try database.migrationStatus()
            let problems = try database.integrityProblems()
            print("\(database.path):")
            print("  journal mode  \(try database.journalMode())")
            print("  migrations    \(status.applied.count) applied, \(status.pending.count) pending\(status.pending.isEmpty ? "" : " (run helpline db migrate)")")
            if !status.unknown.isEmpty { print("  unknown       \(status.unknown.joined(separator: ", ")) (written by a newer Helpline)") }
            print("  integrity     \(problems.isEmpty ? "ok" : "\(problems.count) problems")")
            for problem in problems.prefix(50) { print("    \(problem)") }
            if !problems.isEmpty || !status.unknown.isEmpty { throw ExitCode(1) }
        }
    }
}

/// `helpline tickets`: complaints, for administrators.
struct Tickets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show, list, resolve and cancel complaints.",
        subcommands: [Show.self, List.self, Resolve.self, Cancel.self])

    /// The actor recorded in a ticket's history for a command-line change.
    static var actor: String { "cli:\(ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown")" }

    /// `helpline tickets show N`.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a ticket with its history and routing decisions.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: ArgumentHelp("The ticket number.", valueName: "number")) var number: String

        func run() async throws {
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            let history: TicketHistory?
            do {
                history = try await store.history(number: number)
            } catch {
                fail("\(error)", code: 65)
            }
            guard let history else { fail(StoreError.unknownTicket(number).description, code: 1) }
            print(TicketText.detail(history))
        }
    }

    /// `helpline tickets list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a department's tickets, oldest first.")
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The department id.") var department: String
        @Option(help: ArgumentHelp("Only this status: \(TicketStatus.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "status"))
        var status: String?
        @Option(help: ArgumentHelp("Only this level: L1 or L2.", valueName: "level")) var level: String?
        @Option(help: "At most this many (1…1000).") var limit = 50
        @Option(help: "Skip this many first.") var offset = 0

        func validate() throws {
            if let status, TicketStatus(rawValue: status) == nil {
                throw ValidationError("--status must be one of \(TicketStatus.allCases.map(\.rawValue).joined(separator: ", ")); not '\(status)'")
            }
            if let level, TicketLevel(rawValue: level.uppercased()) == nil { throw ValidationError("--level must be L1 or L2, not '\(level)'") }
            if !(1...1000).contains(limit) { throw ValidationError("--limit must be 1…1000") }
            if offset < 0 { throw ValidationError("--offset must not be negative") }
        }

        func run() async throws {
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            let tickets = try await store.tickets(
                department: department, status: status.flatMap(TicketStatus.init(rawValue:)),
                level: level.flatMap { TicketLevel(rawValue: $0.uppercased()) }, limit: limit, offset: offset)
            print(TicketText.table(tickets))
        }
    }

    /// `helpline tickets resolve N --note …`.
    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark a ticket resolved with the department's report.",
            discussion: """
                With --config, the SMS to the citizen and the department's webhook that its \
                notifications section configures are queued in the outbox in the same transaction; \
                the running daemon sends them. Exit status 1 when the ticket is unknown or cannot be \
                resolved in its state, 65 for a mistyped number.
                """)
        @OptionGroup var options: DatabaseOptions
        @Argument(help: ArgumentHelp("The ticket number.", valueName: "number")) var number: String
        @Option(help: "The resolution report, kept in the ticket's history.") var note: String

        func validate() throws {
            if note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--note must say how the complaint was resolved") }
        }

        func run() async throws {
            // Secrets are the daemon's business: the command line only queues.
            let notifications = try options.config.map { try loadConfiguration($0, resolveSecrets: false).notifications }
            let ticket = try await Tickets.change(number, .resolve, note: note, options: options, notifications: notifications?.policy)
            guard let notifications, notifications.isEnabled else {
                print("no notifications queued (the configuration given with --config has no notifications section)")
                return
            }
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            // This resolution's messages: their keys name its history entry (NotificationConfiguration.policy).
            let event = try await store.history(number: ticket.number)?.events.last?.id ?? 0
            let queued = try await store.outbox(ticketNumber: ticket.number).filter { $0.idempotencyKey.hasPrefix("resolve-\(ticket.number)-\(event)-") }
            for entry in queued { print("queued \(entry.kind.rawValue) to \(OutboxText.mask(entry.destination, kind: entry.kind)) (outbox id \(entry.id))") }
        }
    }

    /// `helpline tickets cancel N --reason …`.
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a ticket (administrators).",
            discussion: "Exit status 1 when the ticket is unknown or already final, 65 for a mistyped number.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: ArgumentHelp("The ticket number.", valueName: "number")) var number: String
        @Option(help: "Why it is cancelled, kept in the ticket's history.") var reason: String

        func validate() throws {
            if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--reason must not be empty") }
        }

        func run() async throws {
            try await Tickets.change(number, .cancel, note: reason, options: options)
        }
    }

    @discardableResult
    static func change(_ number: String, _ action: TicketAction, note: String, options: DatabaseOptions, notifications: NotificationPolicy? = nil) async throws -> Ticket {
        let store = TicketStore(database: try options.open(requireCurrentSchema: true))
        do {
            let ticket = try await store.apply(action, to: number, actor: actor, note: note, notifications: notifications)
            print("\(ticket.number): \(ticket.status.rawValue) at \(ticket.level.rawValue)")
            return ticket
        } catch let error as StoreError {
            switch error.code {
            case .mistypedNumber, .malformedNumber: fail("\(error)", code: 65)
            default: fail("\(error)", code: 1)
            }
        } catch let error as InvalidTicketTransition {
            fail("\(number): \(error)", code: 1)
        }
    }
}

/// Plain-text renderings for the terminal.
enum TicketText {
    static func time(_ date: Date?) -> String {
        guard let date else { return "-" }
        return date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon)) + "Z"
    }

    static func detail(_ history: TicketHistory) -> String {
        let t = history.ticket
        var lines = [
            "ticket \(t.number)  \(t.status.rawValue) at \(t.level.rawValue)",
            "  department   \(t.department)\(t.category.map { " / \($0)" } ?? "")",
            "  district     \(t.district ?? "-")",
            "  caller       \(t.callerNumber)\(t.callerName.map { " (\($0))" } ?? "")  language \(t.language)",
            "  source       \(t.source.rawValue)\(t.callUniqueid.map { "  call \($0)" } ?? "")",
            "  officer      \(t.assignedOfficer ?? "-")",
            "  created      \(time(t.createdAt))",
            "  due          \(time(t.dueAt))",
            "  resolved     \(time(t.resolvedAt))",
            "  closed       \(time(t.closedAt))",
        ]
        if let recording = t.descriptionRecording { lines.append("  recording    \(recording)") }
        if let text = t.descriptionText { lines.append("  description  \(text)") }
        if let duplicate = t.duplicateOf { lines.append("  duplicate of \(duplicate)") }
        lines.append("history:")
        for event in history.events {
            lines.append("  \(time(event.at))  \(event.transition.padding(toLength: 20, withPad: " ", startingAt: 0)) \(event.actor)\(event.note.map { "  — \($0)" } ?? "")")
        }
        if !history.decisions.isEmpty {
            lines.append("routing decisions:")
            for decision in history.decisions {
                lines.append("  \(time(decision.decidedAt))  \(decision.outcome) \(decision.queue.map { "→ \($0)" } ?? "")")
                for reason in decision.reasonList { lines.append("      \(reason)") }
            }
        }
        return lines.joined(separator: "\n")
    }

    static func table(_ tickets: [Ticket]) -> String {
        guard !tickets.isEmpty else { return "no tickets" }
        var lines = ["NUMBER      STATUS      LEVEL  CREATED               DUE                   OFFICER"]
        for t in tickets {
            lines.append([
                t.number.padding(toLength: 11, withPad: " ", startingAt: 0),
                t.status.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0),
                t.level.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0),
                time(t.createdAt).padding(toLength: 21, withPad: " ", startingAt: 0),
                time(t.dueAt).padding(toLength: 21, withPad: " ", startingAt: 0),
                t.assignedOfficer ?? "-",
            ].joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }
}
