/// One reply from Asterisk to a FastAGI command, in every shape of PROTOCOL.md A4.
///
/// `200 result=1 (dept-health)` has ``code`` 200, ``result`` `"1"`, ``data`` `"dept-health"`.
/// `200 result=0 endpos=11360` has ``endpos`` 11360. `200 result= (timeout)` has an empty
/// ``result`` and ``data`` `"timeout"`. A 520 usage reply keeps its usage lines in ``usage``.
/// ``data`` runs from the first `(` to the **last** `)`, so values containing parentheses
/// or spaces survive.
public struct AGIReply: Sendable, Hashable, CustomStringConvertible {
    /// One `key=value` word after the result (`endpos=11360`).
    public struct Field: Sendable, Hashable {
        /// The word before `=`.
        public var name: String
        /// The word after `=`.
        public var value: String
    }

    /// The status code: 200, 510, 511, 520, 503 (and 100 for GOSUB's provisional line).
    public var code: Int
    /// The text after `result=` up to the next space; `nil` when the line has no `result=`.
    public var result: String?
    /// The text between the first `(` and the last `)`, raw; `nil` when there are no parentheses.
    public var data: String?
    /// `key=value` words after the result and data, in order.
    public var fields: [Field]
    /// Other text on the line: the message of a 5xx reply, `Trying...`, `Gosub complete`.
    public var note: String
    /// The lines between `520-…` and `520 End of proper usage.` of a multi-line usage reply.
    public var usage: [String]
    /// The final line exactly as received (without its LF).
    public var line: String

    /// Creates a reply from its parts (tests and simulated calls use ``parse(_:)`` instead).
    public init(code: Int, result: String? = nil, data: String? = nil, fields: [Field] = [], note: String = "", usage: [String] = [], line: String = "") {
        self.code = code
        self.result = result
        self.data = data
        self.fields = fields
        self.note = note
        self.usage = usage
        self.line = line
    }

    /// `result` as an integer, when it is one.
    public var resultValue: Int? { result.flatMap { Int($0) } }

    /// The value of `endpos=` (samples for STREAM FILE and RECORD FILE, ms for CONTROL STREAM FILE).
    public var endpos: Int? { field("endpos").flatMap { Int($0) } }

    /// The value of the first `name=value` word.
    public func field(_ name: String) -> String? {
        fields.first { $0.name == name }?.value
    }

    /// True for `200` replies.
    public var isSuccess: Bool { code == 200 }

    /// The reply line as received.
    public var description: String { line.isEmpty ? "\(code) result=\(result ?? "")" : line }

    /// Reads one reply line (without its LF). Returns `nil` when the line does not start with a
    /// three-digit code followed by a space, a `-` or the end of the line.
    public static func parse(_ line: String) -> AGIReply? {
        let utf8 = line.utf8
        guard utf8.count >= 3 else { return nil }
        var code = 0
        var index = utf8.startIndex
        for _ in 0..<3 {
            let byte = utf8[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            code = code * 10 + Int(byte - UInt8(ascii: "0"))
            index = utf8.index(after: index)
        }
        if index != utf8.endIndex {
            let separator = utf8[index]
            guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else { return nil }
            index = utf8.index(after: index)
        }
        var reply = AGIReply(code: code, line: line)
        var rest = Substring(line)[index...]
        if rest.hasPrefix("result=") {
            rest = rest.dropFirst(7)
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            reply.result = String(rest[..<end])
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
        }
        var tail = rest[...]
        if let open = rest.firstIndex(of: "("), let close = rest.lastIndex(of: ")"), open < close {
            reply.data = String(rest[rest.index(after: open)..<close])
            reply.note = String(rest[..<open].trimmingTrailingSpaces)
            tail = rest[rest.index(after: close)...]
        } else {
            tail = rest
        }
        var noteWords: [Substring] = reply.note.isEmpty ? [] : [Substring(reply.note)]
        if reply.result == nil && reply.data == nil {
            // 5xx and other result-less lines: the whole text is the message.
            reply.note = String(rest)
            return reply
        }
        for word in tail.split(separator: " ") {
            if let equals = word.firstIndex(of: "="), equals != word.startIndex {
                reply.fields.append(Field(name: String(word[..<equals]), value: String(word[word.index(after: equals)...])))
            } else {
                noteWords.append(word)
            }
        }
        if noteWords.count > (reply.note.isEmpty ? 0 : 1) {
            reply.note = noteWords.joined(separator: " ")
        }
        return reply
    }
}

extension Substring {
    var trimmingTrailingSpaces: Substring {
        var end = endIndex
        while end > startIndex, self[index(before: end)] == " " { end = index(before: end) }
        return self[..<end]
    }
}
