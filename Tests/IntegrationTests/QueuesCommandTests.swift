import AGITestSupport
import AMIClient
import Foundation
import HelplineApp
import HelplineDomain
import Testing
import AsteriskFakes

extension Integration {
    /// `helpline serve` with an AMI endpoint (a fake Asterisk speaking the captures' bytes) and
    /// `helpline queues` reading its live state over the control socket, both as real processes.
    @Suite(.serialized) struct QueuesCommandTests {
        @Test func queuesShowsTheLiveStateAndStaleness() async throws {
            let server = try await FakeAMIServer()
            let directory = try HelplineServeTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let yaml = """
                agi:
                  listen: 127.0.0.1:0
                ami:
                  endpoints:
                    - name: lab
                      host: 127.0.0.1
                      port: \(server.port)
                      username: helpline
                      secret_env: TEST_AMI_SECRET
                      keepalive_interval: 200ms
                      keepalive_timeout: 1s
                      reconnect_max_delay: 200ms
                """
            try yaml.write(to: directory.appendingPathComponent("helpline.yaml"), atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = HelplineServeTests.binary
            process.arguments = ["serve", "--config", "helpline.yaml"]
            process.currentDirectoryURL = directory
            process.environment = ["TEST_AMI_SECRET": "labsecret"]
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            defer { if process.isRunning { process.terminate() } }

            /// (status, standard output, standard error) of `helpline queues`.
            func queues() async throws -> (Int32, String, String) {
                let (status, errors, output) = try await HelplineServeTests.run(["queues"], in: directory)
                return (status, output, errors)
            }
            // Wait (a liveness bound, not a speed goal) until the daemon reports the state live.
            var result = try await queues()
            let end = Date().addingTimeInterval(20)
            while !(result.1.contains("PBX lab: live")) && Date() < end {
                try await Task.sleep(for: .milliseconds(50))
                result = try await queues()
            }
            #expect(result.0 == 0, "\(result.2)")
            let text = result.1
            #expect(text.contains("PBX lab: live"), "\(text)")
            for queue in ["dept-health", "dept-revenue", "dept-police"] { #expect(text.contains(queue)) }
            #expect(text.contains("paused: lunch"))
            #expect(text.contains("waiting 1. 5550199 Waiting Caller"))
            // The figures line for dept-health: 0 waiting, 3 logged in, 2 free, as QueueSummary said.
            let health = try #require(text.split(separator: "\n").first { $0.hasPrefix("dept-health ") })
            let columns = health.split(separator: " ")
            #expect(columns[1] == "0" && columns[4] == "3" && columns[5] == "2", "\(health)")

            let json = try await HelplineServeTests.run(["queues", "--json"], in: directory)
            let report = try JSONDecoder().decode(QueuesReport.self, from: Data(json.2.utf8))
            #expect(report.endpoints.map(\.name) == ["lab"])
            #expect(report.queues.first { $0.name == "dept-police" }?.figures.callersWaiting == 1)

            // The PBX goes away: the state is kept but marked stale.
            server.behaviour.withLock { $0.secret = "rotated" }
            server.dropClients()
            var stale = try await queues()
            let end2 = Date().addingTimeInterval(20)
            while !stale.1.contains("STALE") && Date() < end2 {
                try await Task.sleep(for: .milliseconds(50))
                stale = try await queues()
            }
            #expect(stale.1.contains("PBX lab: STALE (since "), "\(stale.1)")
            #expect(stale.1.contains("dept-health"))

            process.terminate()
            process.waitUntilExit()
            let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 0, "\(log)")
            #expect(!log.contains("labsecret"), "the secret must never be logged")
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("helpline.sock").path))
            await server.stop()
        }

        @Test func queuesWithoutADaemonSaysSo() async throws {
            let directory = try HelplineServeTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let (status, errors, _) = try await HelplineServeTests.run(["queues", "--socket", "nobody.sock"], in: directory)
            #expect(status == 69)
            #expect(errors.contains("cannot reach the helpline daemon at nobody.sock"))
        }
    }
}
