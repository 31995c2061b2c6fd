// ami-bench-server: the fake AMI server of the tests (AsteriskFakes.FakeAMIServer) serving the
// AMI benchmark.
//
// Sends the captured banner, answers Login with the captured reply (checking the secret) and
// QueueStatus with the captured reply for a queue that does not exist (an empty list), then
// (after that reply, or 300 ms after the login when the client asks nothing) writes a recorded
// event stream N times and `Event: BenchDone`, as fast as the client reads.
//
//   ami-bench-server --port 5039 --repeat 2000 [--capture PATH] [--secret S] [--once]
import AMIBenchSupport
import AsteriskFakes
import BenchSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

var port = 5039
var repeatCount = 1000
var capturePath = defaultCapturePath
var secret = "labsecret"
var once = false
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--port": port = Int(arguments.popFirst() ?? "") ?? port
    case "--repeat": repeatCount = Int(arguments.popFirst() ?? "") ?? repeatCount
    case "--capture": capturePath = arguments.popFirst() ?? capturePath
    case "--secret": secret = arguments.popFirst() ?? secret
    case "--once": once = true
    default:
        writeLine("usage: ami-bench-server --port P --repeat N [--capture PATH] [--secret S] [--once]", to: 2)
        exit(64)
    }
}
let recorded = recordedEventsOrExit(capturePath: capturePath, tool: "ami-bench-server")
let server: FakeAMIServer
do {
    server = try await FakeAMIServer(port: port)
} catch {
    writeLine("ami-bench-server: cannot listen on 127.0.0.1:\(port): \(error)", to: 2)
    exit(71)
}
server.behaviour.withLock { behaviour in
    behaviour.secret = secret
    behaviour.queueStatus = server.script.queueStatusEmpty
    behaviour.members = [:]
    behaviour.streamAfterLogin = .init(events: recorded.bytes, copies: repeatCount, trailer: Array("Event: BenchDone\r\n\r\n".utf8))
}
writeLine("ami-bench-server: 127.0.0.1:\(server.port), \(recorded.events) events per copy, \(repeatCount) copies, \(recorded.events * repeatCount + 1) events per client", to: 2)
// Serves until killed; with --once, until the first client has come and gone.
while !once || server.connections.load(ordering: .relaxed) == 0 || server.connectedClients > 0 {
    try await Task.sleep(for: .milliseconds(50))
}
await server.stop()
