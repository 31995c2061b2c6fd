import AMIClient
import ArgumentParser
import Foundation
import HelplineApp
import Routing
import Store

/// `helpline queue-log`: Asterisk's own record of queue calls, against the daily report's.
struct QueueLogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue-log",
        abstract: "Import Asterisk's queue_log into the daily report, or check that the two agree.",
        discussion: """
            The daemon follows a queue_log itself when ami.endpoints[].queue_log names it (an Asterisk \
            on the same host). For an Asterisk on another host, copy its queue_log over and import it; \
            a line imported twice, or seen live over AMI too, is counted once.
            """,
        subcommands: [Import.self, Check.self])

    /// What both subcommands read.
    struct Source: ParsableArguments {
        @Argument(help: ArgumentHelp("Asterisk's queue_log file (/var/log/asterisk/queue_log).", valueName: "file"))
        var file: String

        @Option(help: ArgumentHelp("The AMI endpoint (PBX) that wrote the file, as named in the configuration (default: the configuration's default PBX, else pbx1).", valueName: "name"))
        var pbx: String?

        @Option(help: ArgumentHelp("The routing directory that names each queue's department (default: the configuration's routing.directory).", valueName: "file"))
        var directory: String?

        /// The entries of the file, with its unreadable lines reported on standard error.
        func entries() -> [QueueLogEntry] {
            guard let data = FileManager.default.contents(atPath: file) else { fail("cannot read the queue_log '\(file)'", code: 66) }
            var bytes = Array(data)
            if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
            let chunk = QueueLogChunk(bytes: bytes, at: 0)
            for problem in chunk.problems {
                FileHandle.standardError.write(Data("\(file):\(problem.line): \(problem.problem) (line skipped)\n".utf8))
            }
            return chunk.entries
        }

        func resolve(_ options: DatabaseOptions) throws -> (pbx: String, directory: Directory?) {
            let configuration = try options.config.map { try loadConfiguration($0, resolveSecrets: false) }
            let pbx = pbx ?? configuration?.defaultPBX ?? configuration?.amiEndpoints.first?.name ?? "pbx1"
            guard !pbx.isEmpty else { throw ValidationError("--pbx must not be empty") }
            let path = directory ?? configuration?.directoryPath ?? HelplineConfiguration().directoryPath
            if directory == nil, !FileManager.default.fileExists(atPath: path) { return (pbx, nil) }
            do {
                return (pbx, try DirectoryLoader.load(contentsOf: path))
            } catch {
                fail("\(error.description)", code: 78)
            }
        }
    }

    /// `helpline queue-log import FILE`.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add the queue calls of a queue_log to the daily report.",
            discussion: "Calls already recorded are unchanged. Exit status 66 when the file cannot be read, 73 when the database cannot be opened.")
        @OptionGroup var options: DatabaseOptions
        @OptionGroup var source: Source

        func run() async throws {
            let (pbx, directory) = try source.resolve(options)
            let entries = source.entries()
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            let events = queueCallEvents(from: entries, pbx: pbx, directory: directory)
            do {
                try await store.recordQueueLog(events, pbx: pbx, position: nil)
            } catch {
                fail("the queue calls could not be stored: \(error)", code: 73)
            }
            let calls = Set(entries.lazy.filter { $0.callID != "NONE" }.map(\.callID)).count
            print("\(source.file): \(events.count) caller events of \(calls) calls applied for \(pbx)")
        }
    }

    /// `helpline queue-log check FILE`.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare the daily report's queue calls with a queue_log, per local day and queue.",
            discussion: """
                For each day the file covers and each queue: calls offered, answered, abandoned and \
                left unanswered as Asterisk logged them, and as the database has them. Exit status 0 \
                when every figure agrees, 1 when one differs (the rows that differ are marked), 66 \
                when the file cannot be read.
                """)
        @OptionGroup var options: DatabaseOptions
        @OptionGroup var source: Source

        func run() async throws {
            let (pbx, directory) = try source.resolve(options)
            let entries = source.entries()
            guard let first = entries.map(\.time).min(), let last = entries.map(\.time).max() else {
                print("\(source.file): no lines")
                return
            }
            let utcOffset = directory?.policy.utcOffset ?? 0
            let start = Self.startOfDay(first, utcOffset: utcOffset)
            let end = Self.startOfDay(last, utcOffset: utcOffset).addingTimeInterval(86_400)
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            let recorded = try await store.dailyQueueFigures(pbx: pbx, from: start, to: end, utcOffset: utcOffset, threshold: 20)

            // Asterisk's side: the same events applied to an empty database of their own.
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("helpline-queue-log-\(UUID().uuidString).sqlite")
            defer {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: scratch.path + suffix) }
            }
            let asterisk = TicketStore(database: try HelplineDatabase(path: scratch.path))
            try await asterisk.recordQueueLog(queueCallEvents(from: entries, pbx: pbx, directory: directory), pbx: pbx, position: nil)
            let logged = try await asterisk.dailyQueueFigures(pbx: pbx, from: start, to: end, utcOffset: utcOffset, threshold: 20)

            let report = QueueLogComparison(logged: logged, recorded: recorded)
            print(report.table)
            if !report.agrees { throw ExitCode(1) }
        }

        static func startOfDay(_ date: Date, utcOffset: Int) -> Date {
            let local = Int(date.timeIntervalSince1970) + utcOffset
            return Date(timeIntervalSince1970: Double(local - ((local % 86_400) + 86_400) % 86_400 - utcOffset))
        }
    }
}

/// The per-day, per-queue figures of queue_log beside the database's.
struct QueueLogComparison {
    struct Row {
        var day: String
        var queue: String
        var logged: DailyCallFigures?
        var recorded: DailyCallFigures?
        var agrees: Bool {
            func figures(_ f: DailyCallFigures?) -> [Int] { [f?.offered ?? 0, f?.answered ?? 0, f?.abandoned ?? 0, f?.left ?? 0] }
            return figures(logged) == figures(recorded)
        }
    }

    var rows: [Row]

    init(logged: [DailyCallFigures], recorded: [DailyCallFigures]) {
        var byKey: [String: Row] = [:]
        for figures in logged {
            byKey["\(figures.day) \(figures.queue ?? "")", default: Row(day: figures.day, queue: figures.queue ?? "")].logged = figures
        }
        for figures in recorded {
            byKey["\(figures.day) \(figures.queue ?? "")", default: Row(day: figures.day, queue: figures.queue ?? "")].recorded = figures
        }
        rows = byKey.values.sorted { ($0.day, $0.queue) < ($1.day, $1.queue) }
    }

    var agrees: Bool { rows.allSatisfy(\.agrees) }

    var table: String {
        func cells(_ f: DailyCallFigures?) -> String {
            [f?.offered ?? 0, f?.answered ?? 0, f?.abandoned ?? 0, f?.left ?? 0].map { String($0).leftPadded(4) }.joined(separator: " ")
        }
        var lines = ["day         queue                 queue_log: offr  ans  abn left   helpline: offr  ans  abn left"]
        for row in rows {
            lines.append("\(row.day)  \(row.queue.padding(toLength: 20, withPad: " ", startingAt: 0))             \(cells(row.logged))             \(cells(row.recorded))\(row.agrees ? "" : "   differs")")
        }
        let differing = rows.filter { !$0.agrees }.count
        lines.append(differing == 0 ? "agree: every day and queue" : "differ: \(differing) of \(rows.count) day-queue rows")
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
