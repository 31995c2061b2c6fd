public import NIOCore

/// One reply from Asterisk to a FastAGI command, in every shape of PROTOCOL.md A4.
///
/// `200 result=1 (dept-health)` has ``code`` 200, ``result`` `"1"`, ``data`` `"dept-health"`.
/// `200 result=0 endpos=11360` has ``endpos`` 11360. `200 result= (timeout)` has an empty
/// ``result`` and ``data`` `"timeout"`. A 520 usage reply keeps its usage lines in ``usage``.
/// ``data`` runs from the first `(` to the **last** `)`, so values containing parentheses
/// or spaces survive.
public struct AGIReply: Sendable, Hashable, CustomStringConvertible {
    /// One `key=value` word after the result (other than `endpos`, which is ``endpos``).
    public struct Field: Sendable, Hashable {
        /// The word before `=`.
        public var name: String
        /// The word after `=`.
        public var value: String

        /// Creates a field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The status code: 200, 510, 511, 520, 503 (and 100 for GOSUB's provisional line).
    public var code: Int
    /// The text after `result=` up to the next space; `nil` when the line has no `result=`.
    public var result: String?
    /// The text between the first `(` and the last `)`, raw; `nil` when there are no parentheses.
    public var data: String?
    /// The value of `endpos=` (samples for STREAM FILE and RECORD FILE, ms for CONTROL STREAM FILE).
    public var endpos: Int?
    /// Other `key=value` words after the result and data, in order.
    public var fields: [Field]
    /// Other text on the line: the message of a 5xx reply, `Trying...`, `Gosub complete`.
    public var note: String
    /// The lines between `520-…` and `520 End of proper usage.` of a multi-line usage reply.
    public var usage: [String]
    /// The final line exactly as received (without its LF).
    ///
    /// A copy: a reply never keeps NIO's receive buffer alive (each channel reuses its buffer
    /// only while nothing else holds it).
    public var line: String

    /// Creates a reply from its parts (tests and simulated calls can use ``parse(_:)`` instead).
    public init(code: Int, result: String? = nil, data: String? = nil, endpos: Int? = nil, fields: [Field] = [], note: String = "", usage: [String] = [], line: String = "") {
        self.code = code
        self.result = result
        self.data = data
        self.endpos = endpos
        self.fields = fields
        self.note = note
        self.usage = usage
        self.line = line
    }

    private init(code: Int, line: String) {
        self.code = code
        self.fields = []
        self.note = ""
        self.usage = []
        self.line = line
    }

    /// `result` as an integer, when it is one.
    public var resultValue: Int? { result.flatMap { Int($0) } }

    /// The value of the first `name=value` word (`endpos` included).
    public func field(_ name: String) -> String? {
        if name == "endpos" { return endpos.map { String($0) } }
        return fields.first { $0.name == name }?.value
    }

    /// True for `200` replies.
    public var isSuccess: Bool { code == 200 }

    /// The reply line as received.
    public var description: String { line.isEmpty ? "\(code) result=\(result ?? "")" : line }

    /// Reads one reply line (without its LF). Returns `nil` when the line does not start with a
    /// three-digit code followed by a space, a `-` or the end of the line.
    public static func parse(_ line: String) -> AGIReply? {
        parse(ByteBuffer(string: line))
    }

    /// Reads one reply line from its bytes, creating strings only for the parts present.
    public static func parse(_ line: ByteBuffer) -> AGIReply? {
        line.withUnsafeReadableBytes { bytes -> AGIReply? in
            let count = bytes.count
            guard count >= 3 else { return nil }
            var code = 0
            for index in 0..<3 {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                code = code * 10 + Int(byte &- UInt8(ascii: "0"))
            }
            var index = 3
            if index < count {
                guard bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "-") else { return nil }
                index += 1
            }
            var reply = AGIReply(code: code, line: text(bytes, 0, count))
            if count - index >= 7, bytes[index..<(index + 7)].elementsEqual("result=".utf8) {
                index += 7
                let start = index
                while index < count, bytes[index] != UInt8(ascii: " ") { index += 1 }
                reply.result = text(bytes, start, index)
                if index < count { index += 1 }
            }
            let restStart = index
            var tailStart = restStart
            if let open = bytes[restStart...].firstIndex(of: UInt8(ascii: "(")),
                let close = bytes[(open + 1)...].lastIndex(of: UInt8(ascii: ")"))
            {
                reply.data = text(bytes, open + 1, close)
                var end = open
                while end > restStart, bytes[end - 1] == UInt8(ascii: " ") { end -= 1 }
                if end > restStart { reply.note = text(bytes, restStart, end) }
                tailStart = close + 1
            }
            if reply.result == nil && reply.data == nil {
                // 5xx and other result-less lines: the whole text is the message.
                reply.note = text(bytes, restStart, count)
                return reply
            }
            var words: [String] = []
            var position = tailStart
            while position < count {
                while position < count, bytes[position] == UInt8(ascii: " ") { position += 1 }
                let start = position
                var equals = -1
                while position < count, bytes[position] != UInt8(ascii: " ") {
                    if equals < 0, bytes[position] == UInt8(ascii: "=") { equals = position }
                    position += 1
                }
                guard position > start else { break }
                if equals > start {
                    if equals - start == 6, bytes[start..<equals].elementsEqual("endpos".utf8), reply.endpos == nil,
                        let value = Int(text(bytes, equals + 1, position))
                    {
                        reply.endpos = value
                    } else {
                        reply.fields.append(Field(name: text(bytes, start, equals), value: text(bytes, equals + 1, position)))
                    }
                } else {
                    words.append(text(bytes, start, position))
                }
            }
            if !words.isEmpty {
                reply.note = ([reply.note].filter { !$0.isEmpty } + words).joined(separator: " ")
            }
            return reply
        }
    }
}

@inline(__always)
private func text(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> String {
    String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
}
