// agi-load: plays many Asterisk channels at once against a FastAGI server that runs the
// benchmark script at /bench (see agi-bench-server), and reports throughput, errors and
// per-command latency.
//
//   agi-load --port P [--host H] --concurrency N --duration S [--warmup S] [--think MS]
//   agi-load --port P [--host H] --idle N --hold S [--open-window K]
//   common: [--threads T] [--server-pid PID]

import NIOCore
import BenchSupport
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct LoadOptions: Sendable {
    var host = "127.0.0.1"
    var port = 0
    var threads = 1
    var concurrency: Int?
    var duration = 10.0
    var warmup = 2.0
    var thinkMilliseconds = 0.0
    var idle: Int?
    var hold = 10.0
    var openWindow = 256
    var serverPID: Int32?

    static let usage = """
        usage: agi-load --port P [--host H] --concurrency N --duration S [--warmup S] [--think MS] [--threads T] [--server-pid PID]
               agi-load --port P [--host H] --idle N --hold S [--open-window K] [--threads T] [--server-pid PID]
          --concurrency N  closed loop: N channels, each running sessions back to back
          --duration S     measuring time in seconds (default 10), after --warmup S (default 2)
          --think MS       wait MS milliseconds (±50 %) before each reply, like a prompt playing (default 0)
          --idle N         open N sessions, answer ANSWER, then leave the second command unanswered
          --hold S         how long to hold the N idle sessions (default 10)
          --open-window K  idle: at most K sessions being set up at once (default 256)
          --threads T      event-loop threads of the load tool (default 1)
          --server-pid PID read the server's memory (VmRSS, VmHWM) and CPU time from /proc
        """

    static func parse(_ arguments: [String]) -> LoadOptions {
        var options = LoadOptions()
        var index = 0
        func value(_ name: String) -> String {
            index += 1
            guard index < arguments.count else { fail("\(name) needs a value") }
            return arguments[index]
        }
        func integer(_ name: String) -> Int {
            let text = value(name)
            guard let number = Int(text), number >= 0 else { fail("\(name): '\(text)' is not a whole number") }
            return number
        }
        func seconds(_ name: String) -> Double {
            let text = value(name)
            guard let number = Double(text), number >= 0 else { fail("\(name): '\(text)' is not a number") }
            return number
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--host": options.host = value("--host")
            case "--port": options.port = integer("--port")
            case "--threads": options.threads = max(1, integer("--threads"))
            case "--concurrency": options.concurrency = max(1, integer("--concurrency"))
            case "--duration": options.duration = seconds("--duration")
            case "--warmup": options.warmup = seconds("--warmup")
            case "--think": options.thinkMilliseconds = seconds("--think")
            case "--idle": options.idle = max(1, integer("--idle"))
            case "--hold": options.hold = seconds("--hold")
            case "--open-window": options.openWindow = max(1, integer("--open-window"))
            case "--server-pid": options.serverPID = Int32(integer("--server-pid"))
            case "-h", "--help":
                writeLine(usage)
                exit(0)
            default: fail("unknown argument '\(arguments[index])'")
            }
            index += 1
        }
        guard options.port > 0 else { fail("--port is required") }
        guard (options.concurrency == nil) != (options.idle == nil) else { fail("give either --concurrency or --idle") }
        return options
    }

    static func fail(_ message: String) -> Never {
        writeLine("agi-load: \(message)\n\(usage)", to: 2)
        exit(2)
    }
}

/// Formats a number with a fixed count of decimals.
func fixed(_ value: Double, _ decimals: Int = 1) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(scaled) - whole * Int(scale)
    let sign = value < 0 && scaled != 0 ? "-" : ""
    guard decimals > 0 else { return "\(sign)\(whole)" }
    let digits = String(fraction)
    return "\(sign)\(whole).\(String(repeating: "0", count: decimals - digits.count))\(digits)"
}

func microseconds(_ nanoseconds: UInt64) -> String { fixed(Double(nanoseconds) / 1000, 1) }

@main
struct AGILoad {
    static func main() async throws {
        let options = LoadOptions.parse(Array(CommandLine.arguments.dropFirst()))
        let fileLimit = raiseFileLimit()
        let needed = (options.concurrency ?? options.idle ?? 0) + 64
        if fileLimit < UInt64(needed) {
            writeLine("agi-load: warning: the open-file limit is \(fileLimit), fewer than the \(needed) this run needs", to: 2)
        }
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: options.host, port: options.port)
        } catch {
            LoadOptions.fail("--host must be an IP address: \(error)")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
        let loops = Array(group.makeIterator())
        let epoch = Int(time(nil))
        let environment = EnvironmentBlock(host: options.host, port: options.port, epoch: epoch)

        if let concurrency = options.concurrency {
            try await closedLoop(options, concurrency: concurrency, address: address, environment: environment, loops: loops)
        } else if let count = options.idle {
            try await idle(options, count: count, address: address, environment: environment, loops: loops)
        }
        try await group.shutdownGracefully()
    }

    static func share(_ total: Int, _ index: Int, _ parts: Int) -> Int {
        total / parts + (index < total % parts ? 1 : 0)
    }

    static func makeDrivers(
        _ loops: [any EventLoop], settings: @escaping @Sendable (Int) -> LoopDriver.Settings
    ) async throws -> [NIOLoopBound<LoopDriver>] {
        var drivers: [NIOLoopBound<LoopDriver>] = []
        for (index, loop) in loops.enumerated() {
            let driver = try await loop.submit {
                NIOLoopBound(LoopDriver(loop: loop, settings: settings(index)), eventLoop: loop)
            }.get()
            drivers.append(driver)
        }
        return drivers
    }

    static func snapshot(_ drivers: [NIOLoopBound<LoopDriver>], _ loops: [any EventLoop]) async throws -> LoopSnapshot {
        var total = LoopSnapshot()
        for (driver, loop) in zip(drivers, loops) {
            total.merge(try await loop.submit { driver.value.snapshot() }.get())
        }
        return total
    }

    static func sleep(untilNanoseconds deadline: UInt64) async throws {
        let now = monotonicNanoseconds()
        if deadline > now { try await Task.sleep(for: .nanoseconds(Int64(deadline - now))) }
    }

    static func hangUpAll(
        _ drivers: [NIOLoopBound<LoopDriver>], _ loops: [any EventLoop], grace: TimeAmount, countStalled: Bool
    ) async throws {
        var futures: [EventLoopFuture<Void>] = []
        for (driver, loop) in zip(drivers, loops) {
            futures.append(loop.flatSubmit { driver.value.hangUpAll(grace: grace, countStalled: countStalled) })
        }
        for future in futures { try await future.get() }
    }

    // MARK: Closed loop

    static func closedLoop(
        _ options: LoadOptions, concurrency: Int, address: SocketAddress, environment: EnvironmentBlock, loops: [any EventLoop]
    ) async throws {
        writeLine(
            "agi-load: closed loop, \(concurrency) channels on \(loops.count) thread(s) against \(options.host):\(options.port), "
                + "warmup \(fixed(options.warmup)) s, measuring \(fixed(options.duration)) s"
                + (options.thinkMilliseconds > 0 ? ", think \(fixed(options.thinkMilliseconds)) ms ±50 %" : ""))
        let start = monotonicNanoseconds()
        let windowStart = start + UInt64(options.warmup * 1e9)
        let windowEnd = windowStart + UInt64(options.duration * 1e9)
        let think = UInt64(options.thinkMilliseconds * 1e6)
        let count = loops.count
        let drivers = try await makeDrivers(loops) { index in
            LoopDriver.Settings(
                mode: .closed(slots: share(concurrency, index, count)), address: address, environment: environment,
                index: index, stride: count, windowStart: windowStart, windowEnd: windowEnd, think: think)
        }
        var serverAtStart: ProcessFigures?
        var ownCPUAtStart = 0.0
        for (driver, loop) in zip(drivers, loops) {
            try await loop.flatSubmit { driver.value.start() }.get()
        }

        // Progress, once a second.
        var tick = start
        var lastCompleted: UInt64 = 0
        var measuring = false
        while true {
            let next = min(tick + 1_000_000_000, windowEnd)
            if !measuring && next > windowStart {
                try await sleep(untilNanoseconds: windowStart)
                measuring = true
                serverAtStart = options.serverPID.flatMap { ProcessFigures.read(pid: $0) }
                ownCPUAtStart = ownCPUSeconds()
            }
            try await sleep(untilNanoseconds: next)
            let figures = try await snapshot(drivers, loops)
            let elapsed = Double(next - tick) / 1e9
            let phase = next <= windowStart ? "warmup" : "measure"
            writeLine(
                "  t=\(fixed(Double(next - start) / 1e9)) s  \(phase)  \(fixed(Double(figures.completed - lastCompleted) / max(elapsed, 1e-9), 0)) sessions/s"
                    + "  live \(figures.live)  errors \(figures.errors.total)")
            lastCompleted = figures.completed
            tick = next
            if next >= windowEnd { break }
        }
        let serverAtEnd = options.serverPID.flatMap { ProcessFigures.read(pid: $0) }
        let ownCPU = ownCPUSeconds() - ownCPUAtStart

        // Let the sessions under way finish, then end any that do not.
        let grace = 5_000_000_000 + 16 * think
        let drainDeadline = monotonicNanoseconds() + grace
        var figures = try await snapshot(drivers, loops)
        while figures.active > 0 && monotonicNanoseconds() < drainDeadline {
            try await Task.sleep(for: .milliseconds(20))
            figures = try await snapshot(drivers, loops)
        }
        if figures.active > 0 {
            try await hangUpAll(drivers, loops, grace: .seconds(2), countStalled: true)
            figures = try await snapshot(drivers, loops)
        }
        let serverAfter = options.serverPID.flatMap { ProcessFigures.read(pid: $0) }

        let window = options.duration
        let sessionsPerSecond = Double(figures.completedInWindow) / window
        let commandsPerSecond = Double(figures.commands) / window
        let latency = figures.latency
        writeLine("  sessions completed   \(figures.completedInWindow) in \(fixed(window)) s = \(fixed(sessionsPerSecond)) sessions/s")
        writeLine("  commands answered    \(figures.commands) = \(fixed(commandsPerSecond)) commands/s")
        writeLine("  errors               \(figures.errors.total) (\(figures.errors.summary))")
        for sample in figures.errorSamples { writeLine("    e.g. \(sample)") }
        writeLine(
            "  per-command latency  p50 \(microseconds(latency.percentile(0.5))) µs  p99 \(microseconds(latency.percentile(0.99))) µs  "
                + "p99.9 \(microseconds(latency.percentile(0.999))) µs  max \(microseconds(latency.maximum)) µs  "
                + "mean \(fixed(latency.mean / 1000)) µs  (\(latency.total) samples)")
        for (name, histogram) in [("first command", figures.firstCommand), ("commands 2-8 ", figures.laterCommands)] {
            writeLine(
                "    \(name)      p50 \(microseconds(histogram.percentile(0.5))) µs  p99 \(microseconds(histogram.percentile(0.99))) µs  "
                    + "p99.9 \(microseconds(histogram.percentile(0.999))) µs  max \(microseconds(histogram.maximum)) µs")
        }
        writeLine("  load tool CPU        \(fixed(ownCPU, 2)) s in the window (\(fixed(ownCPU / window * 100, 0)) % of one core)")
        var result: [(String, String)] = [
            ("mode", "closed"), ("concurrency", "\(concurrency)"), ("threads", "\(loops.count)"),
            ("think_ms", fixed(options.thinkMilliseconds)), ("duration_s", fixed(window)),
            ("sessions", "\(figures.completedInWindow)"), ("sessions_per_s", fixed(sessionsPerSecond)),
            ("commands", "\(figures.commands)"), ("commands_per_s", fixed(commandsPerSecond)),
            ("errors", "\(figures.errors.total)"),
            ("p50_us", microseconds(latency.percentile(0.5))), ("p99_us", microseconds(latency.percentile(0.99))),
            ("p999_us", microseconds(latency.percentile(0.999))), ("max_us", microseconds(latency.maximum)),
            ("first_p99_us", microseconds(figures.firstCommand.percentile(0.99))),
            ("later_p99_us", microseconds(figures.laterCommands.percentile(0.99))),
            ("load_cpu_s", fixed(ownCPU, 2)),
        ]
        if let pid = options.serverPID {
            if let end = serverAfter ?? serverAtEnd {
                var line = "  server pid \(pid)       VmRSS \(fixed(end.rssMB)) MB  VmHWM \(fixed(end.hwmMB)) MB"
                result += [("server_rss_mb", fixed(end.rssMB)), ("server_hwm_mb", fixed(end.hwmMB))]
                if let first = serverAtStart, let last = serverAtEnd {
                    let cpu = last.cpuSeconds - first.cpuSeconds
                    let perSession = figures.completedInWindow > 0 ? cpu / Double(figures.completedInWindow) * 1e6 : 0
                    let switches = (last.voluntarySwitches + last.involuntarySwitches) - (first.voluntarySwitches + first.involuntarySwitches)
                    line += "  CPU \(fixed(cpu, 2)) s in the window (\(fixed(perSession, 1)) µs/session, \(switches) context switches)"
                    result += [("server_cpu_s", fixed(cpu, 2)), ("server_cpu_us_per_session", fixed(perSession, 1)), ("server_ctx_switches", "\(switches)")]
                }
                writeLine(line)
            } else {
                writeLine("  server pid \(pid): /proc/\(pid)/status is not readable")
            }
        }
        writeLine("RESULT " + result.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
    }

    // MARK: Idle sessions

    static func idle(
        _ options: LoadOptions, count: Int, address: SocketAddress, environment: EnvironmentBlock, loops: [any EventLoop]
    ) async throws {
        writeLine(
            "agi-load: idle, \(count) sessions on \(loops.count) thread(s) against \(options.host):\(options.port), "
                + "held \(fixed(options.hold)) s once all are open")
        let loopCount = loops.count
        let window = max(1, options.openWindow / loopCount)
        let serverBefore = options.serverPID.flatMap { ProcessFigures.read(pid: $0) }
        let drivers = try await makeDrivers(loops) { index in
            LoopDriver.Settings(
                mode: .idle(count: share(count, index, loopCount), window: window), address: address, environment: environment,
                index: index, stride: loopCount, windowStart: 0, windowEnd: UInt64.max, think: 0)
        }
        let start = monotonicNanoseconds()
        var opened: [EventLoopFuture<Void>] = []
        for (driver, loop) in zip(drivers, loops) {
            opened.append(loop.flatSubmit { driver.value.start() })
        }
        let progress = Task {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                let figures = try await snapshot(drivers, loops)
                writeLine("  opening: \(figures.held) held, \(figures.active) being set up, \(figures.errors.total) errors")
            }
        }
        for future in opened { try await future.get() }
        progress.cancel()
        let openSeconds = Double(monotonicNanoseconds() - start) / 1e9
        var figures = try await snapshot(drivers, loops)
        writeLine("  opened               \(figures.held) of \(count) sessions held after \(fixed(openSeconds, 2)) s (\(figures.errors.total) errors)")
        let serverHeld = options.serverPID.flatMap { ProcessFigures.read(pid: $0) }
        if let pid = options.serverPID {
            if let held = serverHeld {
                writeLine("  server pid \(pid) while all are held: VmRSS \(fixed(held.rssMB)) MB  VmHWM \(fixed(held.hwmMB)) MB")
                if let before = serverBefore, figures.held > 0 {
                    let perSession = Double(held.rssKB - before.rssKB) * 1024 / Double(figures.held)
                    writeLine("    (\(fixed(before.rssMB)) MB before the run: \(fixed(perSession / 1024, 1)) KB per held session)")
                }
            } else {
                writeLine("  server pid \(pid): /proc/\(pid)/status is not readable")
            }
        }

        try await Task.sleep(for: .nanoseconds(Int64(options.hold * 1e9)))
        figures = try await snapshot(drivers, loops)
        let heldAfter = figures.held
        writeLine("  held                 \(heldAfter) sessions still held after \(fixed(options.hold)) s")
        let serverEndOfHold = options.serverPID.flatMap { ProcessFigures.read(pid: $0) }

        let closeStart = monotonicNanoseconds()
        try await hangUpAll(drivers, loops, grace: .seconds(5), countStalled: false)
        let closeSeconds = Double(monotonicNanoseconds() - closeStart) / 1e9
        figures = try await snapshot(drivers, loops)
        writeLine("  hung up              all sessions in \(fixed(closeSeconds, 2)) s; \(figures.live) still open")
        writeLine("  errors               \(figures.errors.total) (\(figures.errors.summary))")
        for sample in figures.errorSamples { writeLine("    e.g. \(sample)") }
        let latency = figures.latency
        writeLine(
            "  per-command latency  p50 \(microseconds(latency.percentile(0.5))) µs  p99 \(microseconds(latency.percentile(0.99))) µs  "
                + "max \(microseconds(latency.maximum)) µs  (\(latency.total) samples, while opening)")

        var result: [(String, String)] = [
            ("mode", "idle"), ("idle", "\(count)"), ("threads", "\(loopCount)"), ("hold_s", fixed(options.hold)),
            ("open_s", fixed(openSeconds, 2)), ("held", "\(heldAfter)"), ("errors", "\(figures.errors.total)"),
            ("p50_us", microseconds(latency.percentile(0.5))), ("p99_us", microseconds(latency.percentile(0.99))),
            ("max_us", microseconds(latency.maximum)),
        ]
        if let pid = options.serverPID {
            try await Task.sleep(for: .milliseconds(500))
            if let held = serverHeld, let end = ProcessFigures.read(pid: pid) {
                writeLine("  server pid \(pid) after hang-up: VmRSS \(fixed(end.rssMB)) MB  VmHWM \(fixed(end.hwmMB)) MB")
                if let before = serverBefore { result.append(("server_rss_before_mb", fixed(before.rssMB))) }
                result += [("server_rss_held_mb", fixed(held.rssMB))]
                if let hold = serverEndOfHold { result.append(("server_rss_end_of_hold_mb", fixed(hold.rssMB))) }
                result += [("server_rss_end_mb", fixed(end.rssMB)), ("server_hwm_mb", fixed(end.hwmMB))]
            }
        }
        writeLine("RESULT " + result.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
    }
}
