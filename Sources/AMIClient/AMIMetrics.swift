import CoreMetrics

/// One endpoint's metrics, created once with the endpoint as a dimension.
///
/// - `ami_connected{endpoint}` (gauge: 1 logged in and resynced, 0 otherwise)
/// - `ami_reconnects_total{endpoint}`, `ami_events_total{endpoint}`, `ami_events_dropped_total{endpoint}`
/// - `ami_resync_duration_seconds{endpoint}` (timer: from connect to live state)
/// - `ami_state_drift_total{endpoint}` (differences reconciliation found)
/// - `ami_requeries_total{endpoint}` (queues queried again after an unknown name)
final class AMIMetrics: Sendable {
    let connected: Gauge
    let reconnects: CoreMetrics.Counter
    let events: CoreMetrics.Counter
    let dropped: CoreMetrics.Counter
    let resync: CoreMetrics.Timer
    let drift: CoreMetrics.Counter
    let requeries: CoreMetrics.Counter

    init(endpoint: String, factory: any MetricsFactory) {
        let dimensions = [("endpoint", endpoint)]
        connected = Gauge(label: "ami_connected", dimensions: dimensions, factory: factory)
        reconnects = Counter(label: "ami_reconnects_total", dimensions: dimensions, factory: factory)
        events = Counter(label: "ami_events_total", dimensions: dimensions, factory: factory)
        dropped = Counter(label: "ami_events_dropped_total", dimensions: dimensions, factory: factory)
        resync = Timer(label: "ami_resync_duration_seconds", dimensions: dimensions, factory: factory)
        drift = Counter(label: "ami_state_drift_total", dimensions: dimensions, factory: factory)
        requeries = Counter(label: "ami_requeries_total", dimensions: dimensions, factory: factory)
    }
}
