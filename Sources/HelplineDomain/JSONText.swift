package import Foundation

/// JSON text written by hand for the rows a call writes (routing inputs and reasons, a call's
/// menu path): `JSONEncoder` cost more than the rest of a registration's database work (see
/// BENCHMARKS.md, section 6).
///
/// The output is what `JSONEncoder` with `.sortedKeys` and the `.iso8601` date strategy writes,
/// byte for byte, so rows read the same whichever wrote them; callers write keys in sorted order.
/// Tests compare the two.
package struct JSONText: Sendable {
    /// The text so far.
    package private(set) var text = ""
    private var needsComma = false

    /// An empty writer.
    package init() {
        text.reserveCapacity(256)
    }

    /// A JSON array of strings.
    package static func array(_ strings: some Sequence<String>) -> String {
        var json = JSONText()
        json.beginArray()
        for string in strings { json.string(string) }
        json.endArray()
        return json.text
    }

    /// `{`, as a value.
    package mutating func beginObject() { open("{") }

    /// `}`.
    package mutating func endObject() { close("}") }

    /// `[`, as a value.
    package mutating func beginArray() { open("[") }

    /// `]`.
    package mutating func endArray() { close("]") }

    private mutating func open(_ bracket: String) {
        separate()
        text += bracket
        needsComma = false
    }

    private mutating func close(_ bracket: String) {
        text += bracket
        needsComma = true
    }

    /// A key; its value follows.
    package mutating func key(_ name: String) {
        string(name)
        text += ":"
        needsComma = false
    }

    /// A string value, escaped the way `JSONEncoder` escapes (including `/`).
    package mutating func string(_ value: String) {
        separate()
        text += "\""
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "/") }) {
            // The common case: nothing to escape.
            text += value
            text += "\""
            return
        }
        var start = value.utf8.startIndex
        let utf8 = value.utf8
        var index = start
        while index != utf8.endIndex {
            let byte = utf8[index]
            let escape: String? =
                switch byte {
                case UInt8(ascii: "\""): "\\\""
                case UInt8(ascii: "\\"): "\\\\"
                case UInt8(ascii: "/"): "\\/"
                case 0x08: "\\b"
                case 0x0C: "\\f"
                case UInt8(ascii: "\n"): "\\n"
                case UInt8(ascii: "\r"): "\\r"
                case UInt8(ascii: "\t"): "\\t"
                case ..<0x20: "\\u00" + String(byte >> 4, radix: 16) + String(byte & 15, radix: 16)
                default: nil
                }
            if let escape {
                text += value[start..<index]
                text += escape
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        text += value[start..<utf8.endIndex]
        text += "\""
    }

    /// An integer value.
    package mutating func number(_ value: Int) {
        separate()
        text += String(value)
    }

    /// A floating-point value as `JSONEncoder` writes it: whole numbers without a fraction,
    /// others in the shortest form that reads back exactly; `null` for NaN and infinities
    /// (which `JSONEncoder` refuses).
    package mutating func number(_ value: Double) {
        separate()
        if !value.isFinite {
            text += "null"
        } else if value == value.rounded(), abs(value) < 1e15 {
            text += String(Int64(value))
        } else {
            text += String(describing: value)
        }
    }

    /// `true` or `false`.
    package mutating func bool(_ value: Bool) {
        separate()
        text += value ? "true" : "false"
    }

    /// A date as `JSONEncoder`'s `.iso8601` strategy writes it: UTC, whole seconds,
    /// `2026-11-22T10:15:00Z`.
    package mutating func date(_ value: Date) {
        string(Timestamp.iso8601(value))
    }

    /// `"name":value`, the value written as its type is (a string, a number, `true` or
    /// `false`, a date); left out when `value` is nil, as `JSONEncoder` leaves it out.
    package mutating func field(_ name: String, _ value: (some JSONTextValue)?) {
        guard let value else { return }
        key(name)
        value.write(to: &self)
    }

    private mutating func separate() {
        if needsComma { text += "," }
        needsComma = true
    }
}

/// A value ``JSONText`` writes as it is: a string, a number, a boolean or a date.
package protocol JSONTextValue {
    /// Writes the value as the next JSON value of `json`.
    func write(to json: inout JSONText)
}

extension String: JSONTextValue {
    package func write(to json: inout JSONText) { json.string(self) }
}

extension Int: JSONTextValue {
    package func write(to json: inout JSONText) { json.number(self) }
}

extension Double: JSONTextValue {
    package func write(to json: inout JSONText) { json.number(self) }
}

extension Bool: JSONTextValue {
    package func write(to json: inout JSONText) { json.bool(self) }
}

extension Date: JSONTextValue {
    package func write(to json: inout JSONText) { json.date(self) }
}
