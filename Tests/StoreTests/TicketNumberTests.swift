import Store
import HelplineDomain
import Testing

@Suite struct TicketNumberTests {
    /// Serials around the edges of each length and a spread in between.
    static let serials: [Int64] = {
        var serials: [Int64] = [0, 1, 9, 10, 99, 100_000, 100_001, 999_999, 1_000_000, 123_456_789, 999_999_999_999]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 { serials.append(Int64.random(in: 100_000...99_999_999, using: &generator)) }
        return serials
    }()

    @Test func aNumberParsesBackToItsSerial() {
        for serial in Self.serials {
            let number = TicketNumber(serial: serial)
            #expect(TicketNumber.parse(number.description) == .valid(number))
            #expect(number.description.count == String(serial).count + 1)
        }
    }

    @Test func knownCheckDigits() {
        // Damm's worked example: 572 gets check digit 4.
        #expect(TicketNumber(serial: 572).description == "5724")
        #expect(TicketNumber(serial: 100_000).description == "1000002")
    }

    @Test func everySingleDigitErrorIsDetected() {
        for serial in Self.serials {
            let digits = Array(TicketNumber(serial: serial).description.utf8)
            for position in digits.indices {
                for replacement in UInt8(ascii: "0")...UInt8(ascii: "9") where replacement != digits[position] {
                    var typed = digits
                    typed[position] = replacement
                    let text = String(decoding: typed, as: UTF8.self)
                    #expect(TicketNumber.parse(text) == .checkDigitMismatch, "\(text) from \(String(decoding: digits, as: UTF8.self))")
                }
            }
        }
    }

    @Test func everyAdjacentTranspositionIsDetected() {
        for serial in Self.serials {
            let digits = Array(TicketNumber(serial: serial).description.utf8)
            for position in digits.indices.dropLast() where digits[position] != digits[position + 1] {
                var typed = digits
                typed.swapAt(position, position + 1)
                let text = String(decoding: typed, as: UTF8.self)
                #expect(TicketNumber.parse(text) == .checkDigitMismatch, "\(text) from \(String(decoding: digits, as: UTF8.self))")
            }
        }
    }

    @Test(arguments: ["", "7", "12a4", " 1000002", "1000002#", "١٠٠٠٠٠٢", "1234567890123456789"])
    func malformedInputIsNotANumber(_ text: String) {
        #expect(TicketNumber.parse(text) == .malformed)
    }
}
