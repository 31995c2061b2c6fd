import AMIClient
import AsteriskFakes
import Foundation
import HelplineApp
import Logging
import Routing
import Store
import Testing

extension Integration {
    /// The daily report agrees with Asterisk's queue_log, the calls of times the daemon was
    /// down included, read from the queue_log a real Asterisk 22.10.1 wrote.
    @Suite(.serialized) struct QueueLogFollowerTests {
        static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        static let fixture = Capture.directory.appendingPathComponent("queue_log/asterisk-22-lab.queue_log")
        static let directory = Directory(
            departments: [
                Department(id: "water", names: [:], queues: ["pbx1": DepartmentQueues(primary: "water-l1", overflow: "water-overflow")]),
                Department(id: "roads", names: [:], queues: ["pbx1": DepartmentQueues(primary: "roads-l1")]),
            ],
            categories: [], districts: [], officers: [], generalQueues: ["pbx1": "helpline-general"])

        /// What the file says per queue, counted here from its lines (not through the parser):
        /// offered, answered, abandoned and left, each call once (app_queue wrote one call's
        /// ENTERQUEUE twice).
        static func expected(_ bytes: [UInt8]) -> [String: [Int]] {
            var figures: [String: [Int]] = [:]
            var seen: Set<[Substring]> = []
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                let fields = line.split(separator: "|", omittingEmptySubsequences: false)
                let index = ["ENTERQUEUE": 0, "CONNECT": 1, "ABANDON": 2, "EXITEMPTY": 3, "EXITWITHTIMEOUT": 3, "EXITWITHKEY": 3][String(fields[4])]
                guard let index, seen.insert([fields[1], fields[2], fields[4]]).inserted else { continue }
                figures[String(fields[2]), default: [0, 0, 0, 0]][index] += 1
            }
            return figures
        }

        static func recorded(_ store: TicketStore) async throws -> [String: [Int]] {
            let now = Date()
            let days = try await store.dailyQueueFigures(pbx: "pbx1", from: Date(timeIntervalSince1970: 0), to: now.addingTimeInterval(86_400 * 400), utcOffset: 19_800, threshold: 20)
            var figures: [String: [Int]] = [:]
            for day in days {
                let old = figures[day.queue ?? "", default: [0, 0, 0, 0]]
                figures[day.queue ?? ""] = zip(old, [day.offered, day.answered, day.abandoned, day.left]).map { $0 + $1 }
            }
            return figures
        }

        @Test func theFollowerAddsWhatAMIMissedAndCountsEachCallOnce() async throws {
            let folder = try HelplineServeTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            let store = TicketStore(database: try HelplineDatabase(path: folder.appendingPathComponent("h.sqlite").path))
            let bytes = Array(try Data(contentsOf: Self.fixture))
            let entries = QueueLogChunk(bytes: bytes, at: 0).entries

            // AMI saw the first half of the day live (the same calls, by uniqueid), then the
            // link was down for the rest.
            let half = entries.count / 2
            for (event, time) in queueCallEvents(from: Array(entries[..<half]), pbx: "pbx1", directory: Self.directory) {
                try await store.recordQueueEvent(event, pbx: "pbx1", at: time)
            }
            #expect(try await Self.recorded(store) != Self.expected(bytes))

            // Asterisk is still writing its last line when the follower first reads.
            let path = folder.appendingPathComponent("queue_log").path
            let cut = bytes.count - 7
            try Data(bytes[..<cut]).write(to: URL(fileURLWithPath: path))
            let follower = QueueLogFollower(pbx: "pbx1", path: path, store: store, directory: { Self.directory }, logger: Self.logger)
            let first = try await follower.readNewLines()
            #expect(first.problems == 0 && !first.restarted)
            #expect(first.offset == UInt64(bytes[..<cut].lastIndex(of: UInt8(ascii: "\n"))! + 1))

            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(bytes[cut...]))
            try handle.close()
            let second = try await follower.readNewLines()
            #expect(second.applied == 1 && second.offset == UInt64(bytes.count))
            #expect(try await Self.recorded(store) == Self.expected(bytes), "the report agrees with queue_log per queue")
            #expect(try await store.queueLogPosition(pbx: "pbx1")?.offset == UInt64(bytes.count))

            // Read again (a restart of the daemon): nothing new, nothing counted twice.
            let restarted = QueueLogFollower(pbx: "pbx1", path: path, store: store, directory: { Self.directory }, logger: Self.logger)
            #expect(try await restarted.readNewLines().applied == 0)
            #expect(try await Self.recorded(store) == Self.expected(bytes))

            // The departments come from the directory; helpline-general is no department's.
            let now = Date()
            let departments = try await store.dailyCallFigures(from: Date(timeIntervalSince1970: 0), to: now.addingTimeInterval(86_400 * 400), utcOffset: 19_800, threshold: 20)
            #expect(Set(departments.map(\.department)) == ["water", "general"])

            // Once more by the command an administrator runs: it agrees, and exits 0.
            let (status, errors, output) = try await HelplineServeTests.run(["queue-log", "check", path, "--pbx", "pbx1", "--database", folder.appendingPathComponent("h.sqlite").path], in: folder)
            #expect(status == 0, "\(errors)\n\(output)")
            #expect(output.contains("agree: every day and queue"), "\(output)")
        }

        /// logrotate moves the file away (create) or empties it (copytruncate): the new file is
        /// read from its start.
        @Test func aRotatedOrTruncatedFileIsReadFromItsStart() async throws {
            let folder = try HelplineServeTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            let store = TicketStore(database: try HelplineDatabase(path: folder.appendingPathComponent("h.sqlite").path))
            let bytes = Array(try Data(contentsOf: Self.fixture))
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map { $0 + "\n" }.dropLast()
            let split = lines.count / 2
            let path = folder.appendingPathComponent("queue_log").path
            try Data(lines[..<split].joined().utf8).write(to: URL(fileURLWithPath: path))
            let follower = QueueLogFollower(pbx: "pbx1", path: path, store: store, directory: { Self.directory }, logger: Self.logger)
            _ = try await follower.readNewLines()

            // Moved away and created anew (another inode), holding the rest of the day.
            try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
            try Data(lines[split...].joined().utf8).write(to: URL(fileURLWithPath: path))
            let rotated = try await follower.readNewLines()
            #expect(rotated.restarted)
            #expect(try await Self.recorded(store) == Self.expected(bytes))

            // Emptied in place and written again from the start: shorter than the offset.
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: Data(lines[split..<(split + 2)].joined().utf8))
            try handle.close()
            let truncated = try await follower.readNewLines()
            #expect(truncated.restarted && truncated.problems == 0)
            #expect(try await Self.recorded(store) == Self.expected(bytes), "lines already counted are not counted again")

            // The command line says when the daily report and the log disagree, and exits 1.
            let other = folder.appendingPathComponent("other.sqlite").path
            _ = try HelplineDatabase(path: other)
            let (status, _, output) = try await HelplineServeTests.run(["queue-log", "check", path + ".1", "--pbx", "pbx1", "--database", other], in: folder)
            #expect(status == 1)
            #expect(output.contains("differs"), "\(output)")
            let (imported, _, importOutput) = try await HelplineServeTests.run(["queue-log", "import", path + ".1", "--pbx", "pbx1", "--database", other], in: folder)
            #expect(imported == 0, "\(importOutput)")
            let (again, _, _) = try await HelplineServeTests.run(["queue-log", "check", path + ".1", "--pbx", "pbx1", "--database", other], in: folder)
            #expect(again == 0)
        }

        /// A file that cannot be read is an error the daemon logs and survives; nothing is stored.
        @Test func aMissingFileIsAnErrorAndNothingChanges() async throws {
            let folder = try HelplineServeTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            let store = TicketStore(database: try HelplineDatabase(path: folder.appendingPathComponent("h.sqlite").path))
            let follower = QueueLogFollower(pbx: "pbx1", path: folder.appendingPathComponent("none").path, store: store, directory: { nil }, logger: Self.logger)
            await #expect(throws: (any Error).self) { try await follower.readNewLines() }
            #expect(try await store.queueLogPosition(pbx: "pbx1") == nil)
            let (status, errors, _) = try await HelplineServeTests.run(["queue-log", "check", folder.appendingPathComponent("none").path, "--database", folder.appendingPathComponent("h.sqlite").path], in: folder)
            #expect(status == 66)
            #expect(errors.contains("cannot read the queue_log"), "\(errors)")
        }
    }
}
