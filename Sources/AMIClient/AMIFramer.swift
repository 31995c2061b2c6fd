public import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits the bytes Asterisk sends into ``AMIMessage``s: a pure decoder with no I/O.
///
/// Rules (PROTOCOL.md B1, C12–C17):
/// - Lines end with CR LF. A bare LF is part of the value (`Uniqueid length exceeds maximum of 149\n`).
/// - An empty line ends a message; empty lines between messages are skipped.
/// - The first line of a connection may be the banner (`Asterisk Call Manager/11.0.0`), which has
///   no blank line after it; a connection may also start with no banner at all.
/// - A header splits at the first `": "`; a line ending in `:` has an empty value; names may hold
///   `(`, `)` and `/`.
/// - The older `Response: Follows` form: raw output lines up to `--END COMMAND--` are kept as
///   `Output` values.
/// - Lines longer than ``Limits/maximumLineLength`` and messages with more than
///   ``Limits/maximumHeaderCount`` headers are errors; the connection cannot continue after one.
///
/// ```swift
/// var framer = AMIFramer()
/// while let message = try framer.next(from: &buffer) { handle(message) }
/// ```
public struct AMIFramer: Sendable {
    /// Size limits that protect the client from a misbehaving peer.
    public struct Limits: Sendable, Hashable {
        /// The longest line accepted, CR LF excluded. Defaults to 65,536 bytes.
        public var maximumLineLength: Int = 65_536
        /// The most header lines in one message. Defaults to 16,384 (long `Command` output).
        public var maximumHeaderCount: Int = 16_384

        /// The defaults.
        public init() {}

        /// Custom limits.
        public init(maximumLineLength: Int, maximumHeaderCount: Int) {
            self.maximumLineLength = maximumLineLength
            self.maximumHeaderCount = maximumHeaderCount
        }
    }

    /// The limits in force.
    public let limits: Limits
    private var expectingBanner: Bool
    /// Bytes of the current message already split into fields, from the buffer's reader index.
    private var scanned = 0
    private var fields: [AMIMessage.Field] = []
    private var follows = false
    /// Lines read so far on this connection (1-based in errors).
    private var lineNumber = 0

    /// A framer for a new connection; `banner: false` for streams that start mid-connection.
    public init(limits: Limits = Limits(), banner: Bool = true) {
        self.limits = limits
        self.expectingBanner = banner
        fields.reserveCapacity(32)
    }

    /// Returns the next complete message and consumes its bytes, or nil when more bytes are needed.
    public mutating func next(from buffer: inout ByteBuffer) throws(AMIError) -> AMIMessage? {
        if expectingBanner || follows { return try nextSlow(from: &buffer) }
        // The common case in one pass over the bytes with local state only (no property access
        // per line: Swift's exclusivity checks on `self` cost about a fifth of the time).
        enum Scan { case needMore, complete(length: Int, consumed: Int), slow }
        var fields = self.fields
        self.fields = []
        if fields.capacity == 0 { fields.reserveCapacity(32) }
        var scanned = self.scanned
        var lines = 0
        let maximumLine = limits.maximumLineLength
        let maximumHeaders = limits.maximumHeaderCount
        let scan = buffer.withUnsafeReadableBytes { raw -> Scan in
            guard let base = raw.baseAddress else { return .needMore }
            let count = raw.count
            while true {
                let lineStart = scanned
                var search = lineStart
                var lineEnd = -1
                while search < count {
                    guard let hit = memchr(base + search, 0x0A, count - search) else { break }
                    let lf = base.distance(to: UnsafeRawPointer(hit))
                    if lf > lineStart && raw[lf - 1] == 0x0D {
                        lineEnd = lf - 1
                        break
                    }
                    search = lf + 1
                }
                if lineEnd < 0 { return count - lineStart > maximumLine + 1 ? .slow : .needMore }
                if lineEnd - lineStart > maximumLine { return .slow }
                if lineEnd == lineStart {
                    if fields.isEmpty { return .slow }
                    lines += 1
                    return .complete(length: lineStart, consumed: lineEnd + 2)
                }
                guard fields.count < maximumHeaders, let colon = Self.separator(in: raw, lineStart, lineEnd) else { return .slow }
                if fields.isEmpty && Self.equals(raw, lineStart, colon, "Response") && Self.equals(raw, colon + 2, lineEnd, "Follows") {
                    return .slow
                }
                fields.append(.init(nameStart: Int32(lineStart), nameEnd: Int32(colon), valueStart: Int32(colon + 2), valueEnd: Int32(lineEnd)))
                lines += 1
                scanned = lineEnd + 2
            }
        }
        switch scan {
        case .needMore:
            self.fields = fields
            self.scanned = scanned
            lineNumber += lines
            return nil
        case .slow:
            self.fields = fields
            self.scanned = scanned
            lineNumber += lines
            return try nextSlow(from: &buffer)
        case .complete(let length, let consumed):
            lineNumber += lines
            let slice = buffer.getSlice(at: buffer.readerIndex, length: length)!
            buffer.moveReaderIndex(forwardBy: consumed)
            self.scanned = 0
            return AMIMessage(bytes: slice, fields: fields, kind: Self.classify(slice, fields))
        }
    }

    /// The general line-by-line path: banners, the `Follows` form, blank lines between messages, errors.
    private mutating func nextSlow(from buffer: inout ByteBuffer) throws(AMIError) -> AMIMessage? {
        while true {
            let lineStart = scanned
            guard let lineEnd = try findLineEnd(in: buffer, from: lineStart) else { return nil }
            // lineEnd is the offset of CR in CR LF.
            lineNumber += 1
            scanned = lineEnd + 2
            if lineEnd == lineStart {
                if fields.isEmpty {
                    // A blank line between messages (or after a banner some servers follow with one).
                    buffer.moveReaderIndex(forwardBy: scanned)
                    scanned = 0
                    continue
                }
                let slice = buffer.getSlice(at: buffer.readerIndex, length: lineStart)!
                buffer.moveReaderIndex(forwardBy: scanned)
                scanned = 0
                let message = AMIMessage(bytes: slice, fields: fields, kind: Self.classify(slice, fields))
                fields.removeAll(keepingCapacity: true)
                follows = false
                return message
            }
            if expectingBanner {
                expectingBanner = false
                if let banner = bannerLine(buffer, lineStart, lineEnd) {
                    buffer.moveReaderIndex(forwardBy: scanned)
                    scanned = 0
                    return banner
                }
            }
            guard fields.count < limits.maximumHeaderCount else {
                throw AMIError(.tooManyHeaders, "line \(lineNumber): a message has more than \(limits.maximumHeaderCount) header lines")
            }
            try addField(buffer, lineStart, lineEnd)
        }
    }

    /// Finds the CR of the next CR LF at or after `from`; a bare LF does not end the line.
    private func findLineEnd(in buffer: ByteBuffer, from start: Int) throws(AMIError) -> Int? {
        let found: Int? = buffer.withUnsafeReadableBytes { raw -> Int? in
            guard let base = raw.baseAddress else { return nil }
            var index = start
            while index < raw.count {
                // memchr is vectorised; most of the framer's time is this scan.
                guard let hit = memchr(base + index, 0x0A, raw.count - index) else { return nil }
                let lf = base.distance(to: UnsafeRawPointer(hit))
                if lf > start, raw[lf - 1] == 0x0D { return lf - 1 }
                index = lf + 1
            }
            return nil
        }
        if let found {
            if found - start > limits.maximumLineLength {
                throw AMIError(.lineTooLong, "line \(lineNumber + 1): \(found - start) bytes, longer than the limit of \(limits.maximumLineLength)")
            }
            return found
        }
        if buffer.readableBytes - start > limits.maximumLineLength + 1 {
            throw AMIError(.lineTooLong, "line \(lineNumber + 1): more than \(limits.maximumLineLength) bytes without CR LF")
        }
        return nil
    }

    private func bannerLine(_ buffer: ByteBuffer, _ start: Int, _ end: Int) -> AMIMessage? {
        let hasSeparator = buffer.withUnsafeReadableBytes { raw in
            Self.separator(in: raw, start, end) != nil || raw[end - 1] == UInt8(ascii: ":")
        }
        guard !hasSeparator else { return nil }
        let slice = buffer.getSlice(at: buffer.readerIndex, length: end)!
        return AMIMessage(
            bytes: slice,
            fields: [.init(nameStart: Int32(start), nameEnd: Int32(start), valueStart: Int32(start), valueEnd: Int32(end))],
            kind: .banner)
    }

    private mutating func addField(_ buffer: ByteBuffer, _ start: Int, _ end: Int) throws(AMIError) {
        let split: (Int, Int)? = buffer.withUnsafeReadableBytes { raw -> (Int, Int)? in
            if let colon = Self.separator(in: raw, start, end) { return (colon, colon + 2) }
            if raw[end - 1] == UInt8(ascii: ":") { return (end - 1, end) }  // "Key:" with nothing after
            return nil
        }
        if follows, !fields.isEmpty, split == nil || fields.last!.isOutputLine || isOutputContinuation(buffer, start, end) {
            addOutputLines(buffer, start, end)
            return
        }
        guard let (nameEnd, valueStart) = split, nameEnd > start else {
            let preview = buffer.getString(at: buffer.readerIndex + start, length: min(end - start, 60)) ?? ""
            throw AMIError(.protocolViolation, "line \(lineNumber): not a 'Name: value' header: \"\(preview)\"")
        }
        fields.append(.init(nameStart: Int32(start), nameEnd: Int32(nameEnd), valueStart: Int32(valueStart), valueEnd: Int32(end)))
        if fields.count == 1 {
            follows = buffer.withUnsafeReadableBytes { raw in
                Self.equals(raw, start, nameEnd, "Response") && Self.equals(raw, valueStart, end, "Follows")
            }
        }
    }

    @inline(__always)
    static func equals(_ raw: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ key: StaticString) -> Bool {
        end - start == key.utf8CodeUnitCount
            && asciiCaseInsensitiveEqual(UnsafeRawBufferPointer(rebasing: raw[start..<end]),
                                         UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
    }

    /// In the `Follows` form, once the Privilege/ActionID headers are past, every line is output.
    private func isOutputContinuation(_ buffer: ByteBuffer, _ start: Int, _ end: Int) -> Bool {
        let probe = AMIMessage(bytes: buffer.getSlice(at: buffer.readerIndex, length: end)!,
                               fields: [.init(nameStart: Int32(start), nameEnd: Int32(start), valueStart: Int32(start), valueEnd: Int32(end))],
                               kind: .other)
        let line = probe.value(at: 0)
        let lower = line.lowercased()
        return !(lower.hasPrefix("privilege: ") || lower.hasPrefix("actionid: ") || lower.hasPrefix("message: "))
    }

    /// Splits a raw output chunk on LF (the old form used bare LF) and drops `--END COMMAND--`.
    private mutating func addOutputLines(_ buffer: ByteBuffer, _ start: Int, _ end: Int) {
        buffer.withUnsafeReadableBytes { raw in
            var lineStart = start
            var index = start
            func emit(_ lineEnd: Int) {
                var stop = lineEnd
                if stop > lineStart, raw[stop - 1] == 0x0D { stop -= 1 }
                let marker = Array("--END COMMAND--".utf8)
                if stop - lineStart >= marker.count, raw[(stop - marker.count)..<stop].elementsEqual(marker) {
                    stop -= marker.count
                    if stop == lineStart { return }
                }
                fields.append(.init(nameStart: Int32(lineStart), nameEnd: Int32(lineStart), valueStart: Int32(lineStart), valueEnd: Int32(stop)))
            }
            while index < end {
                if raw[index] == 0x0A {
                    emit(index)
                    lineStart = index + 1
                }
                index += 1
            }
            if lineStart < end { emit(end) }
        }
    }

    /// The offset of the first `": "` in a line, or nil.
    static func separator(in raw: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int? {
        guard let base = raw.baseAddress else { return nil }
        var index = start
        while index + 1 < end {
            guard let hit = memchr(base + index, Int32(UInt8(ascii: ":")), end - 1 - index) else { return nil }
            let colon = base.distance(to: UnsafeRawPointer(hit))
            if raw[colon + 1] == UInt8(ascii: " ") { return colon }
            index = colon + 1
        }
        return nil
    }

    static func classify(_ bytes: ByteBuffer, _ fields: [AMIMessage.Field]) -> AMIMessage.Kind {
        guard let field = fields.first else { return .other }
        return bytes.withUnsafeReadableBytes { raw in
            let start = Int(field.nameStart)
            let end = Int(field.nameEnd)
            if equals(raw, start, end, "Event") { return .event }
            if equals(raw, start, end, "Response") { return .response }
            return .other
        }
    }
}
