// ami-parse-bench: parser and reducer throughput in one process, on one core.
//
// Builds one buffer holding a recorded event stream N times, then times AMIFramer alone and
// AMIFramer plus the LiveState reducer over it (best of R rounds). No sockets.
//
//   ami-parse-bench [--capture PATH] [--repeat N] [--rounds R]
import AMIBenchSupport
import AMIClient
import BenchSupport
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

var capturePath = defaultCapturePath
var repeatCount = 2000
var rounds = 5
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--capture": capturePath = arguments.popFirst() ?? capturePath
    case "--repeat": repeatCount = Int(arguments.popFirst() ?? "") ?? repeatCount
    case "--rounds": rounds = Int(arguments.popFirst() ?? "") ?? rounds
    default:
        writeLine("usage: ami-parse-bench [--capture PATH] [--repeat N] [--rounds R]", to: 2)
        exit(64)
    }
}
let recorded = recordedEventsOrExit(capturePath: capturePath, tool: "ami-parse-bench")
var built = ByteBuffer()
built.reserveCapacity(recorded.bytes.count * repeatCount)
for _ in 0..<repeatCount { built.writeBytes(recorded.bytes) }
let all = built
let total = recorded.events * repeatCount

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Feeds the buffer in 64 KiB reads, as a socket would deliver it, into one accumulation
/// buffer that is reused (what NIO's byte-to-message decoding does): each read is copied in
/// once and the consumed bytes are discarded, so no read allocates fresh pages.
func run(_ all: ByteBuffer, reduce: Bool) throws -> (seconds: Double, events: Int, applied: Int) {
    var framer = AMIFramer(banner: false)
    var state = PBXState(name: "bench", staleSince: nil)
    var source = all
    var pending = ByteBuffer()
    pending.reserveCapacity(4 * 65_536)
    var events = 0
    let start = now()
    while source.readableBytes > 0 {
        var chunk = source.readSlice(length: min(65_536, source.readableBytes))!
        if pending.readerIndex > 65_536 { pending.discardReadBytes() }
        pending.writeBuffer(&chunk)
        while let message = try framer.next(from: &pending) {
            events += 1
            if reduce { state.apply(message, now: 0) }
        }
    }
    return (now() - start, events, state.eventsApplied)
}

writeLine("stream: \(capturePath), \(recorded.events) events x \(repeatCount) = \(total) events, \(all.readableBytes / 1_048_576) MiB")
for reduce in [false, true] {
    var best = Double.infinity
    var result = (seconds: 0.0, events: 0, applied: 0)
    for _ in 0..<rounds {
        result = try run(all, reduce: reduce)
        best = min(best, result.seconds)
    }
    precondition(result.events == total, "framed \(result.events) of \(total) events")
    writeLine("\(reduce ? "framer + reducer" : "framer only     "): best of \(rounds): \(String(format: "%.3f", best)) s, \(Int(Double(total) / best)) events/s"
        + (reduce ? " (\(result.applied) events changed queue state)" : ""))
}
