import Foundation
import Testing

extension Integration {
    /// `helpline menus reload` against a running `helpline serve`, both real processes.
    @Suite(.serialized) struct MenusReloadTests {
        typealias CLI = HelplineServeTests

        @Test func aCleanSetReplacesTheOldOneAndABrokenOneIsRefused() async throws {
            let directory = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let menus = directory.appendingPathComponent("menus")
            try FileManager.default.createDirectory(at: menus, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("deploy"), withIntermediateDirectories: true)
            let repository = CallFlowTests.repository
            try FileManager.default.copyItem(at: repository.appendingPathComponent("menus/inbound.yaml"), to: menus.appendingPathComponent("inbound.yaml"))
            try FileManager.default.copyItem(at: repository.appendingPathComponent("deploy/directory.yaml"), to: directory.appendingPathComponent("deploy/directory.yaml"))

            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["serve", "--agi-listen", "127.0.0.1:0"]
            process.currentDirectoryURL = directory
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            defer { if process.isRunning { process.terminate() } }

            // Wait (a liveness bound, not a speed goal) for the control socket to answer.
            var result = try await CLI.run(["menus", "reload"], in: directory)
            let end = Date().addingTimeInterval(20)
            while result.0 == 69, Date() < end {
                try await Task.sleep(for: .milliseconds(50))
                result = try await CLI.run(["menus", "reload"], in: directory)
            }
            #expect(result.0 == 0, "\(result.1)")
            #expect(result.2.contains("reloaded: inbound"), "\(result.2)")

            // A second menu appears with the next reload.
            try FileManager.default.copyItem(at: repository.appendingPathComponent("menus/feedback.yaml"), to: menus.appendingPathComponent("feedback.yaml"))
            let added = try await CLI.run(["menus", "reload"], in: directory)
            #expect(added.2.contains("reloaded: feedback, inbound"), "\(added.2)")

            // A broken file: refused, the old set stays.
            try "languages: [hi]\nstart: a\nnodes:\n  a:\n    goto: nowhere\n".write(to: menus.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
            let refused = try await CLI.run(["menus", "reload"], in: directory)
            #expect(refused.0 == 1)
            #expect(refused.2.contains("menus/broken.yaml:5:11: nodes.a: unknown node 'nowhere'"), "\(refused.2)")
            #expect(refused.2.contains("refused: 1 problem; the daemon keeps the call flows it had (feedback, inbound)"), "\(refused.2)")

            process.terminate()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }

        @Test func serveRefusesToStartOnABrokenMenu() async throws {
            let directory = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let menus = directory.appendingPathComponent("menus")
            try FileManager.default.createDirectory(at: menus, withIntermediateDirectories: true)
            try "languages: [hi]\nstart: nowhere\nnodes:\n  a:\n    hangup: true\n".write(to: menus.appendingPathComponent("inbound.yaml"), atomically: true, encoding: .utf8)
            let (status, errors, _) = try await CLI.run(["serve", "--agi-listen", "127.0.0.1:0"], in: directory)
            #expect(status == 78)
            #expect(errors.contains("menus/inbound.yaml:2:8: start: unknown node 'nowhere'"), "\(errors)")
        }
    }
}

extension Integration {
    /// `helpline prompts synth` and the prompt lists.
    @Suite(.serialized) struct PromptsTests {
        typealias CLI = HelplineServeTests

        @Test func placeholderRecordingsAreMadeAt8kHz() async throws {
            let directory = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let menus = CallFlowTests.repository.appendingPathComponent("menus").path
            let (status, errors, output) = try await CLI.run(["prompts", "synth", "--menus", menus, "--out", "sounds", "--languages", "en"], in: directory)
            #expect(status == 0, "\(errors)")
            #expect(output.contains("0 failed"), "\(output)")
            let wav = try Data(contentsOf: directory.appendingPathComponent("sounds/en/welcome.wav"))
            #expect(wav.count > 1000)
            #expect(String(decoding: wav.prefix(4), as: UTF8.self) == "RIFF")
            // Bytes 22-23: channels; 24-27: sample rate (little endian).
            #expect(wav[22] == 1 && wav[23] == 0, "mono")
            #expect(Int(wav[24]) | Int(wav[25]) << 8 | Int(wav[26]) << 16 == 8000, "8 kHz")
            // The shipped menus then pass the recordings check for English.
            let (again, _, second) = try await CLI.run(["prompts", "synth", "--menus", menus, "--out", "sounds", "--languages", "en"], in: directory)
            #expect(again == 0)
            #expect(second.contains("0 made"), "existing recordings are kept: \(second)")
        }

        @Test func withoutTheToolsItSaysWhatToInstall() async throws {
            let directory = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let (status, errors, _) = try await CLI.run(["prompts", "synth", "--out", "sounds"], in: directory, environment: ["PATH": directory.path])
            #expect(status == 69)
            #expect(errors.contains("needs espeak-ng and sox on PATH (Debian: apt-get install espeak-ng sox)"), "\(errors)")
        }
    }
}
