public import Foundation

/// One line of app_queue's `queue_log`: Asterisk's own record of every caller in every queue.
///
/// Asterisk writes `EPOCH|CALLID|QUEUE|AGENT|EVENT|DATA…` (`ast_queue_log` in main/logger.c),
/// one line per event, the data fields separated by `|` too. `CALLID` is the caller channel's
/// uniqueid, the same value AMI's queue events carry as `Uniqueid`; lines about the queue or
/// its members rather than a caller (`QUEUESTART`, `ADDMEMBER`, `PAUSE`…) carry `NONE` there.
public struct QueueLogEntry: Sendable, Hashable {
    /// When Asterisk wrote the line (whole seconds).
    public var time: Date
    /// The caller channel's uniqueid, or `NONE`.
    public var callID: String
    /// The queue's name, or `NONE`.
    public var queue: String
    /// The member's name (`MemberName`), or `NONE`.
    public var agent: String
    /// What happened to the caller, for the events about a caller in a queue.
    public var event: QueueLogEvent

    /// Creates an entry.
    public init(time: Date, callID: String, queue: String, agent: String, event: QueueLogEvent) {
        self.time = time
        self.callID = callID
        self.queue = queue
        self.agent = agent
        self.event = event
    }
}

/// What a `queue_log` line says about a caller, with the data fields app_queue writes for it.
public enum QueueLogEvent: Sendable, Hashable {
    /// `ENTERQUEUE|url|callerid|position[|name]`: the caller joined the queue.
    case entered(callerNumber: String?)
    /// `CONNECT|holdtime|member uniqueid|ringtime`: a seat answered after `held` seconds.
    case connected(held: Int)
    /// `COMPLETECALLER`/`COMPLETEAGENT|holdtime|calltime|position`, and the transfers
    /// (`BLINDTRANSFER|exten|context|holdtime|calltime|position`, `ATTENDEDTRANSFER|…|holdtime|calltime|position`):
    /// the call with the seat ended after `talked` seconds.
    case completed(held: Int, talked: Int)
    /// `ABANDON|position|origposition|waittime`: the caller hung up while waiting.
    case abandoned(waited: Int)
    /// `EXITWITHTIMEOUT`, `EXITEMPTY` (`|position|origposition|waittime`) or
    /// `EXITWITHKEY|key|position|origposition|waittime`: the caller left the queue unanswered
    /// and the dialplan went on (to the callback offer, in the shipped dialplan).
    case left(reason: String, waited: Int)
    /// Any other event (`RINGNOANSWER`, `ADDMEMBER`, `PAUSE`, `QUEUESTART`…), by its name.
    case other(String)
}

/// A `queue_log` line that cannot be read, with what is wrong with it.
public struct QueueLogError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why the line was refused.
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension QueueLogEntry {
    /// Reads one line of `queue_log` (without its newline).
    ///
    /// Lines of events the report does not need parse as ``QueueLogEvent/other(_:)``; a line
    /// without the five leading fields, with a time that is not a number, or with a caller
    /// event whose numeric fields are missing or not numbers throws a ``QueueLogError``
    /// naming the field.
    public init(line: Substring) throws(QueueLogError) {
        let fields = line.split(separator: "|", omittingEmptySubsequences: false)
        guard fields.count >= 5 else {
            throw QueueLogError("expected TIME|CALLID|QUEUE|AGENT|EVENT, found \(fields.count) field\(fields.count == 1 ? "" : "s")")
        }
        guard let seconds = Int(fields[0]), seconds >= 0 else {
            throw QueueLogError("the time '\(fields[0].prefix(32))' is not a number of seconds")
        }
        let name = String(fields[4])
        let data = fields.dropFirst(5)
        func number(fromEnd offset: Int, _ what: String) throws(QueueLogError) -> Int {
            guard data.count >= offset, let value = Int(data[data.endIndex - offset]), value >= 0 else {
                throw QueueLogError("\(name) needs \(what) as its \(["last", "second-to-last", "third-to-last"][offset - 1]) field")
            }
            return value
        }
        let event: QueueLogEvent
        switch name {
        case "ENTERQUEUE":
            let caller = data.count >= 2 ? data[data.startIndex + 1] : ""
            event = .entered(callerNumber: caller.isEmpty ? nil : String(caller))
        case "CONNECT":
            guard let held = data.first.flatMap({ Int($0) }), held >= 0 else { throw QueueLogError("CONNECT needs the hold time as its first field") }
            event = .connected(held: held)
        case "COMPLETECALLER", "COMPLETEAGENT", "BLINDTRANSFER", "ATTENDEDTRANSFER":
            event = .completed(held: try number(fromEnd: 3, "the hold time"), talked: try number(fromEnd: 2, "the call time"))
        case "ABANDON":
            event = .abandoned(waited: try number(fromEnd: 1, "the wait time"))
        case "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY":
            event = .left(reason: name, waited: try number(fromEnd: 1, "the wait time"))
        default:
            event = .other(name)
        }
        self.init(time: Date(timeIntervalSince1970: Double(seconds)), callID: String(fields[1]), queue: String(fields[2]), agent: String(fields[3]), event: event)
    }
}

/// Reads `queue_log` from a byte offset, a whole line at a time, so that a follower can go on
/// where it stopped: the lines up to the last newline, and the offset after it.
public struct QueueLogChunk: Sendable {
    /// The entries read, in file order.
    public var entries: [QueueLogEntry] = []
    /// The lines that could not be read: their 1-based line number within the chunk and why.
    public var problems: [(line: Int, problem: QueueLogError)] = []
    /// The byte offset just after the last complete line; a partial last line (Asterisk still
    /// writing it) is left for the next read.
    public var end: UInt64

    /// Splits `bytes`, read at `offset` of the file, into entries.
    public init(bytes: some Collection<UInt8>, at offset: UInt64) {
        end = offset
        var number = 0
        var lineStart = bytes.startIndex
        var index = bytes.startIndex
        while index != bytes.endIndex {
            if bytes[index] == UInt8(ascii: "\n") {
                number += 1
                var text = String(decoding: bytes[lineStart..<index], as: UTF8.self)[...]
                if text.last == "\r" { text = text.dropLast() }
                if !text.isEmpty {
                    do throws(QueueLogError) {
                        entries.append(try QueueLogEntry(line: text))
                    } catch {
                        problems.append((number, error))
                    }
                }
                end = offset + UInt64(bytes.distance(from: bytes.startIndex, to: index)) + 1
                lineStart = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
    }
}
