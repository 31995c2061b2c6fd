import Foundation
import Hummingbird
import NIOCore

/// A header name (`HTTPField.Name`; Hummingbird exports the collection, not the field type).
typealias HeaderName = HTTPFields.Element.Name

/// A piece of HTML whose interpolated strings are escaped.
///
/// Every value from outside the code (a ticket's description, a department's name, a query
/// parameter) goes in as a `String` and comes out escaped; only other `HTML` values (the
/// pages' own markup) go in as they are. There is no way to interpolate text unescaped but to
/// wrap it in ``HTML/init(raw:)``, which only literals of this module use.
///
/// ```swift
/// let row: HTML = "<td>\(ticket.descriptionText ?? "")</td>"  // <script> becomes &lt;script&gt;
/// ```
struct HTML: ExpressibleByStringInterpolation, Sendable, Hashable, CustomStringConvertible {
    /// The markup.
    private(set) var text: String

    /// Markup taken as it is: for the module's own constant markup only.
    init(raw text: String) {
        self.text = text
    }

    init(stringLiteral value: String) {
        text = value
    }

    init(stringInterpolation: StringInterpolation) {
        text = stringInterpolation.text
    }

    var description: String { text }

    /// Nothing.
    static let empty = HTML(raw: "")

    /// Pieces one after the other.
    init(joining pieces: some Sequence<HTML>) {
        text = pieces.map(\.text).joined()
    }

    struct StringInterpolation: StringInterpolationProtocol {
        fileprivate(set) var text = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + interpolationCount * 16)
        }

        mutating func appendLiteral(_ literal: String) {
            text += literal
        }

        /// Text, escaped.
        mutating func appendInterpolation(_ value: String) {
            text += HTML.escape(value)
        }

        /// A number.
        mutating func appendInterpolation(_ value: Int) {
            text += String(value)
        }

        /// Markup, as it is.
        mutating func appendInterpolation(_ html: HTML) {
            text += html.text
        }

        /// Pieces of markup, one after the other.
        mutating func appendInterpolation(_ pieces: [HTML]) {
            for piece in pieces { text += piece.text }
        }
    }

    /// `&`, `<`, `>`, `"` and `'` as character references: safe in text and in quoted attributes.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// A table that scrolls sideways on a narrow screen: `<div class="scroll"><table id="…">`
    /// with `header` (the head row's cells) in its `<thead>` and `rows` (whole `<tr>`s) in its
    /// `<tbody>`, one part a line.
    static func table(id: String, header: HTML, rows: [HTML]) -> HTML {
        """
        <div class="scroll"><table id="\(id)">
        <thead><tr>\(header)</tr></thead>
        <tbody>\(rows)</tbody>
        </table></div>
        """
    }

    /// A query-string value, percent-encoded (then escaped like any text when interpolated).
    static func queryValue(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// The response: `text/html` in UTF-8, never cached (pages show live figures and personal data).
    func response(status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: PageLayout.contentSecurityPolicy, HeaderName("X-Frame-Options")!: "DENY",
                HeaderName("X-Content-Type-Options")!: "nosniff", HeaderName("Referrer-Policy")!: "same-origin",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
