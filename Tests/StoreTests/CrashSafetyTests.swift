import Foundation
import GRDB
@testable import Store
import HelplineDomain
import Testing

/// No acknowledged ticket is lost when the process dies mid-write.
@Suite(.serialized) struct CrashSafetyTests {
    /// The child `swift test` built next to the test bundle.
    static var writer: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("StoreCrashWriter")
    }

    /// Starts the writer, lets it acknowledge at least `atLeast` tickets, kills it with
    /// SIGKILL, and returns every number it printed in full.
    static func killMidRun(database: String, writers: Int, atLeast: Int) throws -> [String] {
        let process = Process()
        process.executableURL = writer
        process.arguments = [database, "\(writers)"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while text.split(separator: "\n").count < atLeast + 1, Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the writer died of SIGKILL, not on its own")
        text += String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        // A line cut by the kill has no newline: it was never fully acknowledged.
        var lines = text.components(separatedBy: "\n")
        lines.removeLast()
        #expect(lines.first == "ready")
        return Array(lines.dropFirst())
    }

    @Test func everyAcknowledgedTicketSurvivesSIGKILL() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.writer.path), "swift test builds \(Self.writer.path)")
        let file = try TemporaryDatabase()
        var acknowledged: Set<String> = []
        for (round, writers) in [1, 16, 64].enumerated() {
            let numbers = try Self.killMidRun(database: file.path, writers: writers, atLeast: 200)
            #expect(numbers.count >= 200, "round \(round): only \(numbers.count) tickets before the deadline")
            #expect(Set(numbers).count == numbers.count, "round \(round): a number was acknowledged twice")
            #expect(acknowledged.isDisjoint(with: numbers), "round \(round): a number was reused after a crash")
            acknowledged.formUnion(numbers)

            let database = try HelplineDatabase(path: file.path)
            #expect(try database.integrityProblems().isEmpty)
            let stored = try database.writer.read { db in Set(try String.fetchAll(db, sql: "SELECT number FROM tickets")) }
            let lost = acknowledged.subtracting(stored)
            #expect(lost.isEmpty, "round \(round): \(lost.count) acknowledged tickets lost, e.g. \(lost.prefix(5))")
            let eventless = try database.writer.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tickets WHERE NOT EXISTS (SELECT 1 FROM ticket_events WHERE ticket_id = tickets.id)")
            }
            #expect(eventless == 0, "a ticket without its first event: the transaction was torn")
        }
    }
}
