import GRDB

/// Copies committed pages from the WAL back into the database file, on a connection of its
/// own, so that no commit waits for it.
///
/// SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1,000 pages:
/// that commit, and every caller's write waiting behind it in the group commit, waits while
/// megabytes are copied and the database file is synced. At 1,000 complaint registrations a
/// second that was the slowest 1 % of commits (BENCHMARKS.md, section 6). Open the database
/// with ``HelplineDatabase/CheckpointPolicy/background`` and run this beside it.
///
/// Each checkpoint is PASSIVE: it copies what no reader still needs and never blocks readers
/// or the writer. The WAL itself starts again from its beginning after the writer's own
/// checkpoint at ``HelplineDatabase/backgroundCheckpointSafetyPages``, which then finds little
/// left to copy.
public final class WALCheckpointer: Sendable {
    /// How often ``run(every:onFailure:)`` checkpoints by default. Often, so that each
    /// checkpoint copies little: the sync of the database file that ends a checkpoint delays
    /// the WAL syncs of commits made meanwhile, more the more it copied (at 1,000
    /// registrations/s, every 250 ms made the slowest commits slower than SQLite's own
    /// checkpoints; every 50 ms, faster). A checkpoint with nothing to copy costs next to
    /// nothing.
    public static let defaultInterval: Duration = .milliseconds(50)

    private let connection: DatabaseQueue

    /// Opens a connection of its own to the database file at `path` (in WAL mode already).
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.label = "helpline.checkpoint"
        self.connection = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// One PASSIVE checkpoint: the WAL's frames and how many of them are now in the file.
    ///
    /// It runs to its end even if the calling task is cancelled meanwhile (GRDB would interrupt
    /// it, and a cancelled checkpoint has only wasted its work).
    @discardableResult
    public func checkpoint() async throws -> (walFrames: Int, checkpointedFrames: Int) {
        let connection = connection
        return try await Task {
            try await connection.writeWithoutTransaction { db in
                let result = try db.checkpoint(.passive)
                return (result.walFrameCount, result.checkpointedFrameCount)
            }
        }.value
    }

    /// Checkpoints every `interval` until the task is cancelled, then once more. A checkpoint
    /// that finds another one running (the writer's own, or the last connection closing) is
    /// skipped; one that fails otherwise is tried again at the next interval, and `onFailure`
    /// hears of it.
    public func run(every interval: Duration = defaultInterval, onFailure: @Sendable (any Error) -> Void = { _ in }) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                break
            }
            await checkpointReportingFailure(onFailure)
        }
        await checkpointReportingFailure(onFailure)
    }

    private func checkpointReportingFailure(_ onFailure: (any Error) -> Void) async {
        do {
            try await checkpoint()
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            // Another checkpoint is running: it does the work.
        } catch {
            onFailure(error)
        }
    }
}
