import Foundation
import GRDB
import Store
@testable import HelplineDomain
import Testing

@Suite struct TimestampTests {
    @Test func matchesGRDBsDateFormatBothWays() throws {
        var generator = SystemRandomNumberGenerator()
        var dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 951_782_400), Date(timeIntervalSince1970: 4_102_444_799.999)]
        for _ in 0..<2000 { dates.append(Date(timeIntervalSince1970: Double(Int64.random(in: 0...9_000_000_000_000, using: &generator)) / 1000)) }
        for date in dates {
            let ours = Timestamp.text(date)
            let grdb = String.fromDatabaseValue(date.databaseValue)
            #expect(ours == grdb, "\(date.timeIntervalSince1970)")
            let back = try #require(Timestamp.date(ours))
            #expect(abs(back.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.001)
            let parsedByGRDB = try #require(Date.fromDatabaseValue(ours.databaseValue))
            #expect(abs(parsedByGRDB.timeIntervalSince1970 - back.timeIntervalSince1970) < 0.000_01)
        }
    }

    @Test(arguments: ["", "2026-11-22", "2026-13-01 00:00:00", "2026-11-22 24:00:00", "2026-11-22T10:00:00x", "2026-11-22 10:00:00.1a", "20x6-11-22 10:00:00", "2026-02-29 10:00:00", "2026-02-31 00:00:00", "2026-04-31 00:00:00", "1900-02-29 00:00:00"])
    func refusesMalformedText(_ text: String) {
        #expect(Timestamp.date(text) == nil)
    }

    @Test(arguments: ["2024-02-29 12:00:00", "2000-02-29 00:00:00.5", "2026-04-30 23:59:59", "2026-12-31 00:00:00"])
    func acceptsTheLastDayOfEachMonth(_ text: String) throws {
        let date = try #require(Timestamp.date(text))
        #expect(Timestamp.text(date).hasPrefix(String(text.prefix(19))))
    }
}
