import AGIServer
public import AsteriskFakes
public import NIOCore
import Synchronization

/// What happened when a capture's Asterisk side was replayed against a server.
public struct ReplayReport: Sendable {
    /// Commands whose words differ from the capture's, and other surprises.
    public var mismatches: [String] = []
    /// The command lines the server sent, in order.
    public var commands: [String] = []
    /// Lines the server sent after a mid-session `HANGUP` (before it closed).
    public var afterHangup: [String] = []
    /// Whether the server closed its side where the capture says it did (or after a HANGUP).
    public var serverClosed = false
}

/// Plays Asterisk's side of `capture` against the server at `address`: sends each `<` line in
/// order, and at each `>` line reads the server's command and compares it word by word (as
/// Asterisk's tokenizer reads it, case-insensitively) with the capture's. After a `HANGUP` in
/// the middle of the session the server must close the connection.
public func replay(_ capture: Capture, to address: SocketAddress) async throws -> ReplayReport {
    try await FakeAsterisk.session(to: address) { peer in
        var report = ReplayReport()
        var sawServerClose = false
        for event in capture.events {
            switch event {
            case .fromAsterisk(let bytes):
                try await peer.send(bytes)
                if bytes == Array("HANGUP\n".utf8) && !sawServerClose {
                    report.afterHangup = try await peer.readToEOF()
                    report.serverClosed = true
                    peer.finish()
                    return report
                }
            case .toAsterisk(let bytes):
                let expected = String(decoding: bytes.dropLast(), as: UTF8.self)
                guard let line = try await peer.readLine() else {
                    report.mismatches.append("expected '\(expected)', but the server closed")
                    return report
                }
                report.commands.append(line)
                let ours = AGICommandLine.words(line).map { $0.lowercased() }
                let theirs = AGICommandLine.words(expected).map { $0.lowercased() }
                if ours != theirs { report.mismatches.append("expected '\(expected)', got '\(line)'") }
            case .serverClosed:
                sawServerClose = true
                if let line = try await peer.readLine() {
                    report.mismatches.append("expected the server to close, got '\(line)'")
                } else {
                    report.serverClosed = true
                }
            case .asteriskClosed:
                peer.finish()
                return report
            case .connected:
                break
            }
        }
        return report
    }
}

/// A thread-safe list of strings a handler records what it saw into.
public final class Journal: Sendable {
    private let entries = Mutex<[String]>([])
    public init() {}
    /// Appends an entry.
    public func record(_ entry: String) { entries.withLock { $0.append(entry) } }
    /// All entries so far.
    public var all: [String] { entries.withLock { $0 } }
}
