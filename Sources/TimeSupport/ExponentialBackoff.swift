/// How long to wait before trying again after failures in a row: `base × 2^(n−1)` after the
/// n-th failure, capped, of which a random part of up to a half is taken off ("equal jitter"),
/// so that many clients failing together do not come back together.
///
/// The AMI client's reconnects and the outbox's deliveries both wait by it.
///
/// ```swift
/// let backoff = ExponentialBackoff(base: .seconds(30), cap: .seconds(3600))
/// backoff.delay(afterFailure: 1, jitter: 1)   // 30 s
/// backoff.delay(afterFailure: 3, jitter: 0)   // 60 s (120 s, half taken off)
/// ```
public struct ExponentialBackoff: Hashable, Sendable {
    /// The wait after the first failure (with no jitter taken off).
    public var base: Duration
    /// The longest wait.
    public var cap: Duration

    /// A back-off from its base and cap.
    public init(base: Duration, cap: Duration) {
        self.base = base
        self.cap = cap
    }

    /// The wait after failure number `failure` in a row (1 for the first; smaller counts as 1),
    /// rounded to the millisecond. `jitter` in 0…1 keeps that fraction of the half that may be
    /// taken off: 1 waits the whole `base × 2^(failure−1)` (capped), 0 half of it.
    public func delay(afterFailure failure: Int, jitter: Double) -> Duration {
        let exponent = min(max(failure - 1, 0), 40)
        let full = min(base.seconds * Double(1 << exponent), cap.seconds)
        let seconds = full / 2 + full / 2 * min(max(jitter, 0), 1)
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
