// Durable ticket creations per second: each creation is a ticket, its first history entry
// and its routing decision, written through TicketStore (group commit, WAL, synchronous=FULL)
// to a real file.
//
//     store-bench [--writers 1,16,256] [--seconds 10] [--folder DIR]
//
// For each writer count: a fresh database in DIR (default: the system temporary folder),
// that many tasks creating tickets back to back for the given seconds, then one line of
// figures. Nothing is printed per ticket.
import BenchSupport
import Foundation
import Store
import HelplineDomain

struct Options {
    var writers: [Int] = [1, 16, 256]
    var seconds = 10.0
    var folder = FileManager.default.temporaryDirectory.path

    init(_ arguments: ArraySlice<String>) {
        var arguments = arguments
        while let flag = arguments.popFirst() {
            guard let value = arguments.popFirst() else { usage("\(flag) needs a value") }
            switch flag {
            case "--writers":
                writers = value.split(separator: ",").compactMap { Int($0) }
                if writers.isEmpty || writers.contains(where: { $0 < 1 }) { usage("--writers takes counts like 1,16,256") }
            case "--seconds":
                guard let seconds = Double(value), seconds > 0 else { usage("--seconds takes a positive number") }
                self.seconds = seconds
            case "--folder": folder = value
            default: usage("unknown option \(flag)")
            }
        }
    }
}

func usage(_ message: String) -> Never {
    writeLine("store-bench: \(message)\nusage: store-bench [--writers 1,16,256] [--seconds 10] [--folder DIR]", to: 2)
    exit(64)
}

let options = Options(CommandLine.arguments.dropFirst())
writeLine("writers  creations  seconds  creations/s  p50_ms  p99_ms  max_ms")
for writers in options.writers {
    let path = "\(options.folder)/store-bench-\(UUID().uuidString).sqlite"
    defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
    let store = TicketStore(database: try HelplineDatabase(path: path))
    let start = ContinuousClock.now
    let deadline = start + .milliseconds(Int(options.seconds * 1000))
    let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
        for writer in 0..<writers {
            group.addTask {
                var latencies: [Duration] = []
                var index = 0
                while ContinuousClock.now < deadline {
                    let began = ContinuousClock.now
                    let uniqueid = "bench-\(writer)-\(index)"
                    _ = try await store.createTicket(
                        NewTicket(
                            source: .ivr, callerNumber: "98\(writer)\(index % 1000)", language: "hi", district: "07",
                            department: "water", category: "supply", descriptionRecording: "complaints/\(uniqueid).wav",
                            callUniqueid: uniqueid),
                        decision: RoutingDecisionInput(
                            callUniqueid: uniqueid, inputsJSON: #"{"category":"supply","district":"07","waiting":3}"#,
                            outcome: "queue", department: "water", queue: "water-l1", priority: 5,
                            reasons: ["supply belongs to water", "3 seats available"]),
                        actor: "ivr")
                    latencies.append(ContinuousClock.now - began)
                    index += 1
                }
                return latencies
            }
        }
        var all: [Duration] = []
        for try await latencies in group { all += latencies }
        return all
    }
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let sorted = latencies.sorted()
    func milliseconds(_ fraction: Double) -> String {
        guard !sorted.isEmpty else { return "-" }
        let duration = sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
        return String(format: "%.2f", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000)
    }
    let stored = try await store.ticketCount()
    precondition(stored == latencies.count, "every acknowledged creation is stored")
    writeLine(String(format: "%7d  %9d  %7.2f  %11.0f  %6@  %6@  %6@", writers, latencies.count, seconds, Double(latencies.count) / seconds,
                     milliseconds(0.5), milliseconds(0.99), milliseconds(1.0 - 1e-12)))
}
