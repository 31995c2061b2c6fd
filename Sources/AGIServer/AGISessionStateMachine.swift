import NIOCore

/// The FastAGI session protocol as a pure state machine: lines in, actions out.
///
/// It reads the environment block, then keeps exactly one command in flight and matches each
/// reply line to it (multi-line 520 usage blocks and GOSUB's provisional `100` line included).
/// An unsolicited `HANGUP` line, which Asterisk may send at any point between replies, marks
/// the session hung up: the command in flight (if any) fails, its late reply is never taken
/// for another command's, and no further command is sent.
struct AGISessionStateMachine {
    enum State {
        /// Reading `key: value` lines until the empty line.
        case environment(AGIEnvironment)
        /// The environment is complete and no command is in flight.
        case idle
        /// A command was written; waiting for its final reply line.
        case awaitingReply(usage: [String]?)
        /// The session is over (hangup, protocol error, close): input is ignored.
        case finished
    }

    enum LineAction {
        /// Nothing to do yet.
        case none
        /// The environment block ended.
        case environmentComplete
        /// The final reply to the command in flight.
        case reply(AGIReply)
        /// Asterisk sent `HANGUP`. `failPending` says whether a command was in flight.
        case hangup(failPending: Bool)
        /// The peer broke the protocol; fail what is pending and close.
        case protocolError(AGIError)
    }

    enum SendAction {
        /// Write the command.
        case write
        /// Refuse the command with this error; nothing is written.
        case fail(AGIError)
    }

    private(set) var state: State = .environment(AGIEnvironment())
    private(set) var hungUp = false
    private(set) var environment = AGIEnvironment()
    let maximumEnvironmentKeys: Int

    init(maximumEnvironmentKeys: Int) {
        self.maximumEnvironmentKeys = maximumEnvironmentKeys
    }

    /// One line from Asterisk, without its LF (a trailing CR is tolerated and dropped).
    mutating func lineReceived(_ line: ByteBuffer) -> LineAction {
        var line = line
        if line.readableBytes > 0, line.getInteger(at: line.writerIndex - 1, as: UInt8.self) == UInt8(ascii: "\r") {
            line.moveWriterIndex(to: line.writerIndex - 1)
        }
        switch state {
        case .environment(var env):
            if line.readableBytes == 0 {
                environment = env
                state = .idle
                return .environmentComplete
            }
            guard let colon = line.readableBytesView.firstIndex(of: UInt8(ascii: ":")), colon > line.readerIndex else {
                state = .finished
                return .protocolError(AGIError(.protocolViolation, "malformed environment line \(Self.preview(line)): expected 'key: value'"))
            }
            let keyLength = colon - line.readerIndex
            if let bad = line.readableBytesView[..<colon].first(where: { $0 <= 0x20 || $0 >= 0x7F }) {
                state = .finished
                return .protocolError(AGIError(.protocolViolation, "malformed environment line \(Self.preview(line)): byte 0x\(String(bad, radix: 16)) in the key"))
            }
            guard env.count < maximumEnvironmentKeys else {
                state = .finished
                return .protocolError(AGIError(.environmentTooLarge, "environment block has more than \(maximumEnvironmentKeys) keys"))
            }
            var valueOffset = keyLength + 1
            if line.getInteger(at: colon + 1, as: UInt8.self) == UInt8(ascii: " ") { valueOffset += 1 }
            // Move the state out while mutating so the environment's storage is not copied.
            state = .finished
            env.append(line: line, keyLength: keyLength, valueOffset: valueOffset)
            state = .environment(env)
            return .none

        case .idle:
            if Self.isHangup(line) {
                hungUp = true
                state = .finished
                return .hangup(failPending: false)
            }
            state = .finished
            return .protocolError(AGIError(.protocolViolation, "unexpected line \(Self.preview(line)) while no command was in flight"))

        case .awaitingReply(let usage):
            if var usage {
                if line.hasPrefix("520 ") {
                    guard var reply = AGIReply.parse(line) else { preconditionFailure("a line starting with '520 ' always parses") }
                    reply.usage = usage
                    state = .idle
                    return .reply(reply)
                }
                usage.append(String(buffer: line))
                state = .awaitingReply(usage: usage)
                return .none
            }
            if Self.isHangup(line) {
                hungUp = true
                state = .finished
                return .hangup(failPending: true)
            }
            guard let reply = AGIReply.parse(line) else {
                state = .finished
                return .protocolError(AGIError(.protocolViolation, "malformed reply line \(Self.preview(line))"))
            }
            if line.hasPrefix("520-") {
                state = .awaitingReply(usage: [])
                return .none
            }
            if reply.code == 100 {
                // GOSUB's provisional "100 result=0 Trying..."; the final line follows.
                return .none
            }
            state = .idle
            return .reply(reply)

        case .finished:
            return .none
        }
    }

    /// The handler wants to send a command.
    mutating func sendCommand() -> SendAction {
        switch state {
        case .idle:
            state = .awaitingReply(usage: nil)
            return .write
        case .awaitingReply:
            return .fail(AGIError(.protocolViolation, "a command is already in flight; FastAGI allows one at a time"))
        case .environment:
            return .fail(AGIError(.protocolViolation, "the environment block has not been read yet"))
        case .finished:
            if hungUp { return .fail(AGIError(.hungUp, "the channel hung up")) }
            return .fail(AGIError(.connectionClosed, "the session has ended"))
        }
    }

    /// The session ends for a reason of the server's own (deadline, drain, close).
    /// Returns whether a command was in flight.
    mutating func finish() -> Bool {
        if case .awaitingReply = state {
            state = .finished
            return true
        }
        state = .finished
        return false
    }

    private static func isHangup(_ line: ByteBuffer) -> Bool {
        line.readableBytes == 6 && line.hasPrefix("HANGUP")
    }

    static func preview(_ line: ByteBuffer) -> String {
        let bytes = line.readableBytesView.prefix(60)
        var text = ""
        for byte in bytes {
            if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return "'" + text + (line.readableBytes > 60 ? "…' (\(line.readableBytes) bytes)" : "'")
    }
}

extension ByteBuffer {
    /// Whether the readable bytes start with `prefix` (ASCII).
    func hasPrefix(_ prefix: StaticString) -> Bool {
        guard readableBytes >= prefix.utf8CodeUnitCount else { return false }
        return withUnsafeReadableBytes { bytes in
            prefix.withUTF8Buffer { wanted in bytes.prefix(wanted.count).elementsEqual(wanted) }
        }
    }
}
