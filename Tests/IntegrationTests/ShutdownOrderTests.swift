import AGITestSupport
import Foundation
import NIOCore
import Testing
import AsteriskFakes

extension Integration {
    /// On SIGTERM the daemon stops in the order that keeps every call handled: FastAGI stops
    /// accepting first (Asterisk's dialplan falls back), the running sessions drain while the
    /// live state still follows Asterisk, and only then do the outbound scheduler, the outbox
    /// and the AMI connections stop.
    @Suite(.serialized) struct ShutdownOrderTests {
        @Test func fastAGIStopsFirstAndAMILogsOffAfterTheLastSession() async throws {
            let ami = try await FakeAMIServer()
            let directory = try HelplineServeTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let repository = CallFlowTests.repository
            try """
                menus:
                  folder: \(repository.appendingPathComponent("menus").path)
                routing:
                  directory: \(repository.appendingPathComponent("deploy/directory.yaml").path)
                  pbx: pbx1
                ami:
                  endpoints:
                    - {name: pbx1, host: 127.0.0.1, port: \(ami.port), username: helpline, secret: labsecret}
                agi:
                  drain_timeout: 20s
                outbound:
                  channel: Local/${number}@helpline-outbound/n
                  trunk: DAHDI/g1
                  poll_interval: 50ms
                """.write(to: directory.appendingPathComponent("helpline.yaml"), atomically: true, encoding: .utf8)
            let daemon = try await ServedDaemon(in: directory)
            defer { _ = daemon.stop() }
            let address = try SocketAddress(ipAddress: "127.0.0.1", port: daemon.agiPort)
            // Connected and resynced: the daemon has asked for the queues' state.
            let connected = ContinuousClock.now + .seconds(15)
            while !ami.actions.withLock({ $0.contains { $0.hasSuffix("QueueStatus") } }) {
                #expect(ContinuousClock.now < connected, "the daemon logs in to AMI")
                if ContinuousClock.now >= connected { return }
                try await Task.sleep(for: .milliseconds(20))
            }

            // A caller is in the IVR: the daemon has sent its first command and waits for the reply.
            let (released, release) = AsyncStream.makeStream(of: Void.self)
            let (firstCommand, sawFirstCommand) = AsyncStream.makeStream(of: String.self)
            let call = Task {
                try await FakeAsterisk.session(to: address) { peer in
                    try await peer.sendEnvironment(script: "inbound", uniqueID: "shutdown-1.1")
                    let command = try await peer.readLine() ?? ""
                    sawFirstCommand.yield(command)
                    for await _ in released { break }
                    peer.finish()  // the caller hangs up: the session ends
                    return command
                }
            }
            var commands = firstCommand.makeAsyncIterator()
            let first = await commands.next()
            #expect(first == "ANSWER")

            daemon.terminate()
            // FastAGI stops accepting at once: a new call cannot connect, so the dialplan's
            // fallback takes it.
            let refused = ContinuousClock.now + .seconds(10)
            var accepting = true
            while accepting, ContinuousClock.now < refused {
                do {
                    let reply = try await withTimeout(.seconds(2)) {
                        try await FakeAsterisk.session(to: address) { peer in
                            try await peer.sendEnvironment(script: "health", uniqueID: "shutdown-2.\(UUID().uuidString)")
                            return try await peer.readToEOF()
                        }
                    }
                    accepting = reply != ["FAILURE"] && !reply.isEmpty
                } catch {
                    accepting = false
                }
                if accepting { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(!accepting, "FastAGI stops accepting new sessions as soon as SIGTERM arrives")

            // While the session drains, AMI stays logged in (routing still sees live seats).
            try await Task.sleep(for: .milliseconds(700))
            #expect(daemon.isRunning, "the daemon waits for the running session")
            #expect(!ami.actions.withLock { $0.contains { $0.hasSuffix("Logoff") } }, "AMI logs off only after the sessions drained")

            release.yield()
            release.finish()
            _ = try? await call.value
            let (status, log) = daemon.stop()
            #expect(status == 0, "\(log)")
            #expect(ami.actions.withLock { $0.contains { $0.hasSuffix("Logoff") } }, "AMI logs off at the end")
            let drained = try #require(log.range(of: "FastAGI server stopped"), "\(log)")
            let loggedOff = try #require(log.range(of: "AMI logged off"), "\(log)")
            #expect(drained.lowerBound < loggedOff.lowerBound, "FastAGI stopped before AMI logged off:\n\(log)")
        }
    }
}
