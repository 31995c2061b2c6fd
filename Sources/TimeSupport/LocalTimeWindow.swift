public import Foundation

/// A daily window of local time, `start..<end` in minutes after midnight, written
/// `HH:MM-HH:MM`: calling hours, a campaign's window, a department's opening hours on a day.
///
/// Local time is the helpline's, a fixed number of seconds east of UTC (India has no daylight
/// saving time; `utc_offset` in the configuration and `policy.utc_offset` in the directory).
///
/// ```swift
/// let window = LocalTimeWindow("09:00-20:00")!
/// window.contains(Date(), utcOffset: 19_800)
/// ```
public struct LocalTimeWindow: Sendable, Hashable, CustomStringConvertible {
    /// The minutes after midnight it covers, `start..<end` (the end at most 1440, midnight at
    /// the end of the day).
    public var minutes: Range<Int>

    /// A window from minutes after midnight.
    public init(start: Int, end: Int) {
        minutes = start..<end
    }

    /// The first minute after midnight.
    public var start: Int { minutes.lowerBound }
    /// The minute after the last.
    public var end: Int { minutes.upperBound }

    /// `HH:MM-HH:MM` (`H:MM` is taken too; spaces around the parts are ignored), from
    /// `00:00` to `24:00`, the start before the end; nil for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = Substring(text).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Self.minute(parts[0]), let end = Self.minute(parts[1]), start < end else { return nil }
        self.init(start: start, end: end)
    }

    /// `HH:MM` or `H:MM` as minutes after midnight, at most 24:00.
    static func minute(_ clock: Substring) -> Int? {
        let fields = clock.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 2, (1...2).contains(fields[0].count), fields[1].count == 2,
              fields.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let hours = Int(fields[0]), let minutes = Int(fields[1]), minutes < 60
        else { return nil }
        let total = hours * 60 + minutes
        return total <= 24 * 60 ? total : nil
    }

    /// Whether `date` falls in the window, local time being `utcOffset` seconds east of UTC.
    public func contains(_ date: Date, utcOffset: Int) -> Bool {
        minutes.contains(Self.local(date, utcOffset: utcOffset).minute)
    }

    /// `HH:MM-HH:MM`.
    public var description: String {
        String(format: "%02d:%02d-%02d:%02d", start / 60, start % 60, end / 60, end % 60)
    }

    /// The local weekday (1 = Monday … 7 = Sunday) and minute after midnight of `date`, local
    /// time being `utcOffset` seconds east of UTC.
    public static func local(_ date: Date, utcOffset: Int) -> (weekday: Int, minute: Int) {
        let local = Int64(date.timeIntervalSince1970.rounded(.down)) + Int64(utcOffset)
        var days = local / 86_400
        var seconds = local % 86_400
        if seconds < 0 {
            seconds += 86_400
            days -= 1
        }
        // 1970-01-01 was a Thursday (weekday 4).
        let weekday = Int(((days % 7) + 7 + 3) % 7) + 1
        return (weekday, Int(seconds / 60))
    }
}
