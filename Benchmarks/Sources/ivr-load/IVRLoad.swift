// Complete complaint registrations per second through a running `helpline serve`'s real
// /inbound flow: each simulated call chooses a language, registers a complaint (category,
// district, recording), hears its ticket number read back and is handed to a queue, the way
// Asterisk 22 answers (Helpline's CallPlayer, built from the project's captures).
//
//     ivr-load --port 4573 [--host 127.0.0.1] [--concurrency 200] [--duration 10] [--digits 2,1,1,01]
//
// Prints registrations/s, calls that did not end in a registration, and the daemon's time
// per command (from this side's reply to the next command) as p50/p99/max.
import BenchSupport
import Foundation
import Helpline
import NIOCore
import Synchronization

struct Options {
    var host = "127.0.0.1"
    var port = 4573
    var concurrency = 200
    var seconds = 10.0
    var digits = ["2", "1", "1", "01"]

    init(_ arguments: ArraySlice<String>) {
        var arguments = arguments
        while let flag = arguments.popFirst() {
            guard let value = arguments.popFirst() else { usage("\(flag) needs a value") }
            switch flag {
            case "--host": host = value
            case "--port": port = Int(value) ?? { usage("--port takes a number") }()
            case "--concurrency": concurrency = Int(value).flatMap { $0 > 0 ? $0 : nil } ?? { usage("--concurrency takes a positive number") }()
            case "--duration": seconds = Double(value).flatMap { $0 > 0 ? $0 : nil } ?? { usage("--duration takes seconds") }()
            case "--digits": digits = value.split(separator: ",").map(String.init)
            default: usage("unknown option \(flag)")
            }
        }
    }
}

func usage(_ message: String) -> Never {
    writeLine("ivr-load: \(message)\nusage: ivr-load --port P [--host H] [--concurrency 200] [--duration 10] [--digits 2,1,1,01]", to: 2)
    exit(64)
}

let options = Options(CommandLine.arguments.dropFirst())
let address = try SocketAddress(ipAddress: options.host, port: options.port)
let latencies = Mutex<[Duration]>([])
let run = UUID().uuidString.prefix(8)
let start = ContinuousClock.now
let deadline = start + .milliseconds(Int(options.seconds * 1000))
let (registered, failed) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
    for worker in 0..<options.concurrency {
        group.addTask {
            var registered = 0, failed = 0, index = 0
            while ContinuousClock.now < deadline {
                let player = CallPlayer(
                    keyGroups: options.digits, caller: "9\(100_000_000 + worker * 10_000 + index % 10_000)",
                    uniqueid: "ivr-load-\(run)-\(worker)-\(index)")
                do {
                    let (_, variables) = try await player.run(script: "inbound", to: address, commandLatency: { latency in latencies.withLock { $0.append(latency) } })
                    if variables["HELPLINE_ACTION"] != nil, let ticket = variables["HELPLINE_TICKET"], !ticket.isEmpty { registered += 1 } else { failed += 1 }
                } catch {
                    failed += 1
                }
                index += 1
            }
            return (registered, failed)
        }
    }
    var totals = (0, 0)
    for try await (registered, failed) in group {
        totals.0 += registered
        totals.1 += failed
    }
    return totals
}
let elapsed = ContinuousClock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let sorted = latencies.withLock { $0 }.sorted()
func milliseconds(_ fraction: Double) -> String {
    guard !sorted.isEmpty else { return "-" }
    let value = sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    return String(format: "%.2f", Double(value.components.seconds) * 1000 + Double(value.components.attoseconds) / 1e15)
}
writeLine(String(format: "registrations %d in %.2f s: %.0f/s, %d calls not registered, %d commands, per command p50 %@ ms p99 %@ ms max %@ ms",
                 registered, seconds, Double(registered) / seconds, failed, sorted.count, milliseconds(0.5), milliseconds(0.99), milliseconds(1.0 - 1e-12)))
