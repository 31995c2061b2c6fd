public import NIOCore

/// One AMI message: a banner, a `Response:` or an `Event:`, as a zero-copy view of its bytes.
///
/// The message keeps one `ByteBuffer` slice of the wire bytes and the byte ranges of each
/// header's name and value; values are decoded only when asked for. Names compare
/// case-insensitively (PROTOCOL.md C20) without lowercasing anything, repeated keys keep their
/// order (C15), and a value is everything after the first `": "` (C14), possibly empty.
///
/// ```swift
/// if message.kind == .event, message.nameIs("QueueMemberPause") {
///     let queue = message["Queue"]          // String?
///     let reason = message["pausedreason"]  // same header: names ignore case
/// }
/// ```
public struct AMIMessage: Sendable, CustomStringConvertible {
    /// What the first line says the message is (PROTOCOL.md C17).
    public enum Kind: Sendable, Hashable {
        /// `Asterisk Call Manager/11.0.0`, the first line of a connection.
        case banner
        /// A reply to an action: the first header is `Response:`.
        case response
        /// An event (including list items and `OriginateResponse`): the first header is `Event:`.
        case event
        /// Anything else (a first header that is neither `Response` nor `Event`).
        case other
    }

    struct Field: Sendable {
        var nameStart: Int32
        var nameEnd: Int32
        var valueStart: Int32
        var valueEnd: Int32
        /// A raw output line of the older `Response: Follows` form: no name, the line is the value.
        var isOutputLine: Bool { nameStart == nameEnd }
    }

    /// The message's bytes, through the last header line (the ending blank line is not included).
    public let bytes: ByteBuffer
    let fields: [Field]
    /// What kind of message this is.
    public let kind: Kind

    init(bytes: ByteBuffer, fields: [Field], kind: Kind) {
        self.bytes = bytes
        self.fields = fields
        self.kind = kind
    }

    /// Builds a message from header pairs (tests, fakes and tools).
    public init(_ headers: [(String, String)]) {
        var buffer = ByteBuffer()
        var fields: [Field] = []
        for (name, value) in headers {
            let nameStart = Int32(buffer.writerIndex)
            buffer.writeString(name)
            let nameEnd = Int32(buffer.writerIndex)
            buffer.writeString(": ")
            let valueStart = Int32(buffer.writerIndex)
            buffer.writeString(value)
            fields.append(Field(nameStart: nameStart, nameEnd: nameEnd, valueStart: valueStart, valueEnd: Int32(buffer.writerIndex)))
            buffer.writeString("\r\n")
        }
        self.bytes = buffer
        self.fields = fields
        self.kind = AMIFramer.classify(buffer, fields)
    }

    /// The number of header lines.
    public var count: Int { fields.count }

    /// The value of the first header (the event name for an event, `Success`/`Error`/`Follows`/`Goodbye`
    /// for a response, the whole line for a banner).
    public var first: String { fields.isEmpty ? "" : value(at: 0) }

    /// The event name (`QueueMemberStatus`) or the response status (`Success`).
    public var name: String { first }

    /// The header names and values in order (output lines of the `Follows` form are named `Output`).
    public var headers: [(name: String, value: String)] {
        fields.indices.map { (name(at: $0), value(at: $0)) }
    }

    /// The value of the first header with this name (ignoring case), or nil.
    public subscript(name: String) -> String? {
        guard let index = index(of: name) else { return nil }
        return value(at: index)
    }

    /// Every value of a repeated header, in order (`Output`, `ChanVariable`, `Variable`).
    ///
    /// `values("Output")` also returns the raw lines of the older `Response: Follows` form.
    public func values(_ name: String) -> [String] {
        let isOutput = name.utf8.count == 6 && matches(Array(name.utf8), "Output")
        var result: [String] = []
        var key = name
        key.withUTF8 { key in
            for index in fields.indices {
                let field = fields[index]
                if (isOutput && field.isOutputLine) || nameEquals(index, key) {
                    result.append(value(at: index))
                }
            }
        }
        return result
    }

    /// Whether the message has a header with this name (ignoring case).
    public func contains(_ name: String) -> Bool { index(of: name) != nil }

    /// Whether the first header's value equals `name`, ignoring case.
    public func nameIs(_ name: StaticString) -> Bool {
        guard !fields.isEmpty else { return false }
        return valueEquals(0, name)
    }

    /// The first header's value as an integer, or nil when absent or not a number.
    public func int(_ name: String) -> Int? {
        guard let index = index(of: name) else { return nil }
        return intValue(at: index)
    }

    /// The ActionID, if the message carries one.
    public var actionID: String? {
        guard let index = index(of: "ActionID" as StaticString) else { return nil }
        return value(at: index)
    }

    public var description: String {
        fields.indices.map { "\(name(at: $0)): \(value(at: $0))" }.joined(separator: "\n")
    }

    // MARK: - Byte-level access (no String per header)

    func index(of name: String) -> Int? {
        var name = name
        return name.withUTF8 { key in
            for index in fields.indices where nameEquals(index, key) { return index }
            return nil
        }
    }

    func index(of name: StaticString) -> Int? {
        let key = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        for index in fields.indices where nameEquals(index, key.bindMemory(to: UInt8.self)) { return index }
        return nil
    }

    func name(at index: Int) -> String {
        let field = fields[index]
        if field.isOutputLine { return "Output" }
        return bytes.getString(at: bytes.readerIndex + Int(field.nameStart), length: Int(field.nameEnd - field.nameStart)) ?? ""
    }

    func value(at index: Int) -> String {
        let field = fields[index]
        return bytes.getString(at: bytes.readerIndex + Int(field.valueStart), length: Int(field.valueEnd - field.valueStart)) ?? ""
    }

    func intValue(at index: Int) -> Int? {
        let field = fields[index]
        return bytes.withUnsafeReadableBytes { raw -> Int? in
            var start = Int(field.valueStart)
            let end = Int(field.valueEnd)
            guard start < end else { return nil }
            var negative = false
            if raw[start] == UInt8(ascii: "-") {
                negative = true
                start += 1
                guard start < end else { return nil }
            }
            var result = 0
            for offset in start..<end {
                let digit = raw[offset] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                let (multiplied, overflow1) = result.multipliedReportingOverflow(by: 10)
                let (added, overflow2) = multiplied.addingReportingOverflow(Int(digit))
                guard !overflow1, !overflow2 else { return nil }
                result = added
            }
            return negative ? -result : result
        }
    }

    /// A decimal like `12.5` as a Double (service level percentages).
    func doubleValue(at index: Int) -> Double? { Double(value(at: index)) }

    func nameEquals(_ index: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let field = fields[index]
        let length = Int(field.nameEnd - field.nameStart)
        guard length == key.count, length > 0 else { return false }
        return bytes.withUnsafeReadableBytes { raw in
            asciiCaseInsensitiveEqual(UnsafeRawBufferPointer(rebasing: raw[Int(field.nameStart)..<Int(field.nameEnd)]), key)
        }
    }

    func nameEquals(_ index: Int, _ key: StaticString) -> Bool {
        nameEquals(index, UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
    }

    func valueEquals(_ index: Int, _ key: StaticString) -> Bool {
        let field = fields[index]
        let length = Int(field.valueEnd - field.valueStart)
        guard length == key.utf8CodeUnitCount else { return false }
        return bytes.withUnsafeReadableBytes { raw in
            asciiCaseInsensitiveEqual(
                UnsafeRawBufferPointer(rebasing: raw[Int(field.valueStart)..<Int(field.valueEnd)]),
                UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        }
    }

    /// Calls `body` with each header's name and value bytes (for one-pass decoders).
    func forEachField(_ body: (Int, UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeReadableBytes { raw in
            for index in fields.indices {
                let field = fields[index]
                body(index, UnsafeRawBufferPointer(rebasing: raw[Int(field.nameStart)..<Int(field.nameEnd)]))
            }
        }
    }

    private func matches(_ bytes: [UInt8], _ key: StaticString) -> Bool {
        bytes.withUnsafeBytes { asciiCaseInsensitiveEqual($0, UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)) }
    }
}

/// Compares ASCII bytes ignoring case, without building lowercased copies.
@inline(__always)
func asciiCaseInsensitiveEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    for index in 0..<a.count {
        let x = a[index]
        let y = b[index]
        if x == y { continue }
        let lower = x | 0x20
        guard lower == y | 0x20, lower >= UInt8(ascii: "a"), lower <= UInt8(ascii: "z") else { return false }
    }
    return true
}
