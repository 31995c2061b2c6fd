/// How Asterisk reads an AGI command line into words.
public enum AGICommandLine {
    /// Splits a command line into words the way Asterisk's `parse_args` (res_agi.c) does:
    /// space and tab separate words, `"` toggles quoting (a quote after whitespace starts a
    /// word, so `""` is an empty word), `\\` makes the next byte literal. ``AGICommand``
    /// quotes its arguments so that this reads them back unchanged; tools that play Asterisk's
    /// side (and tests) read commands with it.
    public static func words(_ line: [UInt8]) -> [[UInt8]] {
        var words: [[UInt8]] = []
        var current: [UInt8] = []
        var inWord = false
        var quoted = false
        var escaped = false
        for byte in line {
            if escaped {
                current.append(byte)
                inWord = true
                escaped = false
                continue
            }
            switch byte {
            case UInt8(ascii: "\\"):
                escaped = true
                inWord = true
            case UInt8(ascii: "\""):
                quoted.toggle()
                inWord = true
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                if quoted {
                    current.append(byte)
                } else if inWord {
                    words.append(current)
                    current = []
                    inWord = false
                }
            default:
                current.append(byte)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    /// The same, for text.
    public static func words(_ line: String) -> [String] {
        words(Array(line.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }
}
