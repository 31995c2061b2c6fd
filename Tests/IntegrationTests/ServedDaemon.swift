import Foundation
import Synchronization

/// `helpline serve` run as an administrator runs it: the built binary as a process in a folder
/// holding its `helpline.yaml`, FastAGI and HTTP on free loopback ports (found in its log),
/// its standard error collected as it comes.
final class ServedDaemon: Sendable {
    /// Text collected from another thread.
    final class Collected: Sendable {
        let text = Mutex("")
    }

    /// What the daemon wrote to standard error so far.
    private let output = Collected()
    /// The process and the pipe of its standard error.
    private let running: Mutex<(process: Process, errors: Pipe)?>
    /// The FastAGI and HTTP ports it listens on, on 127.0.0.1.
    let agiPort: Int
    let httpPort: Int

    /// What never happened within the start deadline.
    struct NotListening: Error, CustomStringConvertible {
        var log: String
        var description: String { "helpline serve did not say within 30 s where it listens; its log:\n\(log)" }
    }

    /// Starts `helpline serve --config helpline.yaml` in `directory` and waits until both
    /// listeners are up.
    init(in directory: URL) async throws {
        let process = Process()
        process.executableURL = Integration.HelplineServeTests.binary
        process.arguments = ["serve", "--config", "helpline.yaml", "--agi-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--log-level", "info"]
        process.currentDirectoryURL = directory
        let errors = Pipe()
        process.standardError = errors
        let output = self.output
        errors.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            output.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        running = Mutex((process, errors))
        func port(_ key: String) -> Int? {
            let log = output.text.withLock { $0 }
            return log.range(of: key + #"=\S*127\.0\.0\.1:(\d+)"#, options: .regularExpression).flatMap { Int(log[$0].split(separator: ":").last!) }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while port(#"agi\.listen"#) == nil || port(#"http\.listen"#) == nil {
            guard ContinuousClock.now < deadline, process.isRunning else {
                process.terminate()
                throw NotListening(log: output.text.withLock { $0 })
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        agiPort = port(#"agi\.listen"#)!
        httpPort = port(#"http\.listen"#)!
    }

    deinit {
        running.withLock { running in
            if let process = running?.process, process.isRunning { process.terminate() }
        }
    }

    /// The log so far.
    var log: String { output.text.withLock { $0 } }

    /// Sends SIGTERM and returns at once: the daemon drains and stops in its own time.
    func terminate() {
        running.withLock { running in running?.process.terminate() }
    }

    /// Whether the process is still running.
    var isRunning: Bool { running.withLock { $0?.process.isRunning ?? false } }

    /// Sends SIGTERM, waits for the exit, and returns its status and the whole log.
    func stop() -> (status: Int32, log: String) {
        guard let (process, errors) = running.withLock({ $0 }) else { return (-1, log) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        errors.fileHandleForReading.readabilityHandler = nil
        let rest = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, output.text.withLock { $0 += rest; return $0 })
    }
}
