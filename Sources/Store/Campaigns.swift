public import Foundation
import HelplineDomain
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
    /// Its window, pacing and retry rules.
    public var settings = CampaignSettings()
}

/// A campaign's window, pacing and retry rules; each unset rule takes the `outbound` section's.
public struct CampaignSettings: Sendable, Hashable, Codable {
    /// When its contacts may be called, local time, `HH:MM-HH:MM` (nil: the calling hours).
    public var window: String?
    /// Attempts per contact before it is given up (nil: `outbound.max_attempts`).
    public var maximumAttempts: Int?
    /// Seconds before another attempt after no answer, busy, failure, or an answered call in
    /// which nothing was answered (nil: the `outbound` retry delays).
    public var retryAfter: Int?
    /// At most this many of its calls at once (nil: any free outbound channel). Calls the
    /// helpline owes (callbacks, feedback calls) always go first.
    public var channels: Int?

    /// Rules.
    public init(window: String? = nil, maximumAttempts: Int? = nil, retryAfter: Int? = nil, channels: Int? = nil) {
        self.window = window
        self.maximumAttempts = maximumAttempts
        self.retryAfter = retryAfter
        self.channels = channels
    }

    enum CodingKeys: String, CodingKey {
        case window
        case maximumAttempts = "max_attempts"
        case retryAfter = "retry_after_seconds"
        case channels
    }

    /// The rules stored in `campaigns.settings`; a text that does not decode reads as none.
    static func decode(_ text: String) -> CampaignSettings {
        (try? JSONDecoder().decode(CampaignSettings.self, from: Data(text.utf8))) ?? CampaignSettings()
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(self)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }
}

/// One contact's line of a campaign's report.
public struct CampaignReportRow: Sendable, Hashable {
    /// The contact.
    public var contact: CampaignContact
    /// `pending`, `dialling`, `done`, `failed` or `skipped`.
    public var status: String
    /// Attempts made.
    public var attempts: Int
    /// How the last attempt went.
    public var lastResult: String?
    /// The answers by question.
    public var answers: [String: String]
    /// When the last answer was given.
    public var answeredAt: Date?
}

/// A campaign's results: every contact with its answers, the questions in the menu's order.
public struct CampaignReport: Sendable, Hashable {
    /// The campaign.
    public var campaign: CampaignProgress
    /// The questions answered by anyone, in the menu's `answers` order.
    public var questions: [String]
    /// The free fields of the contact list, by name.
    public var fields: [String]
    /// One row per contact, in import order.
    public var rows: [CampaignReportRow]

    /// The report as CSV (RFC 4180, CRLF line ends): phone, name, district, language, status,
    /// attempts, last_result, answered_at, each free field, then each question.
    public var csv: String {
        var lines = [(["phone", "name", "district", "language", "status", "attempts", "last_result", "answered_at"] + fields + questions).map(Self.quoted).joined(separator: ",")]
        for row in rows {
            let values = [
                row.contact.phone, row.contact.name ?? "", row.contact.district ?? "", row.contact.language ?? "", row.status, String(row.attempts),
                row.lastResult ?? "", row.answeredAt.map(Timestamp.iso8601) ?? "",
            ] + fields.map { row.contact.fields[$0] ?? "" } + questions.map { row.answers[$0] ?? "" }
            lines.append(values.map(Self.quoted).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func quoted(_ value: String) -> String {
        // A leading =, +, - or @ would be read as a formula by a spreadsheet: quoted with a '.
        var value = value
        if let first = value.first, "=+-@".contains(first), !value.allSatisfy({ $0.isNumber || $0 == "+" }) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
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
            let ids = try Int64.fetchAll(db.cachedStatement(sql: "SELECT id FROM campaigns ORDER BY id DESC"))
            return try ids.compactMap { try Self.campaign(db, id: $0) }
        }
    }

    /// The campaign called `name`, with its progress; nil when there is none.
    public func campaign(named name: String) async throws -> CampaignProgress? {
        try await database.writer.read { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM campaigns WHERE name = ?"), arguments: [name]).flatMap { try Self.campaign(db, id: $0) }
        }
    }

    static func campaign(_ db: Database, id: Int64) throws -> CampaignProgress? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, name, menu, status, settings FROM campaigns WHERE id = ?"), arguments: [id]) else {
            return nil
        }
        var campaign = CampaignProgress(id: row[0], name: row[1], menu: row[2], status: row[3], contacts: [:], settings: CampaignSettings.decode(row[4]))
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT status, COUNT(*) FROM contacts WHERE campaign_id = ? GROUP BY status"), arguments: [id]) {
            campaign.contacts[row[0]] = row[1]
        }
        return campaign
    }

    /// Starts (or resumes) the campaign `name` with `settings` (nil: the rules it has): its
    /// pending contacts are called from now on. Throws ``StoreError`` (``StoreError/Code/unknownCampaign``) for an unknown
    /// campaign or one with no contact left to call.
    @discardableResult
    public func startCampaign(named name: String, settings: CampaignSettings? = nil) async throws -> CampaignProgress {
        try await groupCommitWrite { db in
            guard let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM campaigns WHERE name = ?"), arguments: [name]) else {
                throw StoreError.unknownCampaign(name)
            }
            let left = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM contacts WHERE campaign_id = ? AND status IN ('pending', 'dialling')"), arguments: [id]) ?? 0
            guard left > 0 else { throw StoreError.nothingToCall(name) }
            if let settings {
                try db.cachedStatement(sql: "UPDATE campaigns SET settings = ? WHERE id = ?").execute(arguments: [settings.json, id])
            }
            try db.cachedStatement(sql: "UPDATE campaigns SET status = 'running' WHERE id = ?").execute(arguments: [id])
            return try Self.campaign(db, id: id)!
        }
    }

    /// Pauses the campaign `name`: no new calls; calls being made finish.
    @discardableResult
    public func pauseCampaign(named name: String) async throws -> CampaignProgress {
        try await groupCommitWrite { db in
            guard let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM campaigns WHERE name = ?"), arguments: [name]) else {
                throw StoreError.unknownCampaign(name)
            }
            try db.cachedStatement(sql: "UPDATE campaigns SET status = 'paused' WHERE id = ? AND status IN ('draft', 'running')").execute(arguments: [id])
            return try Self.campaign(db, id: id)!
        }
    }

    /// Stores what a contact answered on a campaign call, each answer with its question's
    /// position in the menu's `answers` (an answer given again replaces the first). Returns
    /// false when the contact is unknown (nothing stored).
    @discardableResult
    public func saveCampaignAnswers(contact: Int64, answers: [(question: String, position: Int, answer: String)], callUniqueid: String?, at now: Date = Date()) async throws -> Bool {
        let time = Timestamp.text(now)
        return try await groupCommitWrite { db in
            try Self.saveAnswers(db, contact: contact, answers: answers, callUniqueid: callUniqueid, time: time)
        }
    }

    static func saveAnswers(_ db: Database, contact: Int64, answers: [(question: String, position: Int, answer: String)], callUniqueid: String?, time: String) throws -> Bool {
        guard try Int.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM contacts WHERE id = ?"), arguments: [contact]) != nil else { return false }
        for (question, position, answer) in answers {
            try db.cachedStatement(sql: """
                INSERT INTO campaign_answers (contact_id, question, position, answer, call_uniqueid, answered_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (contact_id, question) DO UPDATE SET answer = excluded.answer, position = excluded.position,
                    call_uniqueid = excluded.call_uniqueid, answered_at = excluded.answered_at
                """).execute(arguments: [contact, question, position, answer, callUniqueid, time])
        }
        return true
    }

    /// A campaign call the contact answered has ended: the answers given are stored and the
    /// contact is done. When nothing was answered, the contact is called again after the
    /// campaign's `retryAfter` (`defaultRetry` seconds when it sets none), or failed once its
    /// attempts reach the campaign's maximum (`defaultMaximumAttempts` when it sets none). A
    /// campaign with no contact left to call is finished.
    public func campaignCallEnded(contact: Int64, answers: [(question: String, position: Int, answer: String)], callUniqueid: String?,
                                  defaultRetry: TimeInterval, defaultMaximumAttempts: Int, at now: Date = Date()) async throws {
        let time = Timestamp.text(now)
        try await groupCommitWrite { db in
            guard try Self.saveAnswers(db, contact: contact, answers: answers, callUniqueid: callUniqueid, time: time),
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT c.campaign_id, c.attempts, k.settings FROM contacts c JOIN campaigns k ON k.id = c.campaign_id WHERE c.id = ?"),
                    arguments: [contact])
            else { return }
            let campaign: Int64 = row[0]
            if !answers.isEmpty {
                try db.cachedStatement(sql: "UPDATE contacts SET status = 'done', last_result = 'answered' WHERE id = ?").execute(arguments: [contact])
            } else {
                let attempts: Int = row[1]
                let settings = CampaignSettings.decode(row[2])
                let maximum = settings.maximumAttempts ?? defaultMaximumAttempts
                let retryAt = now.addingTimeInterval(settings.retryAfter.map(TimeInterval.init) ?? defaultRetry)
                if attempts < maximum {
                    try db.cachedStatement(sql: "UPDATE contacts SET status = 'pending', next_attempt_at = ?, last_result = 'answered, nothing answered' WHERE id = ?")
                        .execute(arguments: [Timestamp.text(retryAt), contact])
                    // The answered call may have finished the campaign a moment ago.
                    try db.cachedStatement(sql: "UPDATE campaigns SET status = 'running' WHERE id = ? AND status = 'finished'").execute(arguments: [campaign])
                } else {
                    try db.cachedStatement(sql: "UPDATE contacts SET status = 'failed', last_result = 'answered, nothing answered' WHERE id = ?").execute(arguments: [contact])
                }
            }
            try Self.finishCampaignIfDone(db, campaign: campaign)
        }
    }

    /// A running campaign with no contact pending or being called is finished.
    static func finishCampaignIfDone(_ db: Database, campaign: Int64) throws {
        try db.cachedStatement(sql: """
            UPDATE campaigns SET status = 'finished' WHERE id = ? AND status = 'running'
            AND NOT EXISTS (SELECT 1 FROM contacts WHERE campaign_id = ? AND status IN ('pending', 'dialling'))
            """).execute(arguments: [campaign, campaign])
    }

    /// The results of the campaign `name`: every contact with its status and answers.
    public func campaignReport(named name: String) async throws -> CampaignReport {
        try await database.writer.read { db in
            guard let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM campaigns WHERE name = ?"), arguments: [name]),
                let campaign = try Self.campaign(db, id: id)
            else { throw StoreError.unknownCampaign(name) }
            var rows: [Int64: Int] = [:]
            var report = CampaignReport(campaign: campaign, questions: [], fields: [], rows: [])
            var fields: Set<String> = []
            for row in try Row.fetchAll(
                db.cachedStatement(sql: "SELECT id, phone, name, district, language, data, status, attempts, last_result FROM contacts WHERE campaign_id = ? ORDER BY id"),
                arguments: [id]) {
                let data = (try? JSONSerialization.jsonObject(with: Data((row[5] as String).utf8))) as? [String: String] ?? [:]
                fields.formUnion(data.keys)
                rows[row[0]] = report.rows.count
                report.rows.append(CampaignReportRow(
                    contact: CampaignContact(phone: row[1], name: row[2], district: row[3], language: row[4], fields: data),
                    status: row[6], attempts: row[7], lastResult: row[8], answers: [:], answeredAt: nil))
            }
            report.fields = fields.sorted()
            var positions: [String: Int] = [:]
            for row in try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT a.contact_id, a.question, a.position, a.answer, a.answered_at FROM campaign_answers a JOIN contacts c ON c.id = a.contact_id
                    WHERE c.campaign_id = ?
                    """),
                arguments: [id]) {
                guard let index = rows[row[0]] else { continue }
                let question: String = row[1]
                positions[question] = min(positions[question] ?? Int.max, row[2])
                report.rows[index].answers[question] = row[3]
                let at = Timestamp.date(row[4])
                if let at, report.rows[index].answeredAt.map({ $0 < at }) ?? true { report.rows[index].answeredAt = at }
            }
            report.questions = positions.keys.sorted { (positions[$0]!, $0) < (positions[$1]!, $1) }
            return report
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
