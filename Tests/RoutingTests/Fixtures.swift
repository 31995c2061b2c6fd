import Foundation
import Routing
import HelplineDomain

/// A small directory: water (with overflow), roads (office hours), a control room for
/// emergencies, officers per district and for every district, a general queue on pbx1.
enum Fixture {
    static let now = Date(timeIntervalSince1970: 1_795_243_800)  // Sat 2026-11-21 12:20 IST (06:50 UTC)

    static var directory: Directory {
        var policy = RoutingPolicy()
        policy.callbackAfterSeconds = 300
        return Directory(
            departments: [
                Department(id: "water", names: ["en": "Water supply"], queues: ["pbx1": DepartmentQueues(primary: "water-l1", overflow: "water-overflow")], slaHours: [.l1: 72, .l2: 48]),
                Department(id: "roads", queues: ["pbx1": DepartmentQueues(primary: "roads")], openingHours: OpeningHours(days: [1: [540..<1020], 2: [540..<1020], 3: [540..<1020], 4: [540..<1020], 5: [540..<1020]])),
                Department(id: "health", queues: ["pbx1": DepartmentQueues(primary: "health")], callbackAfterSeconds: 60),
                Department(id: "control-room", queues: ["pbx1": DepartmentQueues(primary: "control-room", overflow: "health")]),
                Department(id: "revenue", queues: ["pbx2": DepartmentQueues(primary: "revenue")]),
            ],
            categories: [
                Category(id: "supply", department: "water"),
                Category(id: "leak", department: "water"),
                Category(id: "pothole", department: "roads"),
                Category(id: "hospital", department: "health"),
                Category(id: "ambulance", department: "control-room", emergency: true),
                Category(id: "land", department: "revenue"),
                Category(id: "road-accident", department: "roads", emergency: true),
            ],
            districts: [District(code: "07"), District(code: "12")],
            officers: [
                Officer(id: "l1-water-07", name: "A", department: "water", level: .l1, districts: ["07"]),
                Officer(id: "l1-water-all", name: "B", department: "water", level: .l1),
                Officer(id: "l2-water", name: "C", department: "water", level: .l2),
                Officer(id: "l1-roads", name: "D", department: "roads", level: .l1),
                Officer(id: "l1-health", name: "E", department: "health", level: .l1),
                Officer(id: "l1-control", name: "F", department: "control-room", level: .l1),
            ],
            generalQueues: ["pbx1": "helpline-general"],
            policy: policy)
    }

    static func q(_ name: String, _ pbx: String = "pbx1") -> QueueRef { QueueRef(pbx: pbx, queue: name) }

    /// Live figures with every queue of pbx1 staffed and idle, changed by `edits`.
    static func load(_ edits: [String: QueueLoad] = [:], asOf: Date = now, staleSince: Date? = nil) -> LiveLoad {
        var queues: [QueueRef: QueueLoad] = [:]
        for name in ["water-l1", "water-overflow", "roads", "health", "control-room", "helpline-general"] {
            queues[q(name)] = QueueLoad(loggedIn: 4, available: 2, paused: 0, callersWaiting: 0, averageTalkSeconds: 120)
        }
        for (name, figures) in edits { queues[q(name)] = figures }
        return LiveLoad(queues: queues, asOf: asOf, staleSince: staleSince)
    }

    static func call(_ category: String?, district: String? = "07", pbx: String = "pbx1", open: [OpenTicket] = []) -> CallInput {
        CallInput(uniqueid: "1732200000.1", callerNumber: "9876543210", language: "hi", pbx: pbx, category: category, district: district, openTickets: open)
    }
}
