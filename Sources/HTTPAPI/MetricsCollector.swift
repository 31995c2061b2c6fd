import AMIClient
import Foundation
import Prometheus
import Store
import Synchronization

/// Sets the gauges `/metrics` shows that are read, not counted: open tickets by department
/// and status from the store, and each queue's live figures from the AMI state. Refreshed on
/// every scrape, so they are as fresh as the scrape; the counters and timers of the FastAGI
/// server and AMI clients reach the same registry through swift-metrics.
final class MetricsCollector: Sendable {
    let registry: PrometheusCollectorRegistry
    let dependencies: HTTPAPIDependencies
    /// The label sets set at the last refresh: one that disappears is set to 0 (tickets) or
    /// removed (a queue no longer on its PBX).
    private let seen = Mutex<(tickets: Set<[String]>, queues: Set<[String]>)>(([], []))

    static let openStatuses: [TicketStatus] = TicketStatus.allCases.filter(\.isOpen)
    static let queueGauges: [(name: String, help: String, value: @Sendable (QueueFigures) -> Double)] = [
        ("helpline_queue_callers_waiting", "Callers waiting in the queue now.", { Double($0.callersWaiting) }),
        ("helpline_queue_longest_wait_seconds", "How long the longest-waiting caller has waited.", { $0.longestWait }),
        ("helpline_queue_seats_logged_in", "Seats logged in to the queue.", { Double($0.loggedIn) }),
        ("helpline_queue_seats_available", "Seats free for a call (not in use, not paused).", { Double($0.available) }),
        ("helpline_queue_seats_on_call", "Seats on a call.", { Double($0.onCall) }),
        ("helpline_queue_seats_paused", "Logged-in seats that are paused.", { Double($0.paused) }),
    ]

    init(registry: PrometheusCollectorRegistry, dependencies: HTTPAPIDependencies) {
        self.registry = registry
        self.dependencies = dependencies
    }

    func refresh() async throws {
        let counts = try await dependencies.store.openTicketCounts()
        var tickets: [[String]: Int] = [:]
        // Every department of the directory appears, with zeros: a dashboard sees a department
        // that has nothing open as 0, not as missing.
        for department in dependencies.callFlows.directory?.departments.keys.sorted() ?? [] {
            for status in Self.openStatuses { tickets[[department, status.rawValue]] = 0 }
        }
        for count in counts { tickets[[count.department, count.status.rawValue]] = count.count }

        let now = dependencies.now().timeIntervalSince1970
        let snapshot = dependencies.board.snapshot()
        var queues: [[String]: QueueFigures] = [:]
        for pbx in snapshot.pbxs.values {
            for (name, queue) in pbx.queues { queues[[pbx.name, name]] = queue.figures(now: now) }
        }
        let (previousTickets, previousQueues) = seen.withLock { seen in
            defer { seen = (Set(tickets.keys), Set(queues.keys)) }
            return seen
        }
        for (labels, value) in tickets {
            gauge("helpline_tickets_open", "Open tickets by department and status.", [("department", labels[0]), ("status", labels[1])]).set(Double(value))
        }
        for labels in previousTickets.subtracting(tickets.keys) {
            gauge("helpline_tickets_open", "Open tickets by department and status.", [("department", labels[0]), ("status", labels[1])]).set(0.0)
        }
        for (labels, figures) in queues {
            for entry in Self.queueGauges {
                gauge(entry.name, entry.help, [("pbx", labels[0]), ("queue", labels[1])]).set(entry.value(figures))
            }
        }
        for labels in previousQueues.subtracting(queues.keys) {
            for entry in Self.queueGauges {
                registry.unregisterGauge(gauge(entry.name, entry.help, [("pbx", labels[0]), ("queue", labels[1])]))
            }
        }
        for endpoint in dependencies.amiEndpoints {
            let stale = snapshot.pbxs[endpoint]?.isStale ?? true
            gauge("helpline_ami_state_stale", "1 while the endpoint's live state is stale (disconnected or resyncing).", [("pbx", endpoint)]).set(stale ? 1.0 : 0.0)
        }
    }

    private func gauge(_ name: String, _ help: String, _ labels: [(String, String)]) -> Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
    }
}
