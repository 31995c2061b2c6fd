public import NIOCore
import NIOPosix

/// A test peer that plays Asterisk's side of FastAGI over a real loopback socket, speaking the
/// bytes of the captures: it connects, sends an environment block, reads the server's commands
/// line by line and answers them.
public struct FakeAsterisk {
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let writer: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var pending = ByteBuffer()
    /// Whether the server's side has ended (EOF seen).
    public private(set) var sawEOF = false

    /// Connects to `address` and runs `body` with the peer; the socket is closed afterwards.
    public static func session<T: Sendable>(
        to address: SocketAddress, _ body: (inout FakeAsterisk) async throws -> T
    ) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(to: address) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var peer = FakeAsterisk(iterator: inbound.makeAsyncIterator(), writer: outbound)
            return try await body(&peer)
        }
    }

    /// Sends raw bytes.
    public func send(_ bytes: [UInt8]) async throws {
        try await writer.write(ByteBuffer(bytes: bytes))
    }

    /// Sends text as is (include the `\n`).
    public func send(_ text: String) async throws {
        try await writer.write(ByteBuffer(string: text))
    }

    /// Sends the environment block of a capture with the script, uniqueid and arguments replaced.
    public func sendEnvironment(script: String, uniqueID: String = "astlab-1795328951.12", arguments: [String] = ["1076", "5550100"]) async throws {
        try await send(Self.environment(script: script, uniqueID: uniqueID, arguments: arguments))
    }

    /// An environment block shaped like `normal-session-inbound.txt`'s (a real Asterisk 22's
    /// for `AGI(agi://127.0.0.1:4573/SCRIPT,ARGS)` on a Local channel).
    public static func environment(script: String, uniqueID: String = "astlab-1795328951.12", arguments: [String] = ["1076", "5550100"]) -> String {
        environment(Environment(script: script, uniqueID: uniqueID, arguments: arguments))
    }

    /// What varies between the environment blocks the fake sends.
    public struct Environment: Sendable {
        /// The script (`inbound`; a leading `/` is dropped).
        public var script: String
        /// `agi_uniqueid`.
        public var uniqueID: String
        /// `agi_arg_1`, `agi_arg_2` …
        public var arguments: [String]
        /// `agi_channel`; its technology is `agi_type`.
        public var channel = "Local/s@dtmf-driver-00000006;1"
        /// `agi_language`.
        public var language = "en"
        /// `agi_callerid`.
        public var callerID = "5550100"
        /// `agi_calleridname`.
        public var callerName = "Lab Caller"
        /// `agi_dnid` (`unknown` on a Local channel, as captured).
        public var dnid = "unknown"
        /// `agi_extension`.
        public var exten = "1076"

        /// The parts of an environment block.
        public init(script: String, uniqueID: String, arguments: [String]) {
            self.script = script.hasPrefix("/") ? String(script.dropFirst()) : script
            self.uniqueID = uniqueID
            self.arguments = arguments
        }
    }

    /// The environment block Asterisk 22 sends for `parts`, in its order of lines.
    public static func environment(_ parts: Environment) -> String {
        let type = parts.channel.split(separator: "/").first.map(String.init) ?? "Local"
        var text = "agi_network: yes\nagi_network_script: \(parts.script)\nagi_request: agi://127.0.0.1:4573/\(parts.script)\n"
        text += "agi_channel: \(parts.channel)\nagi_language: \(parts.language)\nagi_type: \(type)\n"
        text += "agi_uniqueid: \(parts.uniqueID)\nagi_version: 22.10.1\nagi_callerid: \(parts.callerID)\nagi_calleridname: \(parts.callerName)\n"
        text += "agi_callingpres: 0\nagi_callingani2: 0\nagi_callington: 0\nagi_callingtns: 0\nagi_dnid: \(parts.dnid)\n"
        text += "agi_rdnis: unknown\nagi_context: helpline-in\nagi_extension: \(parts.exten)\nagi_priority: 7\nagi_enhanced: 0.0\n"
        text += "agi_accountcode: \nagi_threadid: 140013700675264\n"
        for (index, argument) in parts.arguments.enumerated() { text += "agi_arg_\(index + 1): \(argument)\n" }
        return text + "\n"
    }

    /// Reads one line from the server (without its LF); `nil` once the server has closed.
    public mutating func readLine() async throws -> String? {
        while true {
            if let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending.readString(length: newline - pending.readerIndex)!
                pending.moveReaderIndex(forwardBy: 1)
                return line
            }
            guard var chunk = try await iterator.next() else {
                sawEOF = true
                return nil
            }
            pending.writeBuffer(&chunk)
        }
    }

    /// Reads until the server closes; returns the lines it still sent.
    public mutating func readToEOF() async throws -> [String] {
        var lines: [String] = []
        while let line = try await readLine() { lines.append(line) }
        return lines
    }

    /// Answers each command the server sends with the reply `respond` gives (a full reply,
    /// `\n` included, or `nil` to stop answering), until the server closes. Returns the commands.
    public mutating func serve(_ respond: (String) -> String?) async throws -> [String] {
        var commands: [String] = []
        while let line = try await readLine() {
            commands.append(line)
            guard let reply = respond(line) else { break }
            try await send(reply)
        }
        return commands
    }

    /// Closes the write side (what Asterisk does after its final `HANGUP`).
    public func finish() {
        writer.finish()
    }
}

/// Runs `body`, failing with `TimedOut` if it takes longer than `limit`.
public func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimedOut(limit: limit)
        }
        let result = try await group.next()!
        group.cancelAll()
        return result
    }
}

/// A test step took longer than its limit.
public struct TimedOut: Error, CustomStringConvertible {
    public let limit: Duration
    public init(limit: Duration) { self.limit = limit }
    public var description: String { "timed out after \(limit)" }
}
