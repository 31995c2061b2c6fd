import Synchronization

/// The figures routing reads for one queue (one PBX, or summed over several).
public struct QueueFigures: Sendable, Hashable, Codable {
    /// Members logged in (every state but INVALID and UNAVAILABLE), as QueueSummary's `LoggedIn`.
    public var loggedIn = 0
    /// Members free now (not in use, not paused), as QueueSummary's `Available`.
    public var available = 0
    /// Members on a call.
    public var onCall = 0
    /// Logged-in members that are paused.
    public var paused = 0
    /// Callers waiting.
    public var callersWaiting = 0
    /// Seconds the longest-waiting caller has waited.
    public var longestWait: Double = 0
    /// Seconds a new caller can expect to wait; nil when no seat serves the queue.
    ///
    /// A heuristic: 0 when a seat is free for it; otherwise the callers ahead of it that no
    /// free seat takes, times the average talk time (the average hold time when no call has
    /// been timed yet), shared over the seats that are logged in and not paused.
    public var estimatedWait: Double?

    /// All zero.
    public init() {}
}

extension QueueState {
    /// The derived figures at time `now` (epoch seconds).
    public func figures(now: Double) -> QueueFigures {
        var figures = QueueFigures()
        for member in members.values {
            guard member.isLoggedIn else { continue }
            figures.loggedIn += 1
            if member.isAvailable { figures.available += 1 }
            if member.isOnCall { figures.onCall += 1 }
            if member.paused { figures.paused += 1 }
        }
        figures.callersWaiting = callers.count
        if let first = callers.min(by: { $0.joinedAt < $1.joinedAt }) { figures.longestWait = max(0, now - first.joinedAt) }
        let serving = figures.loggedIn - figures.paused
        if figures.available > figures.callersWaiting {
            figures.estimatedWait = 0
        } else if serving > 0 {
            let ahead = figures.callersWaiting + 1 - figures.available
            figures.estimatedWait = talkTime > 0 ? Double(ahead * talkTime) / Double(serving) : Double(holdTime)
        }
        return figures
    }
}

/// An immutable picture of the live state of every PBX, taken at one moment.
public struct LiveSnapshot: Sendable {
    /// Per PBX, by endpoint name.
    public var pbxs: [String: PBXState]

    /// An empty snapshot.
    public init(pbxs: [String: PBXState] = [:]) {
        self.pbxs = pbxs
    }

    /// Whether any PBX's state is stale.
    public var isStale: Bool { pbxs.values.contains { $0.isStale } }

    /// Every queue name on any PBX, sorted.
    public var queueNames: [String] { Set(pbxs.values.flatMap { $0.queues.keys }).sorted() }

    /// One queue's figures summed over every PBX that has it (callers, seats; the longest wait is the maximum).
    public func figures(queue: String, now: Double) -> QueueFigures {
        var total = QueueFigures()
        var waits: [Double] = []
        for pbx in pbxs.values {
            guard let state = pbx.queues[queue] else { continue }
            let figures = state.figures(now: now)
            total.loggedIn += figures.loggedIn
            total.available += figures.available
            total.onCall += figures.onCall
            total.paused += figures.paused
            total.callersWaiting += figures.callersWaiting
            total.longestWait = max(total.longestWait, figures.longestWait)
            if let wait = figures.estimatedWait { waits.append(wait) }
        }
        total.estimatedWait = waits.min()
        return total
    }
}

/// Where the live state of every AMI endpoint is published for readers.
///
/// Each endpoint's reducer runs on its own copy of the state on its connection's event loop
/// and publishes after each batch of bytes read (not after each event). Readers call
/// ``snapshot()``: it takes a `Mutex` for the time of one struct copy (a few reference-count
/// increments: the dictionaries inside are copy-on-write), so a reader never waits on reducer
/// work and never sees a half-applied batch. This is the "swap a reference under a tiny lock"
/// design; the standard library has no atomic strong reference to use instead.
///
/// ```swift
/// let snapshot = board.snapshot()
/// let health = snapshot.figures(queue: "dept-health", now: Date().timeIntervalSince1970)
/// ```
public final class LiveStateBoard: Sendable {
    private let current = Mutex(LiveSnapshot())

    /// An empty board.
    public init() {}

    /// The latest state of every PBX.
    public func snapshot() -> LiveSnapshot {
        current.withLock { $0 }
    }

    /// Replaces one PBX's state.
    public func publish(_ state: PBXState) {
        current.withLock { $0.pbxs[state.name] = state }
    }
}
