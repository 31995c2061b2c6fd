/// When a call the helpline places to a citizen (a feedback call, a callback, a campaign call)
/// is made again, by how the last attempt went, and after how many attempts it is given up.
///
/// ``standard`` is the one place these defaults are written; the `outbound` section of the
/// configuration (`retry_no_answer`, `retry_busy`, `retry_failure`, `max_attempts`) changes
/// them, and a campaign may set its own maximum and delay.
public struct CallRetry: Hashable, Sendable {
    /// The wait after an attempt nobody answered, or answered without pressing anything.
    public var afterNoAnswer: Duration
    /// The wait after a busy line.
    public var afterBusy: Duration
    /// The wait after a failure of the trunk or network, or an outcome the daemon could not learn.
    public var afterFailure: Duration
    /// Attempts before the call is given up.
    public var maximumAttempts: Int

    /// The defaults: 30 minutes after no answer, 10 after busy, 15 after a failure; 3 attempts.
    public static let standard = CallRetry(afterNoAnswer: .seconds(30 * 60), afterBusy: .seconds(10 * 60), afterFailure: .seconds(15 * 60), maximumAttempts: 3)

    /// A retry rule from its parts.
    public init(afterNoAnswer: Duration, afterBusy: Duration, afterFailure: Duration, maximumAttempts: Int) {
        self.afterNoAnswer = afterNoAnswer
        self.afterBusy = afterBusy
        self.afterFailure = afterFailure
        self.maximumAttempts = maximumAttempts
    }
}
