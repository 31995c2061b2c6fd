import CoreMetrics

/// One endpoint's metrics, created once with the endpoint as a dimension.
///
/// - `ami_connected{endpoint}` (gauge: 1 logged in and resynced, 0 otherwise)
/// - `ami_reconnects_total{endpoint}`, `ami_events_total{endpoint}`, `ami_events_dropped_total{endpoint}`
/// - `ami_resync_duration_seconds{endpoint}` (timer: from connect to live state)
/// - `ami_state_drift_total{endpoint}` (differences reconciliation found)
/// - `ami_requeries_total{endpoint}` (queues queried again after an unknown name)
/// - `ami_event_lag_seconds{endpoint}` (timer: from the time Asterisk stamped the last event of
///   each read to the time the daemon applied it; needs `timestampevents = yes` in manager.conf)
final class AMIMetrics: Sendable {
    let connected: Gauge
    let reconnects: CoreMetrics.Counter
    let events: CoreMetrics.Counter
    let dropped: CoreMetrics.Counter
    let resync: CoreMetrics.Timer
    let drift: CoreMetrics.Counter
    let requeries: CoreMetrics.Counter
    let eventLag: CoreMetrics.Timer

    init(endpoint: String, factory: any MetricsFactory) {
        let dimensions = [("endpoint", endpoint)]
        connected = Gauge(label: "ami_connected", dimensions: dimensions, factory: factory)
        reconnects = Counter(label: "ami_reconnects_total", dimensions: dimensions, factory: factory)
        events = Counter(label: "ami_events_total", dimensions: dimensions, factory: factory)
        dropped = Counter(label: "ami_events_dropped_total", dimensions: dimensions, factory: factory)
        resync = Timer(label: "ami_resync_duration_seconds", dimensions: dimensions, factory: factory)
        drift = Counter(label: "ami_state_drift_total", dimensions: dimensions, factory: factory)
        requeries = Counter(label: "ami_requeries_total", dimensions: dimensions, factory: factory)
        eventLag = Timer(label: "ami_event_lag_seconds", dimensions: dimensions, factory: factory)
    }
}

/// How late an event is applied: `now` minus the event's `Timestamp` header (seconds and
/// microseconds since the epoch, as Asterisk writes it with `timestampevents = yes`), in
/// nanoseconds, never negative (the clocks of two machines may differ a little); nil when
/// the event carries no timestamp.
func eventLagNanoseconds(timestamp: String?, now: Double) -> Int64? {
    guard let timestamp, let stamped = Double(timestamp), stamped > 0 else { return nil }
    return Int64((max(0, now - stamped) * 1e9).rounded())
}
