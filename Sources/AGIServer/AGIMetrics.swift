import CoreMetrics
import NIOCore

/// The server's metrics, created once per server with their dimensions.
///
/// - `agi_sessions_active` (meter)
/// - `agi_sessions_accepted_total`, `agi_sessions_failed_total` (counters)
/// - `agi_sessions_refused_total{reason=allow_list|limit|unknown_script}`
/// - `agi_command_duration_seconds{command=…}` (timer, from write to final reply)
/// - `agi_replies_total{code=…}`, `agi_reply_timeouts_total`
final class AGIMetrics: Sendable {
    let active: Meter
    let accepted: CoreMetrics.Counter
    let failed: CoreMetrics.Counter
    let refusedAllowList: CoreMetrics.Counter
    let refusedLimit: CoreMetrics.Counter
    let unknownScript: CoreMetrics.Counter
    let replyTimeouts: CoreMetrics.Counter
    private let timers: [String: CoreMetrics.Timer]
    private let otherTimer: CoreMetrics.Timer
    private let replies: [Int: CoreMetrics.Counter]
    private let otherReplies: CoreMetrics.Counter

    static let commandNames = [
        "ANSWER", "HANGUP", "NOOP", "STREAM FILE", "CONTROL STREAM FILE", "GET DATA", "GET OPTION",
        "WAIT FOR DIGIT", "SAY DIGITS", "SAY NUMBER", "SAY ALPHA", "SAY PHONETIC", "SAY DATE", "SAY TIME",
        "SAY DATETIME", "RECORD FILE", "SET VARIABLE", "GET VARIABLE", "GET FULL VARIABLE", "EXEC",
        "CHANNEL STATUS", "SET MUSIC", "SET AUTOHANGUP", "SET CALLERID", "SET CONTEXT", "SET EXTENSION",
        "SET PRIORITY", "VERBOSE", "DATABASE GET", "DATABASE PUT", "DATABASE DEL", "DATABASE DELTREE", "GOSUB",
    ]

    init(factory: any MetricsFactory) {
        active = Meter(label: "agi_sessions_active", factory: factory)
        accepted = Counter(label: "agi_sessions_accepted_total", factory: factory)
        failed = Counter(label: "agi_sessions_failed_total", factory: factory)
        refusedAllowList = Counter(label: "agi_sessions_refused_total", dimensions: [("reason", "allow_list")], factory: factory)
        refusedLimit = Counter(label: "agi_sessions_refused_total", dimensions: [("reason", "limit")], factory: factory)
        unknownScript = Counter(label: "agi_sessions_refused_total", dimensions: [("reason", "unknown_script")], factory: factory)
        replyTimeouts = Counter(label: "agi_reply_timeouts_total", factory: factory)
        var timers: [String: CoreMetrics.Timer] = [:]
        for name in Self.commandNames {
            timers[name] = Timer(label: "agi_command_duration_seconds", dimensions: [("command", name)], factory: factory)
        }
        self.timers = timers
        otherTimer = Timer(label: "agi_command_duration_seconds", dimensions: [("command", "RAW")], factory: factory)
        var replies: [Int: CoreMetrics.Counter] = [:]
        for code in [100, 200, 503, 510, 511, 520] {
            replies[code] = Counter(label: "agi_replies_total", dimensions: [("code", String(code))], factory: factory)
        }
        self.replies = replies
        otherReplies = Counter(label: "agi_replies_total", dimensions: [("code", "other")], factory: factory)
    }

    func recordReply(command: String, code: Int, elapsed: TimeAmount) {
        (timers[command] ?? otherTimer).recordNanoseconds(elapsed.nanoseconds)
        (replies[code] ?? otherReplies).increment()
    }
}
