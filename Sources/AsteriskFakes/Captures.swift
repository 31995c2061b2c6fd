public import Foundation

/// A wire transcript from `Tests/Fixtures/captures` (format in its INDEX.md): one TCP
/// connection, `<` lines from Asterisk, `>` lines to Asterisk, `#` comments.
public struct Capture: Sendable {
    /// One line of the transcript.
    public enum Event: Sendable, Equatable {
        /// Bytes Asterisk sent (one line, LF included).
        case fromAsterisk([UInt8])
        /// Bytes the server sent (one line, LF included).
        case toAsterisk([UInt8])
        /// The server closed its side.
        case serverClosed
        /// Asterisk closed the connection.
        case asteriskClosed
        /// The client connected (AMI captures; the restart capture has two connections).
        case connected
    }

    /// The file name without directory (`normal-session-inbound.txt`).
    public let name: String
    /// The events in wire order.
    public let events: [Event]

    /// The captures kept in the repository (`Tests/Fixtures/captures`), found from this
    /// source file's place in the checkout (the fakes are for tests and benchmarks built from it).
    public static let directory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Sources/AsteriskFakes/Captures.swift -> repo
        return url.appendingPathComponent("Tests/Fixtures/captures")
    }()

    /// Loads `agi/<name>` or `ami/<name>`.
    public static func load(_ relativePath: String) throws -> Capture {
        let url = directory.appendingPathComponent(relativePath)
        let text = try String(contentsOf: url, encoding: .ascii)
        var events: [Event] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("< ") {
                events.append(.fromAsterisk(try unescape(line.dropFirst(2))))
            } else if line.hasPrefix("> ") {
                events.append(.toAsterisk(try unescape(line.dropFirst(2))))
            } else if line.hasPrefix("# server closes its side") {
                events.append(.serverClosed)
            } else if line.hasPrefix("# connection closed by Asterisk") {
                events.append(.asteriskClosed)
            } else if line.hasPrefix("# connected to ") {
                events.append(.connected)
            }
        }
        return Capture(name: url.lastPathComponent, events: events)
    }

    /// Every FastAGI capture file name, sorted.
    public static func agiNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("agi").path)
            .filter { $0.hasSuffix(".txt") }.sorted()
    }

    /// Every AMI capture file name, sorted.
    public static func amiNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("ami").path)
            .filter { $0.hasSuffix(".txt") }.sorted()
    }

    /// The bytes Asterisk sent on each connection of the capture, one entry per connection.
    public var connectionsFromAsterisk: [[UInt8]] {
        var result: [[UInt8]] = []
        for event in events {
            switch event {
            case .connected: result.append([])
            case .fromAsterisk(let bytes):
                if result.isEmpty { result.append([]) }
                result[result.count - 1] += bytes
            default: break
            }
        }
        return result
    }

    /// All bytes one side sent, concatenated.
    public func bytes(fromAsterisk: Bool) -> [UInt8] {
        events.flatMap { event -> [UInt8] in
            switch event {
            case .fromAsterisk(let bytes) where fromAsterisk: bytes
            case .toAsterisk(let bytes) where !fromAsterisk: bytes
            default: []
            }
        }
    }

    /// The environment block lines (through the empty line), as Asterisk sent them.
    public var environmentBlock: [UInt8] {
        var out: [UInt8] = []
        for case .fromAsterisk(let bytes) in events {
            out += bytes
            if bytes == [0x0A] { break }
        }
        return out
    }

    static func unescape(_ text: Substring) throws -> [UInt8] {
        var out: [UInt8] = []
        var chars = Array(text.utf8)[...]
        while let byte = chars.popFirst() {
            guard byte == UInt8(ascii: "\\") else { out.append(byte); continue }
            guard let next = chars.popFirst() else { throw CaptureError("dangling backslash") }
            switch next {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "x"):
                let hex = String(decoding: chars.prefix(2), as: UTF8.self)
                guard let value = UInt8(hex, radix: 16) else { throw CaptureError("bad \\x escape") }
                out.append(value)
                chars = chars.dropFirst(2)
            default: throw CaptureError("unknown escape \\\(Character(Unicode.Scalar(next)))")
            }
        }
        return out
    }
}

/// A capture file could not be read.
public struct CaptureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

