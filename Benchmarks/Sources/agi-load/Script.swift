import NIOCore

/// The benchmark script as the fake Asterisk expects to see it, and Asterisk's replies.
enum Script {
    /// The 8 command lines, in order, exactly as they must arrive (without the LF). The server
    /// gets digit 3 from the menu and 42 from the district prompt.
    static let expected: [[UInt8]] = [
        "ANSWER",
        #"STREAM FILE welcome """#,
        "GET DATA menu 3000 1",
        #"SET VARIABLE HELPLINE_DEPT "dept-3""#,
        "GET DATA enter-district 3000 2",
        #"SAY DIGITS 42 """#,
        #"SET VARIABLE HELPLINE_QUEUE "q-3""#,
        "HANGUP",
    ].map { Array($0.utf8) }

    static var commandCount: Int { expected.count }

    static let hangupNotice = ByteBuffer(string: "HANGUP\n")
    static let unknownCommand = ByteBuffer(string: "510 Invalid or unknown command\n")

    private static let rules: [(prefix: [UInt8], exact: Bool, reply: ByteBuffer)] = [
        (Array("ANSWER".utf8), true, ByteBuffer(string: "200 result=0\n")),
        (Array("STREAM FILE ".utf8), false, ByteBuffer(string: "200 result=0 endpos=11360\n")),
        (Array("GET DATA menu ".utf8), false, ByteBuffer(string: "200 result=3\n")),
        (Array("GET DATA enter-district ".utf8), false, ByteBuffer(string: "200 result=42\n")),
        (Array("SET VARIABLE ".utf8), false, ByteBuffer(string: "200 result=1\n")),
        (Array("SAY DIGITS ".utf8), false, ByteBuffer(string: "200 result=0\n")),
        // Asterisk soft-hangs-up the channel, then reports the hangup.
        (Array("HANGUP".utf8), true, ByteBuffer(string: "200 result=1\nHANGUP\n")),
    ]

    /// What Asterisk answers to `line`, or nil for a command it would not know.
    static func reply(to line: UnsafeRawBufferPointer) -> ByteBuffer? {
        for rule in rules {
            if rule.exact {
                if line.count == rule.prefix.count && line.elementsEqual(rule.prefix) { return rule.reply }
            } else if line.count >= rule.prefix.count && line.prefix(rule.prefix.count).elementsEqual(rule.prefix) {
                return rule.reply
            }
        }
        return nil
    }
}

/// Builds environment blocks shaped like the one a real Asterisk 22 sends for
/// `AGI(agi://127.0.0.1:PORT/bench,1076,5550100)` (see Tests/Fixtures/captures/agi/normal-session-inbound.txt).
struct EnvironmentBlock: Sendable {
    private let head: [UInt8]
    private let middle: [UInt8]
    private let tail: [UInt8]

    init(host: String, port: Int, epoch: Int) {
        head = Array(
            """
            agi_network: yes
            agi_network_script: bench
            agi_request: agi://\(host):\(port)/bench
            agi_channel: Local/s@bench-
            """.utf8)
        middle = Array(
            """
            ;1
            agi_language: en
            agi_type: Local
            agi_uniqueid: bench-\(epoch).
            """.utf8)
        let rest = [
            "", "agi_version: 22.10.1", "agi_callerid: 5550100", "agi_calleridname: Lab Caller",
            "agi_callingpres: 0", "agi_callingani2: 0", "agi_callington: 0", "agi_callingtns: 0",
            "agi_dnid: unknown", "agi_rdnis: unknown", "agi_context: helpline-in", "agi_extension: 1076",
            "agi_priority: 7", "agi_enhanced: 0.0", "agi_accountcode: ", "agi_threadid: 140013700675264",
            "agi_arg_1: 1076", "agi_arg_2: 5550100", "", "",
        ]
        tail = Array(rest.joined(separator: "\n").utf8)
    }

    /// The block for session number `number` (unique across the run).
    func make(number: UInt64, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: head.count + middle.count + tail.count + 32)
        buffer.writeBytes(head)
        writeHex(number, into: &buffer)
        buffer.writeBytes(middle)
        writeDecimal(number, into: &buffer)
        buffer.writeBytes(tail)
        return buffer
    }

    private func writeHex(_ value: UInt64, into buffer: inout ByteBuffer) {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        for shift in stride(from: 28, through: 0, by: -4) {
            buffer.writeInteger(digits[Int((value >> UInt64(shift)) & 0xF)])
        }
    }

    private func writeDecimal(_ value: UInt64, into buffer: inout ByteBuffer) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { bytes in
            repeat {
                bytes[19 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[(20 - count)...]))
        }
    }
}
