public import Foundation
import GRDB

/// One contact of an outbound campaign, as imported.
public struct CampaignContact: Sendable, Hashable {
    /// The number to call, as digits (a leading `+` kept).
    public var phone: String
    /// The citizen's name.
    public var name: String?
    /// The district code.
    public var district: String?
    /// The language code (`hi`, `en`, `vi` …).
    public var language: String?
    /// Any other columns of the row, by column name.
    public var fields: [String: String]

    /// A contact.
    public init(phone: String, name: String? = nil, district: String? = nil, language: String? = nil, fields: [String: String] = [:]) {
        self.phone = phone
        self.name = name
        self.district = district
        self.language = language
        self.fields = fields
    }
}

/// A row of a contact list that was kept out, with its line (1-based, the header is line 1).
public struct ContactListProblem: Sendable, Hashable, CustomStringConvertible {
    /// The line in the file.
    public var line: Int
    /// What is wrong.
    public var message: String

    /// A problem.
    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}

/// Contact lists in CSV (RFC 4180: commas, double-quoted fields with `""` for a quote, CRLF or
/// LF line ends), with a header row naming the columns: `phone` is required; `name`,
/// `district` and `language` are read as such; every other column is kept as a free field
/// (the campaign's menu can say it). Bad rows are reported with their line and kept out.
public enum ContactList {
    /// The contacts of `text`, and the rows kept out.
    public static func parse(_ text: String) -> (contacts: [CampaignContact], problems: [ContactListProblem]) {
        let records = records(text)
        guard let (headerLine, header) = records.first else {
            return ([], [ContactListProblem(line: 1, message: "the file is empty; the first line names the columns, one of them phone")])
        }
        let columns = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let phoneColumn = columns.firstIndex(of: "phone") else {
            return ([], [ContactListProblem(line: headerLine, message: "the first line names the columns and must have one called phone (it has: \(columns.joined(separator: ", ")))")])
        }
        if let duplicate = Dictionary(grouping: columns, by: { $0 }).first(where: { $0.value.count > 1 && !$0.key.isEmpty })?.key {
            return ([], [ContactListProblem(line: headerLine, message: "the column '\(duplicate)' is named twice")])
        }
        var contacts: [CampaignContact] = []
        var problems: [ContactListProblem] = []
        var seen: [String: Int] = [:]
        for (line, fields) in records.dropFirst() {
            if fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }  // a blank line
            guard fields.count == columns.count else {
                problems.append(ContactListProblem(line: line, message: "\(fields.count) fields where the header has \(columns.count) columns"))
                continue
            }
            let raw = fields[phoneColumn].trimmingCharacters(in: .whitespaces)
            let phone = (raw.hasPrefix("+") ? "+" : "") + raw.filter(\.isNumber)
            let digits = phone.filter(\.isNumber).count
            guard raw.allSatisfy({ $0.isNumber || " +-().".contains($0) }), (7...15).contains(digits) else {
                problems.append(ContactListProblem(line: line, message: "'\(raw)' is not a phone number (7 to 15 digits)"))
                continue
            }
            if let first = seen[phone] {
                problems.append(ContactListProblem(line: line, message: "\(phone) is already on line \(first)"))
                continue
            }
            var contact = CampaignContact(phone: phone)
            var rowProblem: String?
            for (index, column) in columns.enumerated() where index != phoneColumn && !column.isEmpty {
                let value = fields[index].trimmingCharacters(in: .whitespaces)
                if value.isEmpty { continue }
                switch column {
                case "name": contact.name = value
                case "district":
                    guard value.allSatisfy(\.isNumber) else { rowProblem = "district '\(value)' is not a district code (digits)"; break }
                    contact.district = value
                case "language":
                    guard (2...3).contains(value.count), value.allSatisfy({ $0.isLetter && $0.isASCII }) else {
                        rowProblem = "language '\(value)' is not a language code like hi, en or vi"
                        break
                    }
                    contact.language = value.lowercased()
                default: contact.fields[column] = value
                }
            }
            if let rowProblem {
                problems.append(ContactListProblem(line: line, message: rowProblem))
                continue
            }
            seen[phone] = line
            contacts.append(contact)
        }
        return (contacts, problems)
    }

    /// The records of a CSV text, each with the line it starts on. An unterminated quote runs
    /// to the end of the text.
    static func records(_ text: String) -> [(line: Int, fields: [String])] {
        var records: [(Int, [String])] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var line = 1
        var start = 1
        var characters = text.makeIterator()
        var pending: Character? = nil
        func next() -> Character? {
            if let character = pending {
                pending = nil
                return character
            }
            return characters.next()
        }
        var any = false
        while let character = next() {
            any = true
            if quoted {
                if character == "\"" {
                    if let following = next() {
                        if following == "\"" { field.append("\"") } else {
                            quoted = false
                            pending = following
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    if character == "\n" || character == "\r\n" { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where field.isEmpty: quoted = true
            case ",":
                fields.append(field)
                field = ""
            case "\n", "\r\n", "\r":
                fields.append(field)
                records.append((start, fields))
                fields = []
                field = ""
                line += 1
                start = line
                any = false
            default: field.append(character)
            }
        }
        if any || !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append((start, fields))
        }
        return records
    }
}

/// A campaign with how far its contacts have got.
public struct CampaignProgress: Sendable, Hashable {
    /// The row id.
    public var id: Int64
    /// Its name.
    public var name: String
    /// The menu its calls run.
    public var menu: String
    /// `draft`, `running`, `paused` or `finished`.
    public var status: String
    /// Contacts by status (`pending`, `dialling`, `done`, `failed`, `skipped`).
    public var contacts: [String: Int]
}

extension TicketStore {
    /// Adds contacts to the campaign `name` (created, as a draft running `menu`, if new); a
    /// number already on the campaign is left as it is. Returns the campaign's id and how many
    /// contacts were added.
    public func importContacts(_ contacts: [CampaignContact], campaign name: String, menu: String, at now: Date = Date()) async throws -> (campaign: Int64, added: Int) {
        let time = Timestamp.text(now)
        let rows = contacts.map { contact in
            (contact, JSONText.object(contact.fields.sorted { $0.key < $1.key }))
        }
        return try await groupCommitWrite { db in
            let id: Int64
            if let existing = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM campaigns WHERE name = ?"), arguments: [name]) {
                id = existing
            } else {
                try db.cachedStatement(sql: "INSERT INTO campaigns (name, menu, status, created_at) VALUES (?, ?, 'draft', ?)").execute(arguments: [name, menu, time])
                id = db.lastInsertedRowID
            }
            var added = 0
            for (contact, data) in rows {
                try db.cachedStatement(sql: """
                    INSERT INTO contacts (campaign_id, phone, name, language, district, data, status, attempts, next_attempt_at)
                    VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?) ON CONFLICT (campaign_id, phone) DO NOTHING
                    """).execute(arguments: [id, contact.phone, contact.name, contact.language, contact.district, data, time])
                added += db.changesCount
            }
            return (id, added)
        }
    }

    /// Every campaign with its contacts counted by status, newest first.
    public func campaigns() async throws -> [CampaignProgress] {
        try await database.writer.read { db in
            var campaigns = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, name, menu, status FROM campaigns ORDER BY id DESC")).map { row in
                CampaignProgress(id: row[0], name: row[1], menu: row[2], status: row[3], contacts: [:])
            }
            for index in campaigns.indices {
                for row in try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT status, COUNT(*) FROM contacts WHERE campaign_id = ? GROUP BY status"), arguments: [campaigns[index].id]) {
                    campaigns[index].contacts[row[0]] = row[1]
                }
            }
            return campaigns
        }
    }
}

extension JSONText {
    /// A JSON object of string fields, in the order given.
    package static func object(_ fields: [(key: String, value: String)]) -> String {
        var json = JSONText()
        json.beginObject()
        for (key, value) in fields { json.field(key, value) }
        json.endObject()
        return json.text
    }
}
