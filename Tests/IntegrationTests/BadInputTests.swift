import AGIServer
import AGITestSupport
import Foundation
import NIOCore
import NIOPosix
import Testing

#if canImport(Glibc)
import Glibc
import AsteriskFakes
#endif

extension Integration {
    /// Peers that break the protocol: each such session ends with a clear log line, and the
    /// server is left healthy and idle.
    @Suite(.serialized) struct BadInputTests {
        /// Runs a misbehaving peer; returns the lines the server sent before closing.
        static func misbehave(_ address: SocketAddress, hangUpAfterwards: Bool = false, _ body: @escaping @Sendable (inout FakeAsterisk) async throws -> Void) async throws -> [String] {
            let received = Journal()
            do {
                try await withTimeout(.seconds(10)) {
                    try await FakeAsterisk.session(to: address) { peer in
                        try await body(&peer)
                        if hangUpAfterwards { return }
                        while let line = try await peer.readLine() { received.record(line) }
                    }
                }
            } catch let error as IOError where error.errnoCode == ECONNRESET || error.errnoCode == EPIPE {
                // The server closed with our bytes unread; the kernel reset the connection.
            } catch ChannelError.ioOnClosedChannel {
                // The server closed while this peer was still writing its bad input.
            }
            return received.all
        }

        @Test func eachBadPeerEndsItsOwnSessionAndTheServerStaysHealthyAndIdle() async throws {
            let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            var configuration = testConfiguration()
            configuration.environmentTimeout = .seconds(1)
            let logs = RecordingLogHandler()
            try await withAGIServer(configuration: configuration, routes: ServerTests.inboundRoutes(), logs: logs, eventLoopGroup: loop) { server, address in
                try await withThrowingTaskGroup(of: (String, [String]).self) { peers in
                    peers.addTask {
                        ("garbage", try await Self.misbehave(address) { peer in
                            try await peer.send([0x16, 0x03, 0x01, 0x02, 0x00] + Array("GET / HTTP/1.1\r\nHost: helpline\r\n\r\n".utf8))
                        })
                    }
                    peers.addTask {
                        ("endless environment", try await Self.misbehave(address) { peer in
                            try await peer.send("agi_network: yes\nagi_network_script: inbound\n")
                            for index in 0..<5 {
                                try await Task.sleep(for: .milliseconds(40))
                                try await peer.send("agi_x\(index): still going\n")
                            }
                        })
                    }
                    peers.addTask {
                        ("100 KB line", try await Self.misbehave(address) { peer in
                            try await peer.send("agi_network: yes\nagi_calleridname: " + String(repeating: "A", count: 100_000) + "\n\n")
                        })
                    }
                    peers.addTask {
                        ("silent", try await Self.misbehave(address) { _ in })
                    }
                    peers.addTask {
                        ("gone halfway", try await Self.misbehave(address, hangUpAfterwards: true) { peer in
                            try await peer.send("agi_network: yes\nagi_network_script: inbound\nagi_chan")
                        })
                    }
                    for try await (name, lines) in peers {
                        #expect(lines.isEmpty, "\(name): the server sent \(lines)")
                    }
                }
                try await waitUntil { server.connectionCount == 0 }

                // Healthy: a normal call still goes through.
                let commands = try await FakeAsterisk.session(to: address) { peer in
                    try await peer.sendEnvironment(script: "inbound", uniqueID: "after-bad-input")
                    return try await peer.serve(ServerTests.asterisk)
                }
                #expect(commands.count == 3, "\(logs.all.filter { $0.metadata["agi.uniqueid"] == "after-bad-input" }.map { "\($0.message) \($0.metadata)" })")
                try await waitUntil { server.connectionCount == 0 }

                // Idle: the server's event loop thread uses (almost) no CPU while nothing happens.
                let tid = try await loop.next().submit {
                    // "<pid>/task/<tid>": the event loop thread's own entry in /proc.
                    try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self").split(separator: "/").last.map(String.init) ?? ""
                }.get()
                let before = try threadCPUTicks(tid)
                try await Task.sleep(for: .seconds(1))
                let used = try threadCPUTicks(tid) - before
                #expect(used < 10, "the event loop used \(used * 10) ms of CPU in an idle second")
            }
            let warnings = logs.all.filter { $0.level == .warning }.map { $0.metadata["error"] ?? $0.message }
            for expected in [
                "malformed environment line", "no complete environment block within 1000 ms", "line too long",
                "closed the connection during the environment block",
            ] {
                #expect(warnings.contains { $0.contains(expected) }, "no warning mentions '\(expected)': \(warnings)")
            }
            try await loop.shutdownGracefully()
        }
    }
}

/// User plus system CPU time of one thread of this process, in clock ticks (10 ms each).
func threadCPUTicks(_ tid: String) throws -> Int {
    let stat = try String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8)
    // Fields after the command name, which is in parentheses and may contain spaces.
    let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
    return Int(fields[11])! + Int(fields[12])!
}
