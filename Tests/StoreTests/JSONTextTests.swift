import Foundation
@testable import Store
import HelplineDomain
import Testing

/// The hand-written JSON must read exactly as `JSONEncoder`'s (rows written by either are the same).
@Suite struct JSONTextTests {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static func encoded(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func stringArraysMatchJSONEncoderByteForByte() throws {
        let awkward = [
            "", "plain", "quote \" and backslash \\", "slash / path/to/file.wav", "tab\tnew\nline\rcr",
            "\u{0}\u{1}\u{8}\u{b}\u{c}\u{1f}", "हिन्दी", "Tổng đài 1022", "emoji 📞", "\u{7f}", "menu:node/option",
        ]
        #expect(JSONText.array(awkward) == (try Self.encoded(awkward)))
        #expect(JSONText.array([String]()) == "[]")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let strings = (0..<Int.random(in: 0...4, using: &generator)).map { _ in
                String((0..<Int.random(in: 0...12, using: &generator)).map { _ in Character(Unicode.Scalar(UInt8.random(in: 0...127, using: &generator))) })
            }
            #expect(JSONText.array(strings) == (try Self.encoded(strings)), "\(strings)")
        }
    }

    @Test func numbersBooleansAndDatesMatchJSONEncoder() throws {
        struct Figures: Encodable {
            var a: Double
            var b: Int
            var c: Bool
            var d: Date
        }
        var generator = SystemRandomNumberGenerator()
        var doubles: [Double] = [0, 1, -1, 0.5, 12.25, 1.0 / 3.0, 2.2, 99.99, 123_456.789, 1e-3, 86_400, 3_600.5]
        for _ in 0..<300 { doubles.append(Double(Int.random(in: 0...10_000_000, using: &generator)) / Double([1, 10, 100, 1000, 7].randomElement(using: &generator)!)) }
        for (index, value) in doubles.enumerated() {
            let date = Date(timeIntervalSince1970: Double(Int64.random(in: 0...4_102_444_799_999, using: &generator)) / 1000)
            let figures = Figures(a: value, b: Int.random(in: -1_000_000...1_000_000, using: &generator), c: index % 2 == 0, d: date)
            var json = JSONText()
            json.beginObject()
            json.field("a", figures.a)
            json.field("b", figures.b)
            json.field("c", figures.c)
            json.field("d", figures.d)
            json.endObject()
            #expect(json.text == (try Self.encoded(figures)), "\(value) \(date.timeIntervalSince1970)")
        }
    }

    @Test func nonFiniteNumbersAreNullWhereJSONEncoderWouldFail() {
        var json = JSONText()
        json.beginArray()
        json.number(Double.nan)
        json.number(Double.infinity)
        json.endArray()
        #expect(json.text == "[null,null]")
    }
}
