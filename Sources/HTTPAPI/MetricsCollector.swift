import AMIClient
import Foundation
import Prometheus
import Store
import HelplineDomain
import Synchronization

/// Sets the gauges `/metrics` shows that are read, not counted: open tickets by department
/// and status, the outbox's and the outbound lists' depth from the store; each queue's live
/// figures and each seat's state from the AMI state. Refreshed on
/// every scrape, so they are as fresh as the scrape; the counters and timers of the FastAGI
/// server and AMI clients reach the same registry through swift-metrics.
final class MetricsCollector: Sendable {
    let registry: PrometheusCollectorRegistry
    let dependencies: HTTPAPIDependencies
    /// The label sets set at the last refresh: one that disappears is set to 0 (tickets) or
    /// removed (a queue no longer on its PBX).
    private let seen = Mutex<(tickets: Set<[String]>, queues: Set<[String]>, seats: Set<[String]>)>(([], [], []))

    static let openStatuses: [TicketStatus] = TicketStatus.allCases.filter(\.isOpen)
    static let queueGauges: [(name: String, help: String, value: @Sendable (QueueFigures) -> Double)] = [
        ("helpline_queue_callers_waiting", "Callers waiting in the queue now.", { Double($0.callersWaiting) }),
        ("helpline_queue_longest_wait_seconds", "How long the longest-waiting caller has waited.", { $0.longestWait }),
        ("helpline_queue_seats_logged_in", "Seats logged in to the queue.", { Double($0.loggedIn) }),
        ("helpline_queue_seats_available", "Seats free for a call (not in use, not paused).", { Double($0.available) }),
        ("helpline_queue_seats_on_call", "Seats on a call.", { Double($0.onCall) }),
        ("helpline_queue_seats_paused", "Logged-in seats that are paused.", { Double($0.paused) }),
    ]

    static let seatPaused = (name: "helpline_seat_paused", help: "1 while the seat is paused in the queue.")
    static let seatOnCall = (name: "helpline_seat_on_call", help: "1 while the seat is on a call (its device in use).")

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
        // Per seat and queue: paused (1/0); per seat: on a call (1/0), from any queue it is in.
        var seats: [[String]: (paused: Bool, onCall: Bool)] = [:]
        for pbx in snapshot.pbxs.values {
            for queue in pbx.queues.values {
                for member in queue.members.values {
                    seats[[pbx.name, member.interface, queue.name]] = (member.paused, member.isOnCall)
                }
            }
        }
        let (previousTickets, previousQueues, previousSeats) = seen.withLock { seen in
            defer { seen = (Set(tickets.keys), Set(queues.keys), Set(seats.keys)) }
            return seen
        }
        for (labels, seat) in seats {
            gauge(Self.seatPaused.name, Self.seatPaused.help, [("pbx", labels[0]), ("seat", labels[1]), ("queue", labels[2])]).set(seat.paused ? 1.0 : 0.0)
            gauge(Self.seatOnCall.name, Self.seatOnCall.help, [("pbx", labels[0]), ("seat", labels[1]), ("queue", labels[2])]).set(seat.onCall ? 1.0 : 0.0)
        }
        for labels in previousSeats.subtracting(seats.keys) {
            for entry in [Self.seatPaused, Self.seatOnCall] {
                registry.unregisterGauge(gauge(entry.name, entry.help, [("pbx", labels[0]), ("seat", labels[1]), ("queue", labels[2])]))
            }
        }
        let work = try await dependencies.store.workFigures()
        for (status, count) in work.outbox {
            gauge("helpline_outbox_messages", "Outbox messages waiting to be sent (pending) or given up (dead).", [("status", status)]).set(Double(count))
        }
        for (kind, counts) in work.outbound {
            for (status, count) in counts {
                gauge("helpline_outbound_calls", "Outbound calls waiting (pending) or being dialled (dialling), by kind (feedback, callback, campaign).",
                      [("kind", kind.rawValue), ("status", status)]).set(Double(count))
            }
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
