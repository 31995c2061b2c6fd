import Foundation

/// What `helpline queues` shows: the live state of every AMI endpoint, per queue and seat.
///
/// The daemon builds it from a ``LiveSnapshot`` and sends it as JSON over the control socket;
/// the command renders it with ``render(now:)``.
public struct QueuesReport: Codable, Sendable, Equatable {
    /// One AMI endpoint's health.
    public struct Endpoint: Codable, Sendable, Equatable {
        public var name: String
        /// When the state stopped being live (epoch seconds); nil when live.
        public var staleSince: Double?
        public var eventsApplied: Int
        public var drift: Int
    }

    /// One seat in one queue.
    public struct Seat: Codable, Sendable, Equatable {
        public var pbx: String
        public var name: String
        public var interface: String
        /// `free`, `on call`, `ringing`, `busy`, `on hold`, `unavailable`, `invalid`… (the device side).
        public var state: String
        /// Whether the seat is paused in this queue.
        public var paused: Bool
        public var pausedReason: String
        public var callsTaken: Int
        public var penalty: Int
    }

    /// One waiting caller.
    public struct Caller: Codable, Sendable, Equatable {
        public var pbx: String
        public var position: Int
        public var callerID: String
        public var joinedAt: Double
    }

    /// One queue, summed over the endpoints that have it.
    public struct Queue: Codable, Sendable, Equatable {
        public var name: String
        public var strategy: String
        public var figures: QueueFigures
        public var completed: Int
        public var abandoned: Int
        public var holdTime: Int
        public var talkTime: Int
        public var seats: [Seat]
        public var callers: [Caller]
    }

    /// When the report was made (epoch seconds).
    public var generatedAt: Double
    public var endpoints: [Endpoint]
    public var queues: [Queue]

    /// Builds the report from a snapshot.
    public init(snapshot: LiveSnapshot, now: Double) {
        generatedAt = now
        endpoints = snapshot.pbxs.values.sorted { $0.name < $1.name }.map {
            Endpoint(name: $0.name, staleSince: $0.staleSince, eventsApplied: $0.eventsApplied, drift: $0.drift)
        }
        queues = snapshot.queueNames.map { name in
            var queue = Queue(name: name, strategy: "", figures: snapshot.figures(queue: name, now: now), completed: 0, abandoned: 0,
                              holdTime: 0, talkTime: 0, seats: [], callers: [])
            for pbx in snapshot.pbxs.values.sorted(by: { $0.name < $1.name }) {
                guard let state = pbx.queues[name] else { continue }
                if queue.strategy.isEmpty { queue.strategy = state.strategy }
                queue.completed += state.completed
                queue.abandoned += state.abandoned
                queue.holdTime = max(queue.holdTime, state.holdTime)
                queue.talkTime = max(queue.talkTime, state.talkTime)
                queue.seats += state.members.values.sorted { ($0.name, $0.interface) < ($1.name, $1.interface) }.map {
                    Seat(pbx: pbx.name, name: $0.name, interface: $0.interface, state: Self.describe($0), paused: $0.paused, pausedReason: $0.pausedReason,
                         callsTaken: $0.callsTaken, penalty: $0.penalty)
                }
                queue.callers += state.callers.map {
                    Caller(pbx: pbx.name, position: $0.position, callerID: [$0.callerIDNumber, $0.callerIDName].filter { !$0.isEmpty }.joined(separator: " "),
                           joinedAt: $0.joinedAt)
                }
            }
            return queue
        }
    }

    /// A seat's state in words.
    static func describe(_ member: QueueMember) -> String {
        if member.inCall && (member.status == .notInUse || member.status == .unknown) { return "on call" }
        switch member.status {
        case .notInUse, .unknown: return "free"
        case .inUse: return "on call"
        case .busy: return "busy"
        case .ringing: return "ringing"
        case .ringInUse: return "ringing (in use)"
        case .onHold: return "on hold"
        case .unavailable: return "unavailable"
        case .invalid: return "invalid"
        default: return member.status.description
        }
    }

    /// The report as text for a terminal: endpoints, one line per queue, then seats and callers.
    public func render(now: Double) -> String {
        var out = ""
        if endpoints.isEmpty { out += "No AMI endpoints are configured (see ami.endpoints in the configuration).\n" }
        for endpoint in endpoints {
            if let since = endpoint.staleSince {
                let age = since > 0 ? "since \(Self.clock(since)), \(Self.seconds(now - since)) ago" : "not yet connected"
                out += "PBX \(endpoint.name): STALE (\(age)); its figures may be out of date\n"
            } else {
                out += "PBX \(endpoint.name): live (\(endpoint.eventsApplied) events applied, \(endpoint.drift) corrected by reconciliation)\n"
            }
        }
        guard !queues.isEmpty else { return out + "No queues known yet.\n" }
        let header = ["QUEUE", "WAITING", "LONGEST", "EST.WAIT", "LOGGED IN", "FREE", "ON CALL", "PAUSED", "ANSWERED", "ABANDONED", "AVG HOLD", "AVG TALK"]
        var rows = [header]
        for queue in queues {
            let f = queue.figures
            rows.append([queue.name, "\(f.callersWaiting)", f.callersWaiting == 0 ? "-" : Self.seconds(f.longestWait),
                         f.estimatedWait.map(Self.seconds) ?? "no seats", "\(f.loggedIn)", "\(f.available)", "\(f.onCall)", "\(f.paused)",
                         "\(queue.completed)", "\(queue.abandoned)", Self.seconds(Double(queue.holdTime)), Self.seconds(Double(queue.talkTime))])
        }
        out += "\n" + Self.table(rows)
        let multiple = endpoints.count > 1
        for queue in queues {
            out += "\n\(queue.name)\(queue.strategy.isEmpty ? "" : " (\(queue.strategy))")\n"
            var seatRows = [["  SEAT", "STATE", "CALLS", "PENALTY", "INTERFACE"] + (multiple ? ["PBX"] : [])]
            for seat in queue.seats {
                // A pause matters most when the seat is otherwise free; show it first then.
                let pause = seat.pausedReason.isEmpty ? "paused" : "paused: \(seat.pausedReason)"
                let state = !seat.paused ? seat.state : seat.state == "free" ? pause : "\(pause) (\(seat.state))"
                seatRows.append(["  " + seat.name, state, "\(seat.callsTaken)", "\(seat.penalty)", seat.interface] + (multiple ? [seat.pbx] : []))
            }
            if queue.seats.isEmpty { out += "  no seats\n" } else { out += Self.table(seatRows) }
            for caller in queue.callers {
                out += "  waiting \(caller.position). \(caller.callerID.isEmpty ? "unknown caller" : caller.callerID), \(Self.seconds(now - caller.joinedAt))\(multiple ? " on \(caller.pbx)" : "")\n"
            }
        }
        return out
    }

    static func table(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                // Text left, numbers right.
                return index == 0 || cell.first?.isNumber == false && cell != "-" ? cell + pad : pad + cell
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n") + "\n"
    }

    static func seconds(_ value: Double) -> String {
        let total = Int(max(0, value).rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return "\(total / 3600)h\(String(format: "%02d", total % 3600 / 60))m"
    }

    static func clock(_ epoch: Double) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: epoch))
    }
}
