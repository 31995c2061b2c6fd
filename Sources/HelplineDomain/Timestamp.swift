package import Foundation

/// Times as the database stores them: UTC text `YYYY-MM-DD HH:MM:SS.SSS`, the format GRDB
/// and SQLite's date functions read, converted without Foundation's formatters (they cost
/// more than the rest of a ticket write together; see BENCHMARKS.md).
package enum Timestamp {
    /// The text for `date`, rounded to the millisecond.
    package static func text(_ date: Date) -> String {
        format(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded()), iso8601: false)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, the fraction of a second dropped: what `JSONEncoder`'s
    /// `.iso8601` date strategy writes.
    package static func iso8601(_ date: Date) -> String {
        format(milliseconds: Int64(date.timeIntervalSince1970.rounded(.down)) * 1000, iso8601: true)
    }

    private static func format(milliseconds: Int64, iso8601: Bool) -> String {
        var days = milliseconds / 86_400_000
        var rest = milliseconds % 86_400_000
        if rest < 0 {
            rest += 86_400_000
            days -= 1
        }
        let (year, month, day) = civil(days: days)
        var bytes = [UInt8](repeating: 0, count: iso8601 ? 20 : 23)
        func put(_ value: Int64, _ at: Int, _ width: Int) {
            var value = value
            for index in stride(from: at + width - 1, through: at, by: -1) {
                bytes[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(year, 0, 4)
        bytes[4] = UInt8(ascii: "-")
        put(month, 5, 2)
        bytes[7] = UInt8(ascii: "-")
        put(day, 8, 2)
        bytes[10] = UInt8(ascii: iso8601 ? "T" : " ")
        put(rest / 3_600_000, 11, 2)
        bytes[13] = UInt8(ascii: ":")
        put(rest / 60_000 % 60, 14, 2)
        bytes[16] = UInt8(ascii: ":")
        put(rest / 1000 % 60, 17, 2)
        if iso8601 {
            bytes[19] = UInt8(ascii: "Z")
        } else {
            bytes[19] = UInt8(ascii: ".")
            put(rest % 1000, 20, 3)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The date in `text` (`YYYY-MM-DD HH:MM:SS` with optional `.S…` fraction), nil if malformed.
    package static func date(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { bytes -> Date? in
            guard bytes.count >= 19 else { return nil }
            func number(_ at: Int, _ width: Int) -> Int64? {
                var value: Int64 = 0
                for index in at..<(at + width) {
                    let digit = bytes[index] &- UInt8(ascii: "0")
                    guard digit < 10 else { return nil }
                    value = value * 10 + Int64(digit)
                }
                return value
            }
            guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
                  bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "T"),
                  bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
            else { return nil }
            guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
                  let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
                  (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61,
                  day <= Self.daysIn(month: month, year: year)
            else { return nil }
            var fraction = 0.0
            if bytes.count > 19 {
                guard bytes.count > 20, bytes[19] == UInt8(ascii: ".") else { return nil }
                var scale = 0.1
                for index in 20..<bytes.count {
                    let digit = bytes[index] &- UInt8(ascii: "0")
                    guard digit < 10 else { return nil }
                    fraction += Double(digit) * scale
                    scale /= 10
                }
            }
            let days = Self.days(year: year, month: month, day: day)
            let seconds = days * 86_400 + hour * 3600 + minute * 60 + second
            return Date(timeIntervalSince1970: Double(seconds) + fraction)
        }
    }

    /// The days of `month` in `year` (proleptic Gregorian): 2026-02-31 is no date.
    package static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    package static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (civil_from_days).
    package static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
