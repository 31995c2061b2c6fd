import Foundation
import Hummingbird
import Store

/// `GET /api/v1/reports/daily`: complaints registered, resolved, escalated and overdue per
/// local day and department, as JSON or CSV.
///
/// Call figures (offered, answered, abandoned, service level, wait and talk times) are not in
/// it: the daemon keeps no per-day history of queue calls yet, only the live counters of
/// `/api/v1/queues`. The JSON says so in `not_included`.
struct ReportRoutes: Sendable {
    let dependencies: HTTPAPIDependencies

    /// The longest report, in days.
    static let maximumDays = 366
    static let notIncluded = "calls offered, answered and abandoned, service level, average wait and talk time: the daemon keeps no per-day history of queue calls yet"

    struct Report: Encodable, Sendable {
        struct Line: Encodable, Sendable {
            var day: String
            var department: String
            var registered: Int
            var resolved: Int
            var escalated: Int
            var overdue: Int
        }

        var from: String
        var to: String
        var utcOffsetSeconds: Int
        var days: [Line]
        var notIncluded: [String]
    }

    func add(to group: RouterGroup<APIRequestContext>) {
        group.get("\(APIRouter.prefix)/reports/daily") { request, context in
            try await daily(request, context)
        }
    }

    func daily(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.require(.administrator, .monitor, .officer, to: "read reports")
        let query = request.uri.queryParameters
        var department = query["department"].map(String.init)
        if case .officer(let own, _) = principal.role {
            if let department, department != own {
                throw APIError(.forbidden, "the token '\(principal.name)' may read the reports of department '\(own)' only")
            }
            department = own
        }
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
        let figures = try await dependencies.store.dailyComplaintFigures(from: start, to: end, utcOffset: offset, now: now)
            .filter { department == nil || $0.department == department }
        let report = Report(
            from: Self.text(from), to: Self.text(to), utcOffsetSeconds: offset,
            days: figures.map { Report.Line(day: $0.day, department: $0.department, registered: $0.registered, resolved: $0.resolved, escalated: $0.escalated, overdue: $0.overdue) },
            notIncluded: [Self.notIncluded])
        guard csv else { return APIJSON.response(report) }
        var text = "day,department,registered,resolved,escalated,overdue\r\n"
        for line in report.days {
            text += "\(line.day),\(Self.csvField(line.department)),\(line.registered),\(line.resolved),\(line.escalated),\(line.overdue)\r\n"
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
