import Foundation
import GRDB

extension HelplineDatabase {
    /// Copies the database to a new file at `destination` while the daemon may be writing.
    ///
    /// Uses SQLite's online backup in one step inside a read transaction, so the copy is one
    /// consistent snapshot: every transaction committed before the backup began, none after.
    /// The copy is written to `destination.partial`, checked with `PRAGMA integrity_check`,
    /// and only then renamed to `destination`; an existing file is never overwritten.
    ///
    /// - Returns: the number of tickets in the copy.
    @discardableResult
    public func backup(to destination: String) throws -> Int {
        let fileManager = FileManager.default
        guard !fileManager.fileExists(atPath: destination) else {
            throw StoreError(.maintenanceFailed, "'\(destination)' exists; choose a new file name (a backup never overwrites)")
        }
        let partial = destination + ".partial"
        try? fileManager.removeItem(atPath: partial)
        var tickets = 0
        do {
            let copy = try DatabaseQueue(path: partial)
            try writer.backup(to: copy)
            let problems = try Self.integrityProblems(copy)
            guard problems.isEmpty else {
                throw StoreError(.maintenanceFailed, "the copy failed integrity_check: \(problems.joined(separator: "; "))")
            }
            tickets = try copy.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tickets") ?? 0 }
            try copy.close()
        } catch {
            try? fileManager.removeItem(atPath: partial)
            if let error = error as? StoreError { throw error }
            throw StoreError(.maintenanceFailed, "backup of '\(path)' to '\(destination)' failed", underlying: error)
        }
        do {
            try fileManager.moveItem(atPath: partial, toPath: destination)
        } catch {
            throw StoreError(.maintenanceFailed, "cannot move the finished backup to '\(destination)'", underlying: error)
        }
        return tickets
    }

    /// The problems `PRAGMA integrity_check` and `PRAGMA foreign_key_check` report; empty when
    /// the file is sound.
    public func integrityProblems() throws -> [String] {
        try Self.integrityProblems(writer)
    }

    static func integrityProblems(_ reader: any DatabaseReader) throws -> [String] {
        try reader.read { db in
            var problems = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            let orphans = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
            problems += orphans.map { row in
                "row \(row[1] as Int64? ?? 0) of \(row[0] as String? ?? "?") refers to a missing row of \(row[2] as String? ?? "?")"
            }
            return problems
        }
    }
}
