public import Foundation
public import HelplineDomain

/// One queue's live figures, as routing needs them (the AMI live state maps onto this).
public struct QueueLoad: Hashable, Sendable, Codable {
    /// Seats logged in to the queue (paused or not).
    public var loggedIn: Int
    /// Seats logged in, not paused, not on a call: they can take the next caller now.
    public var available: Int
    /// Seats logged in and paused.
    public var paused: Int
    /// Callers waiting in the queue.
    public var callersWaiting: Int
    /// The longest current wait, seconds.
    public var longestWaitSeconds: Double
    /// The queue's average talk time, seconds (0 when it has taken no call yet).
    public var averageTalkSeconds: Double
    /// The queue's `maxlen` (0: unlimited).
    public var maximumCallers: Int

    /// Live figures of one queue.
    public init(loggedIn: Int, available: Int, paused: Int = 0, callersWaiting: Int = 0, longestWaitSeconds: Double = 0, averageTalkSeconds: Double = 0, maximumCallers: Int = 0) {
        self.loggedIn = loggedIn
        self.available = available
        self.paused = paused
        self.callersWaiting = callersWaiting
        self.longestWaitSeconds = longestWaitSeconds
        self.averageTalkSeconds = averageTalkSeconds
        self.maximumCallers = maximumCallers
    }

    /// Seats that take calls at all: logged in and not paused.
    public var serving: Int { max(0, loggedIn - paused) }

    /// Whether a new caller would exceed `maxlen`.
    public var isFull: Bool { maximumCallers > 0 && callersWaiting >= maximumCallers }

    /// The expected wait, in seconds, of a caller who joins now; nil when no seat serves the queue.
    ///
    /// With `w` callers waiting, `a` seats available and `m` seats serving: if `w < a` a seat
    /// is free for the new caller and the wait is 0. Otherwise the caller needs the
    /// `k = w − a + 1`-th seat to come free. While all `m` seats are busy, seats come free at
    /// rate `m / T` (T the average talk time; with exponentially distributed talk times each
    /// busy seat frees at rate `1/T` whatever it has done so far), so the expected time until
    /// the k-th one is
    ///
    ///     wait = k × T / m
    ///
    /// `Tests/RoutingTests/WaitEstimateTests.swift` checks it against a simulated queue.
    public func estimatedWait(defaultTalkSeconds: Double) -> Double? {
        let serving = serving
        guard serving > 0 else { return nil }
        let free = min(available, serving)
        if callersWaiting < free { return 0 }
        let talk = averageTalkSeconds > 0 ? averageTalkSeconds : defaultTalkSeconds
        return Double(callersWaiting - free + 1) * talk / Double(serving)
    }
}

/// The live figures of every queue routing may use, and how fresh they are.
public struct LiveLoad: Sendable {
    /// Figures per queue.
    public var queues: [QueueRef: QueueLoad]
    /// Since when the state has been stale (the AMI link is down or resyncing); nil when live.
    public var staleSince: Date?
    /// When the figures were last known to be current.
    public var asOf: Date

    /// A snapshot of live figures.
    public init(queues: [QueueRef: QueueLoad], asOf: Date, staleSince: Date? = nil) {
        self.queues = queues
        self.asOf = asOf
        self.staleSince = staleSince
    }
}
