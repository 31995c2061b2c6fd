public import Foundation
public import HelplineDomain

/// What a stored routing decision's `inputs` column holds: the call, the figures of the
/// queues that were weighed, and the outcome, so the decision can be explained later.
public struct DecisionInputs: Hashable, Sendable, Codable {
    /// The call as routing saw it.
    public var call: CallInput
    /// When the decision was made.
    public var decidedAt: Date
    /// When the live figures were last current.
    public var figuresAsOf: Date
    /// Since when the live state had been stale, if it was.
    public var staleSince: Date?
    /// The figures of each queue weighed, by `queue@pbx`.
    public var queues: [String: QueueLoad]
    /// The action.
    public var action: RoutingAction
    /// The department.
    public var department: String?
    /// The queue priority.
    public var priority: Int
    /// Whether it was an emergency.
    public var emergency: Bool
    /// The L1 officer.
    public var officer: String?
    /// The estimated wait, seconds.
    public var estimatedWaitSeconds: Double?
}

extension CallDecision {
    /// The row to store in `routing_decisions` for this decision.
    public func record(call: CallInput, load: LiveLoad, directory: Directory, now: Date) -> RoutingDecisionInput {
        var weighed: [String: QueueLoad] = [:]
        var candidates: [QueueRef] = []
        if let queue { candidates.append(queue) }
        if let department, let queues = directory.departments[department]?.queues[call.pbx] {
            candidates.append(QueueRef(pbx: call.pbx, queue: queues.primary))
            if let overflow = queues.overflow { candidates.append(QueueRef(pbx: call.pbx, queue: overflow)) }
        }
        if let general = directory.generalQueues[call.pbx] { candidates.append(QueueRef(pbx: call.pbx, queue: general)) }
        for candidate in candidates {
            if let figures = load.queues[candidate] { weighed[candidate.description] = figures }
        }
        let inputs = DecisionInputs(
            call: call, decidedAt: now, figuresAsOf: load.asOf, staleSince: load.staleSince, queues: weighed,
            action: action, department: department, priority: priority, emergency: emergency, officer: officer,
            estimatedWaitSeconds: estimatedWaitSeconds)
        let json = inputs.json
        return RoutingDecisionInput(
            callUniqueid: call.uniqueid, inputsJSON: json, outcome: action.rawValue, department: department,
            queue: queue?.description, priority: priority, reasons: reasons.map(\.description))
    }
}

extension DecisionInputs {
    /// The JSON stored with the decision: what ``encoder`` writes, byte for byte, written by
    /// hand because `JSONEncoder` cost more than the rest of the decision (BENCHMARKS.md,
    /// section 6). Keys are snake_case and sorted; absent values are left out.
    public var json: String {
        var json = JSONText()
        json.beginObject()
        json.field("action", action.rawValue)
        json.key("call")
        json.beginObject()
        json.field("caller_number", call.callerNumber)
        json.field("category", call.category)
        json.field("district", call.district)
        json.field("language", call.language)
        json.key("open_tickets")
        json.beginArray()
        for ticket in call.openTickets {
            json.beginObject()
            json.field("category", ticket.category)
            json.field("department", ticket.department)
            json.field("number", ticket.number)
            json.endObject()
        }
        json.endArray()
        json.field("pbx", call.pbx)
        json.field("uniqueid", call.uniqueid)
        json.endObject()
        json.field("decided_at", decidedAt)
        json.field("department", department)
        json.field("emergency", emergency)
        if let estimatedWaitSeconds { json.field("estimated_wait_seconds", estimatedWaitSeconds) }
        json.field("figures_as_of", figuresAsOf)
        json.field("officer", officer)
        json.field("priority", priority)
        json.key("queues")
        json.beginObject()
        for (name, figures) in queues.sorted(by: { $0.key < $1.key }) {
            json.key(name)
            json.beginObject()
            json.field("available", figures.available)
            json.field("average_talk_seconds", figures.averageTalkSeconds)
            json.field("callers_waiting", figures.callersWaiting)
            json.field("logged_in", figures.loggedIn)
            json.field("longest_wait_seconds", figures.longestWaitSeconds)
            json.field("maximum_callers", figures.maximumCallers)
            json.field("paused", figures.paused)
            json.endObject()
        }
        json.endObject()
        if let staleSince { json.field("stale_since", staleSince) }
        json.endObject()
        return json.text
    }

    /// The encoder ``json`` matches (tests compare the two).
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// Reads the JSON a stored decision holds.
    public init(json: String) throws {
        self = try Self.decoder.decode(DecisionInputs.self, from: Data(json.utf8))
    }
}

/// Explanations of stored decisions for administrators (`helpline routing explain`).
public enum RoutingExplanation {
    /// What the caller chose, what the queues looked like and why the call went where it went.
    public static func text(_ stored: HelplineDomain.RoutingDecision) -> String {
        var lines = ["decision \(stored.id) at \(RoutingReason.time(stored.decidedAt))\(stored.callUniqueid.map { " for call \($0)" } ?? "")"]
        if let inputs = try? DecisionInputs(json: stored.inputs) {
            let call = inputs.call
            lines.append("  caller        \(call.callerNumber), language \(call.language), on PBX \(call.pbx)")
            lines.append("  chose         category \(call.category ?? "(none)"), district \(call.district ?? "(none)")")
            if !call.openTickets.isEmpty {
                lines.append("  open tickets  " + call.openTickets.map { "\($0.number) (\($0.category ?? "-"), \($0.department))" }.joined(separator: ", "))
            }
            let freshness = inputs.staleSince.map { "STALE since \(RoutingReason.time($0))" }
                ?? (inputs.figuresAsOf.timeIntervalSince1970 <= 0 ? "none: no AMI connection to this PBX" : "as of \(RoutingReason.time(inputs.figuresAsOf))")
            lines.append("  queues        figures \(freshness)")
            if inputs.queues.isEmpty { lines.append("                (no live figures for the queues weighed)") }
            for (name, figures) in inputs.queues.sorted(by: { $0.key < $1.key }) {
                lines.append("    \(name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(describe(figures))")
            }
            var outcome = "\(inputs.action.rawValue)"
            if let queue = stored.queue { outcome += " → \(queue)" }
            outcome += ", priority \(inputs.priority)"
            if let wait = inputs.estimatedWaitSeconds { outcome += ", estimated wait \(Int(wait.rounded())) s" }
            if let officer = inputs.officer { outcome += ", L1 officer \(officer)" }
            if inputs.emergency { outcome += ", EMERGENCY" }
            lines.append("  outcome       \(outcome)")
        } else {
            lines.append("  outcome       \(stored.outcome)\(stored.queue.map { " → \($0)" } ?? "")")
            lines.append("  inputs        \(stored.inputs)")
        }
        lines.append("  because")
        for reason in stored.reasonList { lines.append("    - \(reason)") }
        return lines.joined(separator: "\n")
    }

    static func describe(_ figures: QueueLoad) -> String {
        var text = "\(figures.loggedIn) logged in, \(figures.available) free, \(figures.paused) paused, \(figures.callersWaiting) waiting"
        if figures.callersWaiting > 0 { text += " (longest \(Int(figures.longestWaitSeconds.rounded())) s)" }
        if figures.averageTalkSeconds > 0 { text += ", average talk \(Int(figures.averageTalkSeconds.rounded())) s" }
        if figures.maximumCallers > 0 { text += ", maximum \(figures.maximumCallers)" }
        return text
    }
}
