// agi-bench-server: the Helpline FastAGI server (AGIServer) running one fixed script at
// `/bench`, so that it can be measured with `agi-load-c` and compared with other FastAGI
// servers that run the same script:
//
//   ANSWER
//   STREAM FILE welcome ""
//   GET DATA menu 3000 1                  -> digit d
//   SET VARIABLE HELPLINE_DEPT "dept-<d>"
//   GET DATA enter-district 3000 2        -> digits
//   SAY DIGITS <digits> ""
//   SET VARIABLE HELPLINE_QUEUE "q-<d>"
//   HANGUP
//
// then the handler returns and the server ends the session.
//
// Usage: agi-bench-server --port P [--host H] [--threads N]

import AGIServer
import BenchSupport
import Dispatch
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Options {
    var host = "127.0.0.1"
    var port = 4573
    var threads = System.coreCount

    static let usage = "usage: agi-bench-server --port P [--host H] [--threads N]"

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var index = 0
        func value(_ name: String) -> String {
            index += 1
            guard index < arguments.count else { fail("\(name) needs a value") }
            return arguments[index]
        }
        func number(_ name: String) -> Int {
            let text = value(name)
            guard let number = Int(text), number >= 0 else { fail("\(name): '\(text)' is not a number") }
            return number
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--host": options.host = value("--host")
            case "--port": options.port = number("--port")
            case "--threads": options.threads = max(1, number("--threads"))
            case "-h", "--help":
                writeLine(usage)
                exit(0)
            default: fail("unknown argument '\(arguments[index])'")
            }
            index += 1
        }
        return options
    }

    static func fail(_ message: String) -> Never {
        writeLine("agi-bench-server: \(message)\n\(usage)", to: 2)
        exit(2)
    }
}

/// SIGTERM and SIGINT begin a graceful shutdown. (Not on the main actor: the handlers run on
/// a dispatch queue.)
nonisolated func shutDownOnSignals(_ server: AGIServer) -> [any DispatchSourceSignal] {
    signal(SIGTERM, SIG_IGN)
    signal(SIGINT, SIG_IGN)
    let queue = DispatchQueue(label: "agi-bench-server.signals")
    return [SIGTERM, SIGINT].map { number in
        let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
        source.setEventHandler { @Sendable in server.beginGracefulShutdown() }
        source.resume()
        return source
    }
}

/// The benchmark script.
func benchScript(_ session: AGISession) async throws {
    try await session.answer()
    _ = try await session.streamFile("welcome", escapeDigits: "")
    let department = try await session.getData("menu", timeout: 3000, maxDigits: 1).digits
    try await session.setVariable("HELPLINE_DEPT", "dept-\(department)")
    let district = try await session.getData("enter-district", timeout: 3000, maxDigits: 2).digits
    _ = try await session.sayDigits(district, escapeDigits: "")
    try await session.setVariable("HELPLINE_QUEUE", "q-\(department)")
    try await session.hangup()
}

@main
struct AGIBenchServer {
    static func main() async throws {
        let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
        raiseFileLimit()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        var logger = Logger(label: "agi-bench-server")
        logger.logLevel = .warning

        var configuration = AGIServer.Configuration()
        configuration.host = options.host
        configuration.port = options.port
        configuration.allowList = AGIPeerRule.loopback
        configuration.maximumSessions = 50_000
        configuration.backlog = 65_535
        configuration.replyTimeout = .seconds(600)
        configuration.environmentTimeout = .seconds(30)

        var routes = AGIRoutes()
        routes.add("/bench", benchScript)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
        let server = AGIServer(configuration: configuration, routes: routes, logger: logger, eventLoopGroup: group)

        let signalSources = shutDownOnSignals(server)

        let pid = getpid()
        try await server.run { address in
            let host = address.ipAddress ?? options.host
            let port = address.port ?? options.port
            writeLine("agi-bench-server listening on \(host):\(port) pid \(pid)")
        }
        for source in signalSources { source.cancel() }
        try await group.shutdownGracefully()
    }
}
