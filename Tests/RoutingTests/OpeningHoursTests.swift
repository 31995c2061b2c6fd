import Foundation
import Routing
import Testing

/// A closed department's next opening: when a callback promised "during office hours" is due.
@Suite struct OpeningHoursTests {
    /// Mondays to Fridays 09:30–18:00, Saturdays 09:30–13:30 (the sample's roads department).
    static let roads = OpeningHours(days: [1: [570..<1080], 2: [570..<1080], 3: [570..<1080], 4: [570..<1080], 5: [570..<1080], 6: [570..<810]])
    static let ist = 19_800

    /// A local time in IST as an instant: 2026-11-23 was a Monday.
    static func ist(day: Int, _ hour: Int, _ minute: Int) -> Date {
        // 2026-11-23 00:00 IST is 2026-11-22 18:30 UTC.
        let seconds: Int = (day - 23) * 86_400 + hour * 3600 + minute * 60
        return Date(timeIntervalSince1970: 1_795_372_200 + Double(seconds))
    }

    @Test func theNextOpeningIsLaterTodayTomorrowOrAfterTheWeekend() {
        #expect(Self.roads.isOpen(at: Self.ist(day: 23, 10, 0), utcOffset: Self.ist), "Monday 10:00 is open")
        #expect(Self.roads.nextOpening(after: Self.ist(day: 23, 10, 0), utcOffset: Self.ist) == Self.ist(day: 23, 10, 0), "open now: now")
        #expect(Self.roads.nextOpening(after: Self.ist(day: 23, 7, 15), utcOffset: Self.ist) == Self.ist(day: 23, 9, 30), "before opening: today")
        #expect(Self.roads.nextOpening(after: Self.ist(day: 23, 19, 5), utcOffset: Self.ist) == Self.ist(day: 24, 9, 30), "after closing: tomorrow")
        #expect(Self.roads.nextOpening(after: Self.ist(day: 28, 14, 0), utcOffset: Self.ist) == Self.ist(day: 30, 9, 30), "Saturday afternoon: Monday")
        #expect(Self.roads.nextOpening(after: Self.ist(day: 29, 23, 59), utcOffset: Self.ist) == Self.ist(day: 30, 9, 30), "Sunday night: Monday")
        #expect(OpeningHours(days: [:]).nextOpening(after: Self.ist(day: 23, 10, 0), utcOffset: Self.ist) == nil, "never open")
    }
}
