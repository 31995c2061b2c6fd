import GRDB

/// The helpline's SQLite database file: opened, checked and migrated.
///
/// ```swift
/// let database = try HelplineDatabase(path: "helpline.sqlite")   // migrates on open
/// let store = TicketStore(database: database)
/// ```
///
/// Durability: the file is in WAL mode with `synchronous=FULL`. WAL lets readers (reports,
/// `helpline db backup`) run beside the one writer. In WAL mode `synchronous=NORMAL` may lose
/// the last commits on power loss (the WAL is not synced at each commit), and a ticket number
/// is spoken to the caller only after its commit returns, so every commit syncs the WAL:
/// `FULL`. Group commit (``TicketStore``) keeps throughput up by sharing one sync between
/// many callers' writes.
public final class HelplineDatabase: Sendable {
    /// The connection pool (one writer, concurrent readers), or a queue for in-memory databases.
    let writer: any DatabaseWriter
    /// The file's path as given (`:memory:` for an in-memory database).
    public let path: String

    /// Opens or creates the database at `path` and, unless `migrate` is false, brings its
    /// schema up to date.
    ///
    /// Throws a ``StoreError`` (``StoreError/Code/cannotOpen``, ``StoreError/Code/newerSchema``) naming the path and the reason when the file cannot be
    /// opened or written (missing directory, no permission, not a database) or when a newer
    /// Helpline has already migrated it beyond what this build knows.
    public init(path: String, migrate: Bool = true) throws(StoreError) {
        do {
            writer = try DatabasePool(path: path, configuration: Self.configuration())
            try writer.writeWithoutTransaction { db in
                // GRDB sets `synchronous = NORMAL` on a pool's writer when it turns WAL on, after
                // `prepareDatabase` has run: FULL again, on the one connection that writes.
                try db.execute(sql: "PRAGMA synchronous = FULL")
                try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS helpline_open_check(x); DROP TABLE helpline_open_check")
            }
        } catch {
            throw StoreError.cannotOpen(path, "\(error)", underlying: error)
        }
        self.path = path
        if migrate { try self.migrate() }
    }

    private init(inMemory writer: DatabaseQueue) {
        self.writer = writer
        self.path = ":memory:"
    }

    /// A fresh, migrated in-memory database, for tests and tools where durability is not wanted.
    public static func inMemory() throws -> HelplineDatabase {
        let database = HelplineDatabase(inMemory: try DatabaseQueue(configuration: configuration()))
        try database.migrate()
        return database
    }

    private static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.foreignKeysEnabled = true
        configuration.label = "helpline"
        configuration.prepareDatabase { db in
            // See the type's documentation: no acknowledged ticket may be lost on power loss.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Group commit runs each caller's write in a savepoint; SQLite keeps a savepoint's
            // undo pages in a sub-journal, by default a file in /var/tmp. In memory it costs a
            // few pages per write instead of thousands of small file writes per second.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        return configuration
    }

    /// Runs the migrations the file lacks; refuses a file migrated by a newer Helpline.
    public func migrate() throws(StoreError) {
        do {
            let status = try migrationStatus()
            guard status.unknown.isEmpty else {
                throw StoreError.cannotOpen(
                    path, "it was migrated by a newer Helpline (migrations this build does not know: \(status.unknown.joined(separator: ", "))); run that version or restore a backup", code: .newerSchema)
            }
            try Schema.migrator.migrate(writer)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.cannotOpen(path, "migration failed: \(error)", underlying: error)
        }
    }

    /// Which migrations the file has, lacks, and has but this build does not know.
    public func migrationStatus() throws -> MigrationStatus {
        let migrator = Schema.migrator
        return try writer.read { db in
            let applied = try migrator.appliedIdentifiers(db)
            let known = migrator.migrations
            return MigrationStatus(
                applied: known.filter(applied.contains),
                pending: known.filter { !applied.contains($0) },
                unknown: applied.subtracting(known).sorted())
        }
    }

    /// The journal mode SQLite reports (`wal` for a file).
    public func journalMode() throws -> String {
        try writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }
}

/// The migrations of a database file compared with this build's.
public struct MigrationStatus: Sendable, Equatable {
    /// Applied, in this build's order.
    public var applied: [String]
    /// Known to this build and not applied yet.
    public var pending: [String]
    /// Applied by some other (newer) build.
    public var unknown: [String]
}
