public import Foundation

/// A routing decision to record: what Routing was asked and what it answered.
public struct RoutingDecisionInput: Sendable, Hashable {
    /// The call it was made for.
    public var callUniqueid: String?
    /// The inputs as a JSON object (caller, category, district, live figures …).
    public var inputsJSON: String
    /// The action chosen (`queue`, `overflow`, `callback`, `complaint_only`, `closed` …).
    public var outcome: String
    /// The department chosen.
    public var department: String?
    /// The queue chosen.
    public var queue: String?
    /// The queue priority.
    public var priority: Int?
    /// Human-readable reasons, in order.
    public var reasons: [String]

    /// A decision to record.
    public init(callUniqueid: String?, inputsJSON: String, outcome: String, department: String? = nil, queue: String? = nil, priority: Int? = nil, reasons: [String] = []) {
        self.callUniqueid = callUniqueid
        self.inputsJSON = inputsJSON
        self.outcome = outcome
        self.department = department
        self.queue = queue
        self.priority = priority
        self.reasons = reasons
    }
}

/// A routing decision as stored.
public struct RoutingDecision: Codable, Sendable, Hashable {
    /// The row id.
    public var id: Int64
    /// The call.
    public var callUniqueid: String?
    /// The ticket it led to, if any.
    public var ticketId: Int64?
    /// When.
    public var decidedAt: Date
    /// The inputs, JSON.
    public var inputs: String
    /// The action chosen.
    public var outcome: String
    /// The department.
    public var department: String?
    /// The queue.
    public var queue: String?
    /// The priority.
    public var priority: Int?
    /// The reasons, a JSON array of strings.
    public var reasons: String

    /// The reasons decoded.
    public var reasonList: [String] {
        (try? JSONDecoder().decode([String].self, from: Data(reasons.utf8))) ?? []
    }
}
