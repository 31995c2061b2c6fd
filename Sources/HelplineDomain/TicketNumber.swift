/// A complaint's number: decimal digits ending in a Damm check digit.
///
/// Numbers are spoken by the IVR and keyed back by citizens on a phone keypad, so they are
/// digits only and short: a serial from a counter that never goes back (see ``TicketStore``)
/// followed by one check digit. The Damm algorithm detects every single-digit error and every
/// transposition of adjacent digits, so a mistyped number is told apart from an unknown one
/// without a database lookup.
///
/// ```swift
/// let number = TicketNumber(serial: 100_000)   // "1000002"
/// TicketNumber.parse("1000002")                // .valid(number)
/// TicketNumber.parse("1000020")                // .checkDigitMismatch
/// ```
public struct TicketNumber: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The serial the number was made from.
    public let serial: Int64

    /// The number for `serial` (which must not be negative), its check digit appended.
    public init(serial: Int64) {
        precondition(serial >= 0, "ticket serials are not negative")
        self.serial = serial
    }

    /// The digits as spoken and keyed: the serial followed by its check digit.
    public var description: String { "\(serial)\(Self.checkDigit(of: String(serial).utf8))" }

    /// What a keyed or typed number turned out to be.
    public enum Parsed: Hashable, Sendable {
        /// A well-formed number; it may still be unknown to the database.
        case valid(TicketNumber)
        /// Digits whose check digit does not match: almost certainly a typing error.
        case checkDigitMismatch
        /// Not a ticket number at all: empty, too long, or containing something other than digits.
        case malformed
    }

    /// The most digits a ticket number has (serial plus check digit).
    public static let maximumLength = 18

    /// Reads a number keyed on a phone or typed by an officer.
    public static func parse(_ text: some StringProtocol) -> Parsed {
        let utf8 = text.utf8
        guard utf8.count >= 2, utf8.count <= maximumLength, utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return .malformed
        }
        guard checkDigit(of: utf8) == 0 else { return .checkDigitMismatch }
        guard let serial = Int64(text.dropLast()) else { return .malformed }
        return .valid(TicketNumber(serial: serial))
    }

    /// The Damm check digit of `digits`; appending it makes the interim digit of the whole zero.
    static func checkDigit(of digits: some Sequence<UInt8>) -> Int {
        var interim = 0
        for digit in digits {
            interim = Int(dammTable[interim &* 10 &+ Int(digit &- UInt8(ascii: "0"))])
        }
        return interim
    }

    /// The weakly totally anti-symmetric quasigroup of order 10 from Damm's thesis (2004).
    private static let dammTable: [UInt8] = [
        0, 3, 1, 7, 5, 9, 8, 6, 4, 2,
        7, 0, 9, 2, 1, 5, 4, 8, 6, 3,
        4, 2, 0, 6, 8, 7, 1, 3, 5, 9,
        1, 7, 5, 0, 9, 8, 3, 4, 2, 6,
        6, 1, 2, 3, 0, 4, 5, 9, 7, 8,
        3, 6, 7, 4, 2, 0, 9, 5, 8, 1,
        5, 8, 6, 9, 7, 2, 0, 1, 3, 4,
        8, 9, 4, 5, 3, 6, 2, 0, 1, 7,
        9, 4, 3, 8, 6, 1, 7, 2, 0, 5,
        2, 5, 8, 1, 4, 3, 6, 7, 9, 0,
    ]

    public static func < (lhs: TicketNumber, rhs: TicketNumber) -> Bool { lhs.serial < rhs.serial }
}
