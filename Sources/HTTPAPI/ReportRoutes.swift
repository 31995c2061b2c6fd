import Foundation
import Hummingbird
import Store
import HelplineDomain

/// `GET /api/v1/reports/daily`: per local day and department, calls offered to its queues,
/// answered, abandoned, service level, average wait and talk time (from AMI's queue events),
/// and complaints registered, resolved, escalated and overdue; as JSON or CSV.
struct ReportRoutes: Sendable {
    let dependencies: HTTPAPIDependencies

    /// The longest report, in days.
    static let maximumDays = 366
    /// The default service-level threshold: answered within 20 seconds (the common 80/20 goal).
    static let defaultThreshold = 20

    struct Report: Encodable, Sendable {
        struct Line: Encodable, Sendable {
            var day: String
            var department: String
            var callsOffered = 0
            var callsAnswered = 0
            var callsAbandoned = 0
            /// Let go unanswered by the queue (no seat left, a timeout): from queue_log.
            var callsLeft = 0
            /// Percent of the offered calls answered within the threshold.
            var serviceLevel: Double?
            var averageWaitSeconds: Double?
            var averageTalkSeconds: Double?
            var registered: Int
            var resolved: Int
            var escalated: Int
            var overdue: Int
        }

        var from: String
        var to: String
        var utcOffsetSeconds: Int
        var serviceLevelSeconds: Int
        var days: [Line]
    }

    func add(to group: RouterGroup<APIRequestContext>) {
        group.get("\(APIRouter.prefix)/reports/daily") { request, context in
            try await daily(request, context)
        }
    }

    func daily(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.require(.administrator, .monitor, .officer, to: "read reports")
        let query = request.uri.queryParameters
        let department = try principal.departmentScope(requested: query["department"].map(String.init), to: "read the reports")
        let csv: Bool
        switch query["format"].map(String.init) {
        case "csv": csv = true
        case "json": csv = false
        case nil: csv = request.headers[.accept]?.contains("text/csv") ?? false
        case let other?: throw APIError(.notAcceptable, "format must be json or csv; not '\(other)'")
        }
        let offset = dependencies.callFlows.directory?.policy.utcOffset ?? 0
        let now = dependencies.now()
        let today = Self.day(of: now, utcOffset: offset)
        let to = try query["to"].map { try Self.parseDay(String($0), "to") } ?? today
        let from = try query["from"].map { try Self.parseDay(String($0), "from") } ?? to.addingTimeInterval(-6 * 86_400)
        guard from <= to else { throw APIError(.invalidRequest, "from must not be after to") }
        guard to.timeIntervalSince(from) < Double(Self.maximumDays) * 86_400 else {
            throw APIError(.invalidRequest, "a report covers at most \(Self.maximumDays) days")
        }
        // Local midnights as instants: the day's UTC midnight less the offset east of UTC.
        let start = from.addingTimeInterval(-Double(offset))
        let end = to.addingTimeInterval(86_400 - Double(offset))
        let threshold = try query["service_level_seconds"].map { text in
            guard let seconds = Int(text), (1...600).contains(seconds) else {
                throw APIError(.invalidRequest, "service_level_seconds must be a whole number from 1 to 600; not '\(text)'")
            }
            return seconds
        } ?? Self.defaultThreshold
        var lines: [String: Report.Line] = [:]
        for figures in try await dependencies.store.dailyComplaintFigures(from: start, to: end, utcOffset: offset, now: now)
        where department == nil || figures.department == department {
            lines[figures.day + "\u{0}" + figures.department] = Report.Line(
                day: figures.day, department: figures.department, registered: figures.registered, resolved: figures.resolved,
                escalated: figures.escalated, overdue: figures.overdue)
        }
        for calls in try await dependencies.store.dailyCallFigures(from: start, to: end, utcOffset: offset, threshold: threshold)
        where department == nil || calls.department == department {
            let key = calls.day + "\u{0}" + calls.department
            var line = lines[key] ?? Report.Line(day: calls.day, department: calls.department, registered: 0, resolved: 0, escalated: 0, overdue: 0)
            line.callsOffered = calls.offered
            line.callsAnswered = calls.answered
            line.callsAbandoned = calls.abandoned
            line.callsLeft = calls.left
            line.serviceLevel = calls.serviceLevel.map { ($0 * 10).rounded() / 10 }
            line.averageWaitSeconds = calls.averageWait.map { ($0 * 10).rounded() / 10 }
            line.averageTalkSeconds = calls.averageTalk.map { ($0 * 10).rounded() / 10 }
            lines[key] = line
        }
        let report = Report(
            from: Self.text(from), to: Self.text(to), utcOffsetSeconds: offset, serviceLevelSeconds: threshold,
            days: lines.values.sorted { ($0.day, $0.department) < ($1.day, $1.department) })
        guard csv else { return APIJSON.response(report) }
        var text = "day,department,calls_offered,calls_answered,calls_abandoned,service_level,average_wait_seconds,average_talk_seconds,registered,resolved,escalated,overdue,calls_left\r\n"
        func number(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "" }
        for line in report.days {
            text += "\(line.day),\(Self.csvField(line.department)),\(line.callsOffered),\(line.callsAnswered),\(line.callsAbandoned),"
            text += "\(number(line.serviceLevel)),\(number(line.averageWaitSeconds)),\(number(line.averageTalkSeconds)),"
            text += "\(line.registered),\(line.resolved),\(line.escalated),\(line.overdue),\(line.callsLeft)\r\n"
        }
        var response = APIJSON.text(text, contentType: "text/csv; charset=utf-8; header=present")
        response.headers[.contentDisposition] = "attachment; filename=\"helpline-daily-\(report.from)-\(report.to).csv\""
        return response
    }

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// `YYYY-MM-DD` as that day's UTC midnight.
    static func parseDay(_ text: String, _ name: String) throws -> Date {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
              calendar.component(.day, from: date) == day, calendar.component(.month, from: date) == month
        else {
            throw APIError(.invalidRequest, "\(name) must be a day as YYYY-MM-DD; not '\(text)'")
        }
        return date
    }

    /// The local day of `date` as that day's UTC midnight.
    static func day(of date: Date, utcOffset: Int) -> Date {
        calendar.startOfDay(for: date.addingTimeInterval(Double(utcOffset)))
    }

    static func text(_ day: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: day)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// A CSV field, quoted when it holds a comma, a quote or a line break.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
