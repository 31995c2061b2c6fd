import Foundation
import Store
import Testing

@Suite struct HelplineDatabaseTests {
    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("helpline-\(UUID().uuidString)-\(name)").path
    }

    @Test func opensANewFileInWALMode() throws {
        let path = Self.temporaryPath("new.sqlite")
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let database = try HelplineDatabase(path: path)
        #expect(try database.journalMode() == "wal")
        #expect(FileManager.default.fileExists(atPath: path))
        let synchronous = try database.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(synchronous == 2, "synchronous=FULL")
    }

    @Test func refusesAPathItCannotOpenWithAClearMessage() throws {
        let path = Self.temporaryPath("missing-directory") + "/helpline.sqlite"
        do {
            _ = try HelplineDatabase(path: path)
            Issue.record("opened \(path)")
        } catch {
            #expect(error.description.hasPrefix("cannot open the database '\(path)':"))
        }
    }

    @Test func refusesAFileThatIsNotADatabase() throws {
        let path = Self.temporaryPath("not-a-database.sqlite")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        #expect(throws: DatabaseOpenError.self) { try HelplineDatabase(path: path) }
    }
}
