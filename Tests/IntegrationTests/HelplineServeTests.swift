import AGIServer
import AGITestSupport
import Foundation
import HelplineApp
import HelplineDomain
import NIOCore
import Testing
import AsteriskFakes

extension Integration {
    /// The `helpline` executable itself, started as a process the way an administrator runs it.
    @Suite(.serialized) struct HelplineServeTests {
        /// The `helpline` binary `swift test` built next to the test bundle.
        static var binary: URL {
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("helpline")
        }

        static func temporaryDirectory() throws -> URL {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("helpline-serve-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return url
        }

        /// Runs `helpline` with `arguments` (and `environment` added to this process's), returning
        /// its exit status, standard error and standard output.
        /// Runs the built `helpline` with `arguments` in `directory`, `input` on its standard
        /// input (none: an empty one); returns its exit status, standard error and standard output.
        static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:], input: String = "") async throws -> (Int32, String, String) {
            let process = Process()
            process.executableURL = binary
            process.arguments = arguments
            process.currentDirectoryURL = directory
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let errors = Pipe()
            let output = Pipe()
            let standardInput = Pipe()
            process.standardError = errors
            process.standardOutput = output
            process.standardInput = standardInput
            try process.run()
            standardInput.fileHandleForWriting.write(Data(input.utf8))
            try standardInput.fileHandleForWriting.close()
            // Standard output is read on another thread so neither pipe can fill and stall the child.
            let printed = Task.detached { output.fileHandleForReading.readDataToEndOfFile() }
            let complaints = errors.fileHandleForReading.readDataToEndOfFile()
            let standardOutput = await printed.value
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: complaints, as: UTF8.self), String(decoding: standardOutput, as: UTF8.self))
        }

        @Test func servesTheHealthScriptAndDrainsOnSIGTERM() async throws {
            #expect(FileManager.default.isExecutableFile(atPath: Self.binary.path), "swift test builds \(Self.binary.path)")
            let directory = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let process = Process()
            process.executableURL = Self.binary
            process.arguments = ["serve", "--agi-listen", "127.0.0.1:0", "--log-level", "info"]
            process.currentDirectoryURL = directory
            let errors = Pipe()
            process.standardError = errors
            try process.run()

            // The listening line names the port the kernel picked.
            var log = ""
            var port: Int?
            let deadline = Date().addingTimeInterval(15)
            while port == nil, Date() < deadline {
                let chunk = errors.fileHandleForReading.availableData
                log += String(decoding: chunk, as: UTF8.self)
                if let range = log.range(of: #"agi\.listen=\S*127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                    port = Int(log[range].split(separator: ":").last!)
                }
            }
            let listening = try #require(port, "no listening line in: \(log)")
            let address = try SocketAddress(ipAddress: "127.0.0.1", port: listening)

            let health = try await FakeAsterisk.session(to: address) { peer in
                try await peer.sendEnvironment(script: "health")
                return try await peer.serve { _ in "200 result=1\n" }
            }
            #expect(health == ["SET VARIABLE HELPLINE_STATUS \"ok\"", "SET VARIABLE HELPLINE_VERSION \"\(HelplineDaemon.version)\""])
            let inbound = try await FakeAsterisk.session(to: address) { peer in
                try await peer.sendEnvironment(script: "inbound")
                return try await peer.readToEOF()
            }
            #expect(inbound == ["FAILURE"], "until the IVR lands, /inbound falls back in the dialplan")
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("helpline.sqlite").path), "the default database file")

            process.terminate()  // SIGTERM
            process.waitUntilExit()
            log += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 0, "\(log)")
            #expect(log.contains("FastAGI server draining"))
            #expect(log.contains("FastAGI server stopped"))
        }

        @Test func checksAConfigurationFileWithoutStarting() async throws {
            let directory = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            var repository = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { repository.deleteLastPathComponent() }
            let sample = repository.appendingPathComponent("deploy/helpline.yaml").path
            // The sample reads the AMI secret from HELPLINE_AMI_SECRET.
            let (unset, unsetError, _) = try await Self.run(["config", "check", sample], in: directory, environment: ["HELPLINE_AMI_SECRET": ""])
            #expect(unset == 78)
            #expect(unsetError.contains("ami.endpoints[0].secret_env: the environment variable HELPLINE_AMI_SECRET is not set"), "\(unsetError)")
            let (status, output, _) = try await Self.run(["config", "check", sample], in: directory, environment: ["HELPLINE_AMI_SECRET": "sample-secret"])
            #expect(status == 0, "\(output)")

            try "agi:\n  drain_timeout: forever\n".write(to: directory.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
            let (badStatus, badError, _) = try await Self.run(["config", "check", "bad.yaml"], in: directory)
            #expect(badStatus == 78)
            #expect(badError.contains("bad.yaml:2:18: agi.drain_timeout must be a duration"), "\(badError)")
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("helpline.sqlite").path), "checking opens no database")
        }

        @Test func configCheckSaysWhenOutboundCallsHaveNoTrunk() async throws {
            let directory = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let base = "ami:\n  endpoints:\n    - {name: pbx1, host: 127.0.0.1, username: helpline, secret: s}\noutbound:\n  caller_id: \"1076\"\n"
            try base.write(to: directory.appendingPathComponent("no-trunk.yaml"), atomically: true, encoding: .utf8)
            try (base + "  trunk: DAHDI/g1\n").write(to: directory.appendingPathComponent("trunk.yaml"), atomically: true, encoding: .utf8)
            let (status, _, output) = try await Self.run(["config", "check", "no-trunk.yaml"], in: directory)
            #expect(status == 0)
            #expect(output.contains("note: outbound.trunk is not set"), "\(output)")
            let (_, _, withTrunk) = try await Self.run(["config", "check", "trunk.yaml"], in: directory)
            #expect(!withTrunk.contains("note: outbound.trunk"), "\(withTrunk)")
            #expect(!withTrunk.contains("without /n"), "the default channel keeps the Local channel (/n)")
            try (base + "  trunk: DAHDI/g1\n  channel: Local/${number}@helpline-outbound\n").write(
                to: directory.appendingPathComponent("optimized.yaml"), atomically: true, encoding: .utf8)
            let (_, _, optimized) = try await Self.run(["config", "check", "optimized.yaml"], in: directory)
            #expect(optimized.contains("note: outbound.channel 'Local/${number}@helpline-outbound' is a Local channel without /n"), "\(optimized)")
            // The shipped dialplan sets the trunk the note points to.
            var repository = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { repository.deleteLastPathComponent() }
            let dialplan = try String(contentsOf: repository.appendingPathComponent("asterisk-conf/extensions.conf"), encoding: .utf8)
            let globals = try #require(dialplan.components(separatedBy: "[globals]\n").dropFirst().first)
            #expect(globals.components(separatedBy: "\n[").first?.contains("\nHELPLINE_TRUNK=DAHDI/g1") == true)
        }

        @Test func refusesBadConfigurationAndArgumentsWithPreciseErrors() async throws {
            let directory = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            try "agi:\n  listen: 127.0.0.1:4573\n  max_sesions: 10\n".write(to: directory.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)

            let (configStatus, configError, _) = try await Self.run(["serve", "--config", "bad.yaml"], in: directory)
            #expect(configStatus == 78)
            #expect(configError.contains("bad.yaml:3:3: unknown key 'agi.max_sesions'"), "\(configError)")

            let (listenStatus, listenError, _) = try await Self.run(["serve", "--agi-listen", "4573"], in: directory)
            #expect(listenStatus == 64)
            #expect(listenError.contains("--agi-listen must be HOST:PORT"), "\(listenError)")

            let (missingStatus, missingError, _) = try await Self.run(["serve", "--config", "nope.yaml"], in: directory)
            #expect(missingStatus == 64)
            #expect(missingError.contains("cannot read the configuration file 'nope.yaml'"), "\(missingError)")

            let (databaseStatus, databaseError, _) = try await Self.run(["serve", "--database", "no/such/dir/h.sqlite", "--agi-listen", "127.0.0.1:0"], in: directory)
            #expect(databaseStatus == 73)
            #expect(databaseError.contains("cannot open the database 'no/such/dir/h.sqlite'"), "\(databaseError)")
        }
    }
}
