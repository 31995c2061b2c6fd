import NIOCore

/// The environment block Asterisk sends at the start of every FastAGI session.
///
/// Every `key: value` line is kept in the order it arrived, unknown keys included, and values
/// are kept as the raw bytes Asterisk sent (caller names may be UTF-8 or any other bytes).
/// Values are decoded to `String` only when asked for, so a session that reads three keys
/// pays for three.
///
/// ```swift
/// let env = session.environment
/// env.scriptPath      // "/inbound" for AGI(agi://helpline/inbound?lang=hi,1076)
/// env.query("lang")   // "hi"
/// env.arguments       // ["1076"]
/// env.uniqueID        // "1732262400.42"
/// ```
public struct AGIEnvironment: Sendable {
    /// Where one field's key and value sit in `storage` (32-bit offsets: an environment block
    /// is a few hundred bytes, and an idle session should cost little memory).
    struct Entry: Sendable {
        var keyStart: UInt32
        var keyLength: UInt32
        var valueStart: UInt32
        var valueLength: UInt32
    }

    var storage: ByteBuffer
    var entries: [Entry]

    /// An empty environment.
    public init() {
        storage = ByteBuffer()
        entries = []
    }

    /// Builds an environment from key/value pairs, in order (for tests and simulated calls).
    public init(_ pairs: KeyValuePairs<String, String>) {
        self.init()
        for (key, value) in pairs { append(key: key, value: value) }
    }

    /// Appends one field.
    public mutating func append(key: String, value: String) {
        let keyStart = storage.writerIndex
        let keyLength = storage.writeString(key)
        let valueStart = storage.writerIndex
        let valueLength = storage.writeString(value)
        entries.append(Entry(keyStart: UInt32(keyStart), keyLength: UInt32(keyLength), valueStart: UInt32(valueStart), valueLength: UInt32(valueLength)))
    }

    /// Appends one field from raw bytes: `key` and `value` are read from the readable bytes.
    mutating func append(line: ByteBuffer, keyLength: Int, valueOffset: Int) {
        var line = line
        if entries.isEmpty {
            // Asterisk sends about 25 fields and 700 bytes.
            entries.reserveCapacity(28)
            storage.reserveCapacity(768)
        }
        let base = storage.writerIndex
        storage.writeBuffer(&line)
        let total = storage.writerIndex - base
        entries.append(
            Entry(keyStart: UInt32(base), keyLength: UInt32(keyLength), valueStart: UInt32(base + valueOffset), valueLength: UInt32(total - valueOffset)))
    }

    /// The number of fields.
    public var count: Int { entries.count }

    /// All fields in the order Asterisk sent them.
    public var fields: [(key: String, value: String)] {
        entries.map { (string(at: $0.keyStart, length: $0.keyLength), string(at: $0.valueStart, length: $0.valueLength)) }
    }

    /// The value of the first field named `key`, decoded as UTF-8 (invalid bytes repaired).
    public subscript(key: String) -> String? {
        guard let entry = find(key) else { return nil }
        return string(at: entry.valueStart, length: entry.valueLength)
    }

    /// The exact bytes of the first field named `key`.
    public func rawValue(_ key: String) -> [UInt8]? {
        guard let entry = find(key) else { return nil }
        return storage.getBytes(at: Int(entry.valueStart), length: Int(entry.valueLength))
    }

    /// `agi_network_script`: the URL path after the host, with its query (`inbound?lang=hi`);
    /// empty when the dialplan gave no path.
    public var script: String { self["agi_network_script"] ?? "" }

    /// The script's path with a leading `/` and without the query: the key handlers are routed by.
    public var scriptPath: String {
        let script = self.script
        let path = script.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return path.hasPrefix("/") ? path : "/" + path
    }

    /// The script's query parameters, percent-decoded, in order (`?dept=health&lang=en`).
    public var queryItems: [(name: String, value: String)] {
        let script = self.script
        guard let mark = script.firstIndex(of: "?") else { return [] }
        return script[script.index(after: mark)...].split(separator: "&").map { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecoded(parts[0])
            let value = parts.count > 1 ? percentDecoded(parts[1]) : ""
            return (name, value)
        }
    }

    /// The first query parameter called `name`.
    public func query(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// The dialplan arguments after the URL (`agi_arg_1` … `agi_arg_N`) in order; may be empty strings.
    public var arguments: [String] {
        var numbered: [(Int, String)] = []
        let prefix = Array("agi_arg_".utf8)
        for entry in entries where entry.keyLength > prefix.count {
            let matches = storage.withUnsafeReadableBytes { raw -> Bool in
                let start = Int(entry.keyStart) - storage.readerIndex
                return raw[start..<(start + prefix.count)].elementsEqual(prefix)
            }
            guard matches else { continue }
            let digits = string(at: entry.keyStart + UInt32(prefix.count), length: entry.keyLength - UInt32(prefix.count))
            guard let n = Int(digits) else { continue }
            numbered.append((n, string(at: entry.valueStart, length: entry.valueLength)))
        }
        return numbered.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// `agi_uniqueid`: the channel's unique ID, the key for everything stored about the call.
    public var uniqueID: String { self["agi_uniqueid"] ?? "" }
    /// `agi_channel`: the channel name (`DAHDI/1-1`, `PJSIP/seat-0001-00000002`).
    public var channel: String { self["agi_channel"] ?? "" }
    /// `agi_language`: the channel's language (`en`, `hi`, `vi`).
    public var language: String { self["agi_language"] ?? "" }
    /// `agi_callerid`, or `nil` when Asterisk reports `unknown`.
    public var callerID: String? { known(self["agi_callerid"]) }
    /// `agi_calleridname`, or `nil` when Asterisk reports `unknown`.
    public var callerIDName: String? { known(self["agi_calleridname"]) }
    /// `agi_dnid`: the number dialled, or `nil` when Asterisk reports `unknown`.
    public var dnid: String? { known(self["agi_dnid"]) }
    /// `agi_context`: the dialplan context running `AGI()`.
    public var context: String { self["agi_context"] ?? "" }
    /// `agi_extension`: the dialplan extension running `AGI()`.
    public var `extension`: String { self["agi_extension"] ?? "" }
    /// `agi_request`: the full URL as written in the dialplan.
    public var request: String { self["agi_request"] ?? "" }

    private func known(_ value: String?) -> String? {
        guard let value, value != "unknown", !value.isEmpty else { return nil }
        return value
    }

    private func find(_ key: String) -> Entry? {
        var key = key
        return key.withUTF8 { wanted in
            storage.withUnsafeReadableBytes { raw in
                for entry in entries where entry.keyLength == wanted.count {
                    let start = Int(entry.keyStart) - storage.readerIndex
                    if memEqual(raw, start, wanted) { return entry }
                }
                return nil
            }
        }
    }

    private func string(at index: UInt32, length: UInt32) -> String {
        storage.getString(at: Int(index), length: Int(length)) ?? ""
    }
}

@inline(__always)
private func memEqual(_ raw: UnsafeRawBufferPointer, _ start: Int, _ wanted: UnsafeBufferPointer<UInt8>) -> Bool {
    for i in 0..<wanted.count where raw[start + i] != wanted[i] { return false }
    return true
}

private func percentDecoded(_ text: Substring) -> String {
    guard text.contains("%") || text.contains("+") else { return String(text) }
    var bytes: [UInt8] = []
    var utf8 = text.utf8[...]
    while let byte = utf8.popFirst() {
        if byte == UInt8(ascii: "+") {
            bytes.append(UInt8(ascii: " "))
        } else if byte == UInt8(ascii: "%"), utf8.count >= 2,
            let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
        {
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        } else {
            bytes.append(byte)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}
