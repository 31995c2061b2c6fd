import Dispatch
import GRDB
import Synchronization

/// Runs many callers' writes in shared transactions, so one WAL sync serves them all.
///
/// Each caller's work runs in its own savepoint inside the shared transaction: a failing
/// write rolls back alone and throws to its caller, the others commit. Every caller resumes
/// only after the transaction that holds its write has committed (and, with
/// `synchronous=FULL`, reached the disk), so a returned write is durable.
///
/// Writes run on one private dispatch queue, never on a NIO event loop or the concurrency
/// pool's threads. While a commit syncs, new writes gather; the next transaction takes them
/// all (up to ``maximumBatch``). A lone writer pays one sync per write; 256 concurrent
/// writers share one sync among up to 256.
///
/// A write nobody waits on in the meantime (a call's row, stored while the dialplan's
/// variables are set) may be deferred: it waits for a transaction started by another write and
/// rides in it, instead of paying a sync and a WAL copy of its pages of its own. When no such
/// transaction comes it is committed `deferral` after it found nothing to ride in (a write
/// that arrives during a commit waits for that commit first). Its caller still resumes only
/// once it has committed.
final class GroupCommitWriter: Sendable {
    /// The most writes put into one transaction.
    static let maximumBatch = 512

    /// Resumes a caller once the transaction's fate is known (nil: committed).
    typealias Completion = @Sendable (_ commitError: (any Error)?) -> Void
    /// A caller's write.
    struct Job: Sendable {
        /// Runs inside the shared transaction and returns how to finish.
        var run: @Sendable (Database) -> Completion
        /// Finishes a job that never ran because its transaction could not begin.
        var fail: @Sendable (any Error) -> Void
        /// Whether it may wait for another write's transaction.
        var deferrable = false
    }

    private struct State {
        var pending: [Job] = []
        /// Pending writes that may not wait for another write's transaction.
        var urgent = 0
        var draining = false
        /// A drain is scheduled `deferral` after the first deferred write that found no
        /// transaction to ride in.
        var deferredDrainScheduled = false

        /// Marks a deferred drain scheduled; true when the caller must start its timer.
        mutating func claimDeferredDrain() -> Bool {
            guard !deferredDrainScheduled else { return false }
            deferredDrainScheduled = true
            return true
        }
    }

    private let writer: any DatabaseWriter
    private let state = Mutex(State())
    private let counters = Mutex(GroupCommitStatistics())
    private let queue = DispatchQueue(label: "helpline.store.group-commit")

    private let deferral: DispatchTimeInterval

    init(writer: any DatabaseWriter, deferral: Duration = TicketStore.defaultDeferral) {
        self.writer = writer
        let (seconds, attoseconds) = deferral.components
        // Clamped to a day: longer is not a deferral, and the product could overflow.
        self.deferral = .nanoseconds(Int(min(max(seconds, 0), 86_400) * 1_000_000_000 + max(attoseconds, 0) / 1_000_000_000))
    }

    /// Runs `work` in a shared transaction; returns its value once that transaction committed.
    /// A `deferrable` write may wait about `deferral` for another write's transaction.
    func write<T: Sendable>(deferrable: Bool = false, _ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let run: @Sendable (Database) -> Completion = { db in
                let result: Result<T, any Error>
                do {
                    // Cached statements: preparing SAVEPOINT/RELEASE for every write cost more
                    // than the write itself (see BENCHMARKS.md).
                    try db.cachedStatement(sql: "SAVEPOINT helpline_job").execute()
                    do {
                        let value = try work(db)
                        try db.cachedStatement(sql: "RELEASE helpline_job").execute()
                        result = .success(value)
                    } catch {
                        try db.cachedStatement(sql: "ROLLBACK TO helpline_job").execute()
                        try db.cachedStatement(sql: "RELEASE helpline_job").execute()
                        result = .failure(error)
                    }
                } catch {
                    result = .failure(error)
                }
                return { commitError in
                    if let commitError {
                        continuation.resume(throwing: commitError)
                    } else {
                        continuation.resume(with: result)
                    }
                }
            }
            let job = Job(run: run, fail: { continuation.resume(throwing: $0) }, deferrable: deferrable)
            let start = state.withLock { state -> Start in
                state.pending.append(job)
                if !deferrable { state.urgent += 1 }
                if state.draining { return .none }
                if deferrable { return state.claimDeferredDrain() ? .afterDeferral : .none }
                state.draining = true
                return .now
            }
            switch start {
            case .now: queue.async { self.drain() }
            case .afterDeferral: startDeferralTimer()
            case .none: break
            }
        }
    }

    private enum Start { case now, afterDeferral, none }

    private func startDeferralTimer() {
        queue.asyncAfter(deadline: .now() + deferral) { self.deferredDrain() }
    }

    /// Drains the deferred writes that no other write's transaction took in the meantime.
    private func deferredDrain() {
        let start = state.withLock { state -> Bool in
            state.deferredDrainScheduled = false
            guard !state.draining, !state.pending.isEmpty else { return false }
            state.draining = true
            return true
        }
        if start { drain(deferredDue: true) }
    }

    /// Transactions and writes so far, and the writes waiting now.
    var statistics: GroupCommitStatistics {
        var statistics = counters.withLock { $0 }
        statistics.waiting = state.withLock { $0.pending.count }
        return statistics
    }

    /// Commits batches until nothing is pending, or (unless `deferredDue`) until only deferred
    /// writes are.
    private func drain(deferredDue: Bool = false) {
        while true {
            let (batch, scheduleDeferred): ([Job], Bool) = state.withLock { state in
                guard !state.pending.isEmpty else {
                    state.draining = false
                    return ([], false)
                }
                if state.urgent == 0 && !deferredDue {
                    // Only deferred writes left: they wait for the next write's transaction.
                    state.draining = false
                    return ([], state.claimDeferredDrain())
                }
                let count = min(state.pending.count, Self.maximumBatch)
                let batch = Array(state.pending.prefix(count))
                state.pending.removeFirst(count)
                state.urgent -= batch.reduce(0) { $0 + ($1.deferrable ? 0 : 1) }
                return (batch, false)
            }
            if scheduleDeferred { startDeferralTimer() }
            if batch.isEmpty { return }
            nonisolated(unsafe) var completions: [Completion] = []
            completions.reserveCapacity(batch.count)
            var commitError: (any Error)?
            do {
                try writer.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        for job in batch { completions.append(job.run(db)) }
                        return .commit
                    }
                }
            } catch {
                commitError = error
            }
            counters.withLock { counters in
                counters.transactions += 1
                counters.writes += batch.count
                counters.largestBatch = max(counters.largestBatch, batch.count)
            }
            for completion in completions { completion(commitError) }
            if completions.count < batch.count {
                // The transaction failed before these jobs ran (it could not begin, or an
                // earlier job's error aborted it): they fail with that error, nothing written.
                let error = commitError ?? DatabaseError(resultCode: .SQLITE_ABORT, message: "the shared transaction ended early")
                for job in batch[completions.count...] { job.fail(error) }
            }
        }
    }
}

/// How well writes have been grouped since the store was opened.
public struct GroupCommitStatistics: Sendable, Hashable {
    /// Transactions committed (or attempted).
    public var transactions = 0
    /// Writes they carried.
    public var writes = 0
    /// The most writes in one transaction.
    public var largestBatch = 0
    /// Writes waiting for a transaction now (deferred ones among them).
    public var waiting = 0
}
