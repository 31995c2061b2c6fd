import BenchSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The default recorded stream: everything a client with `Events: on` received during three
/// helpline calls (Asterisk 22.10.1), from the repository's test fixtures.
public let defaultCapturePath = "../Tests/Fixtures/captures/ami/three-calls-queue-event-stream-full.txt"

/// ``recordedEvents(capturePath:)``, or exits 66 with a message naming `tool` when the file
/// holds no events.
public func recordedEventsOrExit(capturePath: String, tool: String) -> (bytes: [UInt8], events: Int) {
    guard let recorded = recordedEvents(capturePath: capturePath), recorded.events > 0 else {
        writeLine("\(tool): cannot read events from \(capturePath)", to: 2)
        exit(66)
    }
    return recorded
}

/// The events Asterisk sent in a capture after the login reply and before the client's next
/// action, as raw bytes (`\r\n` line ends), and how many events they hold.
public func recordedEvents(capturePath: String) -> (bytes: [UInt8], events: Int)? {
    guard let file = fopen(capturePath, "r") else { return nil }
    defer { fclose(file) }
    var text: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count <= 0 { break }
        text += chunk[0..<count]
    }
    var out: [UInt8] = []
    var actions = 0
    var inLoginReply = false
    var events = 0
    for line in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
        if line.starts(with: Array("> ".utf8)) {
            if line.starts(with: Array("> \\r\\n".utf8)) {
                actions += 1
                if actions == 1 { inLoginReply = true }
            }
            if actions >= 1 && !line.starts(with: Array("> \\r\\n".utf8)) && actions >= 1 && !out.isEmpty { break }
            continue
        }
        guard actions == 1, line.starts(with: Array("< ".utf8)) else { continue }
        let bytes = unescape(line.dropFirst(2))
        if inLoginReply {
            // Skip the login reply itself (through its blank line).
            if bytes == [0x0D, 0x0A] { inLoginReply = false }
            continue
        }
        if bytes.starts(with: Array("Event: ".utf8)) { events += 1 }
        out += bytes
    }
    return (out, events)
}

func unescape(_ text: ArraySlice<UInt8>) -> [UInt8] {
    var out: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let byte = text[index]
        index += 1
        guard byte == UInt8(ascii: "\\"), index < text.endIndex else { out.append(byte); continue }
        let next = text[index]
        index += 1
        switch next {
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "x"):
            let hex = String(decoding: text[index..<min(index + 2, text.endIndex)], as: UTF8.self)
            out.append(UInt8(hex, radix: 16) ?? 0)
            index += 2
        default: out.append(next)
        }
    }
    return out
}
