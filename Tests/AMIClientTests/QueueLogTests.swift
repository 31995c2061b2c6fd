import AMIClient
import AsteriskFakes
import Foundation
import Testing

/// app_queue's queue_log, as Asterisk 22.10.1 wrote it on a scratch PBX (the fixture).
@Suite struct QueueLogTests {
    static func fixture() throws -> [UInt8] {
        Array(try Data(contentsOf: Capture.directory.appendingPathComponent("queue_log/asterisk-22-lab.queue_log")))
    }

    @Test func everyLineOfTheCapturedQueueLogIsRead() throws {
        let bytes = try Self.fixture()
        let chunk = QueueLogChunk(bytes: bytes, at: 0)
        #expect(chunk.problems.isEmpty, "\(chunk.problems)")
        // Independently: one entry per newline-ended line, the whole file consumed.
        #expect(chunk.entries.count == bytes.filter { $0 == UInt8(ascii: "\n") }.count)
        #expect(chunk.end == UInt64(bytes.count))

        let text = String(decoding: bytes, as: UTF8.self)
        for (line, entry) in zip(text.split(separator: "\n"), chunk.entries) {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
            #expect(entry.time == Date(timeIntervalSince1970: Double(fields[0])!))
            #expect([entry.callID, entry.queue, entry.agent] == fields[1...3].map(String.init))
            switch fields[4] {
            case "ENTERQUEUE":
                #expect(entry.event == .entered(callerNumber: fields[6].isEmpty ? nil : String(fields[6])))
            case "CONNECT":
                #expect(entry.event == .connected(held: Int(fields[5])!))
            case "COMPLETEAGENT", "COMPLETECALLER":
                #expect(entry.event == .completed(held: Int(fields[5])!, talked: Int(fields[6])!))
            case "ABANDON":
                #expect(entry.event == .abandoned(waited: Int(fields[7])!))
            case "EXITEMPTY":
                #expect(entry.event == .left(reason: "EXITEMPTY", waited: Int(fields[7])!))
            default:
                #expect(entry.event == .other(String(fields[4])))
            }
        }
        // The capture has each kind the report needs.
        let kinds = Set(chunk.entries.map { "\($0.event)".prefix { $0 != "(" } })
        #expect(kinds.isSuperset(of: ["entered", "connected", "completed", "abandoned", "left", "other"]), "\(kinds)")
    }

    /// The transfers put the times last, after data that may itself hold '|'
    /// (ATTENDEDTRANSFER's `BRIDGE|id`, app_queue.c), and EXITWITHKEY puts the key first.
    @Test func theTimesAreReadFromTheEndOfTransfersAndExits() throws {
        let attended = try QueueLogEntry(line: "1796425100|1796425090.5|water-l1|Seat 1001|ATTENDEDTRANSFER|BRIDGE|6c1d2f|12|95|1")
        #expect(attended.event == .completed(held: 12, talked: 95))
        let blind = try QueueLogEntry(line: "1796425100|1796425090.5|water-l1|Seat 1001|BLINDTRANSFER|2003|staff|4|30|2")
        #expect(blind.event == .completed(held: 4, talked: 30))
        let key = try QueueLogEntry(line: "1796425100|1796425090.5|water-l1|NONE|EXITWITHKEY|1|2|2|40")
        #expect(key.event == .left(reason: "EXITWITHKEY", waited: 40))
        let timeout = try QueueLogEntry(line: "1796425100|1796425090.5|water-l1|NONE|EXITWITHTIMEOUT|1|1|300")
        #expect(timeout.event == .left(reason: "EXITWITHTIMEOUT", waited: 300))
        let withName = try QueueLogEntry(line: "1796425100|1796425090.5|water-l1|NONE|ENTERQUEUE||9876500001|1|Asha Devi")
        #expect(withName.event == .entered(callerNumber: "9876500001"))
    }

    @Test(arguments: [
        ("", "found 1 field"),
        ("1796425100|x|q|NONE", "found 4 fields"),
        ("yesterday|1.1|q|NONE|ENTERQUEUE||5|1", "the time 'yesterday' is not a number"),
        ("1796425100|1.1|q|NONE|CONNECT||1.2|0", "CONNECT needs the hold time"),
        ("1796425100|1.1|q|NONE|ABANDON|1|1|", "ABANDON needs the wait time as its last field"),
        ("1796425100|1.1|q|NONE|COMPLETECALLER|5|1", "COMPLETECALLER needs the hold time as its third-to-last field"),
    ])
    func aBrokenLineSaysWhatIsWrong(line: String, message: String) {
        #expect(throws: QueueLogError.self) { try QueueLogEntry(line: line[...]) }
        do {
            _ = try QueueLogEntry(line: line[...])
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    /// A follower reads whole lines only: Asterisk may be writing the last one.
    @Test func aPartialLastLineWaitsAndTheOffsetsAdd() throws {
        let bytes = try Self.fixture()
        let cut = bytes.count - 10
        let first = QueueLogChunk(bytes: bytes[..<cut], at: 0)
        let lastNewline = bytes[..<cut].lastIndex(of: UInt8(ascii: "\n"))!
        #expect(first.end == UInt64(lastNewline + 1))
        let second = QueueLogChunk(bytes: bytes[Int(first.end)...], at: first.end)
        #expect(second.end == UInt64(bytes.count))
        #expect(first.entries + second.entries == QueueLogChunk(bytes: bytes, at: 0).entries)
        #expect(second.entries.count == 1)

        // A broken line is reported with its line number, and the lines after it are still read.
        let mixed = Array("1796425100|1.1|q|NONE|ENTERQUEUE||5|1\r\ngarbage\n1796425101|1.1|q|NONE|ABANDON|1|1|1\n".utf8)
        let read = QueueLogChunk(bytes: mixed, at: 100)
        #expect(read.entries.map(\.event) == [.entered(callerNumber: "5"), .abandoned(waited: 1)])
        #expect(read.problems.map(\.line) == [2])
        #expect(read.end == 100 + UInt64(mixed.count))
    }
}
