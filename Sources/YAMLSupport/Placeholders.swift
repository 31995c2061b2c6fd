/// `${name}` placeholders in the texts of the YAML files: menu prompts and `say`/`set` values,
/// the SMS message and the gateways' URLs and bodies, the outbound channel.
///
/// One rule everywhere: a file's loader refuses an unknown name and an unclosed `${` (with
/// ``names(in:)``), and at run time a name without a value becomes empty text, as an unset
/// variable does in Asterisk's dialplan.
///
/// ```swift
/// Placeholders.names(in: "status-${ticket_status}")            // ["ticket_status"]
/// Placeholders.expand("Local/${number}@out") { $0 == "number" ? "9876543210" : nil }
/// // "Local/9876543210@out"
/// ```
public enum Placeholders {
    /// The names of the `${name}` placeholders in `text`, in order, repeats kept; nil when a
    /// `${` is not closed by `}`.
    public static func names(in text: String) -> [String]? {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.firstRange(of: "${") {
            rest = rest[open.upperBound...]
            guard let close = rest.firstIndex(of: "}") else { return nil }
            names.append(String(rest[..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// `text` with each `${name}` replaced by `value(name)`, or by nothing when that is nil. An
    /// unclosed `${` and what follows it stay as written. Scans UTF-8 bytes (this runs for
    /// every prompt the IVR plays; Foundation's `range(of:)` showed in its profile), and
    /// returns `text` itself when it holds no `$`.
    public static func expand(_ text: String, _ value: (String) -> String?) -> String {
        let utf8 = text.utf8
        guard utf8.contains(UInt8(ascii: "$")) else { return text }
        var result = ""
        var copied = utf8.startIndex
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let next = utf8.index(after: index)
            guard utf8[index] == UInt8(ascii: "$"), next != utf8.endIndex, utf8[next] == UInt8(ascii: "{") else {
                index = next
                continue
            }
            let nameStart = utf8.index(after: next)
            guard let close = utf8[nameStart...].firstIndex(of: UInt8(ascii: "}")) else { break }
            result += text[copied..<index]
            result += value(String(text[nameStart..<close])) ?? ""
            index = utf8.index(after: close)
            copied = index
        }
        return result + text[copied...]
    }
}
