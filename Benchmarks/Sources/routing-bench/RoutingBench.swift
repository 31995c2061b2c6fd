// Routing decisions per second on one core over a directory the size of a large state:
// 75 districts, 60 departments (4 of them with opening hours), 300 categories (15 of them
// emergencies), an L1 officer per department and district, an L2 officer per department,
// two PBXs and live figures for 200 queues.
//
//     routing-bench [--decisions 2000000]
import BenchSupport
import Foundation
import Routing
import HelplineDomain
import Store

var decisions = 2_000_000
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard flag == "--decisions", let value = arguments.popFirst().flatMap(Int.init), value > 0 else {
        writeLine("usage: routing-bench [--decisions N]", to: 2)
        exit(64)
    }
    decisions = value
}

struct Generator: RandomNumberGenerator {
    var state: UInt64 = 0x2026_1122
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
var g = Generator()

let districtCodes = (1...75).map { String(format: "%02d", $0) }
var departments: [Department] = []
var queues: [QueueRef] = []
for index in 0..<60 {
    var perPBX = ["pbx1": DepartmentQueues(primary: "d\(index)-l1", overflow: "d\(index)-overflow")]
    queues += [QueueRef(pbx: "pbx1", queue: "d\(index)-l1"), QueueRef(pbx: "pbx1", queue: "d\(index)-overflow")]
    perPBX["pbx2"] = DepartmentQueues(primary: "d\(index)-l1", overflow: index < 18 ? "d\(index)-overflow" : nil)
    queues.append(QueueRef(pbx: "pbx2", queue: "d\(index)-l1"))
    if index < 18 { queues.append(QueueRef(pbx: "pbx2", queue: "d\(index)-overflow")) }
    let hours = index < 4 ? OpeningHours(days: Dictionary(uniqueKeysWithValues: (1...6).map { ($0, [540..<1080]) })) : nil
    departments.append(Department(id: "d\(index)", names: ["en": "Department \(index)", "hi": "विभाग \(index)"], queues: perPBX, openingHours: hours))
}
queues += [QueueRef(pbx: "pbx1", queue: "general"), QueueRef(pbx: "pbx2", queue: "general")]
let categories = (0..<300).map { Category(id: "c\($0)", department: "d\($0 % 60)", emergency: $0 % 20 == 0) }
var officers: [Officer] = []
for department in 0..<60 {
    for district in districtCodes {
        officers.append(Officer(id: "l1-d\(department)-\(district)", name: "Officer", department: "d\(department)", level: .l1, districts: [district]))
    }
    officers.append(Officer(id: "l2-d\(department)", name: "Officer", department: "d\(department)", level: .l2))
}
let directory = Directory(
    departments: departments, categories: categories, districts: districtCodes.map { District(code: $0) },
    officers: officers, generalQueues: ["pbx1": "general", "pbx2": "general"])
precondition(queues.count == 200, "\(queues.count) queues")

let now = Date(timeIntervalSince1970: 1_795_411_800)  // Monday 2026-11-23 11:00 IST: fixed, so runs compare
let loads: [LiveLoad] = (0..<64).map { _ in
    var figures: [QueueRef: QueueLoad] = [:]
    for queue in queues {
        let loggedIn = Int.random(in: 0...12, using: &g)
        let paused = Int.random(in: 0...(loggedIn / 3), using: &g)
        figures[queue] = QueueLoad(
            loggedIn: loggedIn, available: Int.random(in: 0...(loggedIn - paused), using: &g), paused: paused,
            callersWaiting: Int.random(in: 0...25, using: &g), longestWaitSeconds: Double.random(in: 0...600, using: &g),
            averageTalkSeconds: Double.random(in: 60...300, using: &g), maximumCallers: Int.random(in: 0...1, using: &g) * 30)
    }
    return LiveLoad(queues: figures, asOf: now)
}
let calls: [CallInput] = (0..<4096).map { index in
    let category = "c\(Int.random(in: 0..<300, using: &g))"
    let open = index % 8 == 0 ? [OpenTicket(number: "1000002", category: category, department: "d\(Int.random(in: 0..<60, using: &g))")] : []
    return CallInput(
        uniqueid: "1732200000.\(index)", callerNumber: "98765\(index)", language: "hi", pbx: index % 3 == 0 ? "pbx2" : "pbx1",
        category: index % 50 == 0 ? nil : category, district: districtCodes.randomElement(using: &g), openTickets: open)
}

// Warm up, then measure on this thread (one core).
var sink = 0
for index in 0..<50_000 { sink &+= directory.decide(calls[index & 4095], load: loads[index & 63], now: now).priority }
let actionNames: [RoutingAction] = [.queue, .overflowQueue, .callback, .callbackOffer, .complaintOnly, .closed]
var actions = [Int](repeating: 0, count: actionNames.count)
let start = ContinuousClock.now
for index in 0..<decisions {
    let decision = directory.decide(calls[index & 4095], load: loads[(index >> 12) & 63], now: now)
    sink &+= decision.reasons.count
    actions[actionNames.firstIndex(of: decision.action)!] += 1
}
let elapsed = ContinuousClock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
writeLine(String(format: "decisions %d  seconds %.3f  decisions/s %.0f  ns/decision %.0f", decisions, seconds, Double(decisions) / seconds, seconds * 1e9 / Double(decisions)))
writeLine("actions: " + zip(actionNames, actions).map { "\($0.rawValue) \($1)" }.joined(separator: ", ") + "  (checksum \(sink))")
