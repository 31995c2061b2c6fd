public import GRDB

/// The helpline's SQLite database file, opened for the daemon.
///
/// This first cut opens (or creates) the file in WAL mode and proves it writable, so a wrong
/// `database.path` stops `helpline serve` at start-up with a clear message instead of failing
/// the first caller. Tables, migrations and the ticket operations arrive with the Store issue.
public final class HelplineDatabase: Sendable {
    /// The connection pool (one writer, concurrent readers).
    public let writer: DatabasePool
    /// The file's path as given.
    public let path: String

    /// Opens or creates the database at `path`.
    ///
    /// Throws ``DatabaseOpenError`` naming the path and SQLite's reason when the file cannot be
    /// opened or written (missing directory, no permission, not a database).
    public init(path: String) throws(DatabaseOpenError) {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // WAL lets readers (reports, backups) run beside the writer. synchronous=FULL makes
            // every commit durable on power loss as well as on a crash: a ticket number is
            // spoken only after its commit, so an acknowledged ticket must never be lost.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            writer = try DatabasePool(path: path, configuration: configuration)
            try writer.write { db in
                try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS helpline_open_check(x); DROP TABLE helpline_open_check")
            }
        } catch {
            throw DatabaseOpenError(path: path, reason: "\(error)")
        }
        self.path = path
    }

    /// The journal mode SQLite reports (`wal` once opened).
    public func journalMode() throws -> String {
        try writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }
}

/// The database file could not be opened or written.
public struct DatabaseOpenError: Error, Sendable, CustomStringConvertible {
    /// The path given.
    public var path: String
    /// SQLite's explanation.
    public var reason: String

    /// The message for logs and the console.
    public var description: String { "cannot open the database '\(path)': \(reason)" }
}
