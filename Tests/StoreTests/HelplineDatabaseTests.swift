import Foundation
@testable import Store
import HelplineDomain
import Testing

@Suite struct HelplineDatabaseTests {
    @Test func opensANewFileInWALMode() throws {
        let file = try TemporaryDatabase()
        let path = file.path
        let database = try HelplineDatabase(path: path)
        #expect(try database.journalMode() == "wal")
        #expect(FileManager.default.fileExists(atPath: path))
        // On the connection that writes (GRDB sets NORMAL on a pool's writer when it turns WAL
        // on) and on a reader.
        let writing = try database.writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(writing == 2, "synchronous=FULL on the writer")
        let reading = try database.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(reading == 2, "synchronous=FULL on a reader")
    }

    @Test func refusesAPathItCannotOpenWithAClearMessage() throws {
        let file = try TemporaryDatabase()
        let path = file.folder.appendingPathComponent("missing-directory/helpline.sqlite").path
        do {
            _ = try HelplineDatabase(path: path)
            Issue.record("opened \(path)")
        } catch {
            #expect(error.description.hasPrefix("cannot open the database '\(path)':"))
        }
    }

    @Test func refusesAFileThatIsNotADatabase() throws {
        let file = try TemporaryDatabase()
        let path = file.path
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: StoreError.self) { try HelplineDatabase(path: path) }
        // One error shape: a code to branch on, the message, and SQLite's own error kept.
        #expect(error?.code == .cannotOpen)
        #expect(error?.message.hasPrefix("cannot open the database '\(path)'") == true)
        #expect(error?.underlying != nil, "the underlying SQLite error is kept")
    }
}
