import AMIClient
import Foundation
import Hummingbird
import Store
import HelplineDomain

/// `GET /dashboard`: what the monitoring team watches. Today's calls (IVR sessions, answered
/// and abandoned in the queues) and complaints, each department's pending, awaiting-feedback,
/// escalated and overdue complaints, and the live queues with their waiting callers and free
/// seats. It reloads itself every few seconds.
///
/// The figures are the store's (the daily report's and the metrics' functions) and the live
/// board's (what `/api/v1/queues` shows); no caller's number is on it.
struct DashboardPage: Sendable {
    let dependencies: HTTPAPIDependencies

    /// One department's row.
    struct DepartmentRow: Sendable, Hashable {
        var id: String
        var pending = 0
        var awaitingFeedback = 0
        var escalated = 0
        var overdue = 0
        var registeredToday = 0
        var resolvedToday = 0
    }

    func render(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        _ = try context.require(.administrator, .monitor, to: "see the monitoring dashboard")
        let t = PageStrings(language: context.pageLanguage)
        let now = dependencies.now()
        let directory = dependencies.callFlows.directory
        let offset = directory?.policy.utcOffset ?? 0
        let format = PageFormat(utcOffset: offset)
        let names = PageNames(directory: directory, language: context.pageLanguage)
        // Today: from the local midnight, as the daily report counts days.
        let start = ReportRoutes.day(of: now, utcOffset: offset).addingTimeInterval(-Double(offset))
        let end = start.addingTimeInterval(86_400)
        let store = dependencies.store
        async let today = store.dailyComplaintFigures(from: start, to: end, utcOffset: offset, now: now)
        async let open = store.openTicketCounts()
        async let overdue = store.overdueCounts(at: now)
        async let calls = store.callCount(from: start, to: end)
        async let queued = store.dailyCallFigures(from: start, to: end, utcOffset: offset, threshold: 20)
        let rows = try await Self.rows(today: today, open: open, overdue: overdue, departments: directory.map { Array($0.departments.keys) } ?? [])
        let callsToday = try await calls
        let queuedToday = try await queued
        let answeredToday = queuedToday.reduce(0) { $0 + $1.answered }
        let abandonedToday = queuedToday.reduce(0) { $0 + $1.abandoned }
        let queues = QueuesReport(snapshot: dependencies.board.snapshot(), now: now.timeIntervalSince1970)

        func card(_ figure: Int, _ label: PageText, bad: Bool = false) -> HTML {
            "<div class=\"card\"><div class=\"figure\(bad && figure > 0 ? " bad-text" : "")\">\(figure)</div><div class=\"label\">\(t(label))</div></div>"
        }
        let total = rows.reduce(into: DepartmentRow(id: "")) { sum, row in
            sum.pending += row.pending
            sum.awaitingFeedback += row.awaitingFeedback
            sum.escalated += row.escalated
            sum.overdue += row.overdue
            sum.registeredToday += row.registeredToday
            sum.resolvedToday += row.resolvedToday
        }
        let escalatedToday = try await today.reduce(0) { $0 + $1.escalated }
        let cards: HTML = """
            <section class="cards" aria-label="\(t(.callsToday))">
            \(card(callsToday, .callsToday))\(card(answeredToday, .answeredToday))\(card(abandonedToday, .abandonedToday, bad: true))\
            \(card(total.registeredToday, .complaintsToday))\(card(total.resolvedToday, .resolvedToday))\
            \(card(escalatedToday, .escalatedToday))\(card(total.overdue, .overdue, bad: true))
            </section>
            """

        func departmentRow(_ row: DepartmentRow, name: String, header: Bool = false) -> HTML {
            let cell: HTML = header ? "th" : "td"
            let overdueCell: HTML = row.overdue > 0 ? "<span class=\"badge overdue\">\(row.overdue)</span>" : "0"
            return """
                <tr><\(cell) scope="row">\(name)</\(cell)><td class="n">\(row.pending)</td><td class="n">\(row.escalated)</td>\
                <td class="n">\(overdueCell)</td><td class="n">\(row.awaitingFeedback)</td><td class="n">\(row.registeredToday)</td>\
                <td class="n">\(row.resolvedToday)</td></tr>
                """
        }
        let departmentRows: [HTML] = rows.map { departmentRow($0, name: names.department($0.id)) } + [departmentRow(total, name: t(.total), header: true)]
        let departmentHeader: HTML = """
            <th>\(t(.department))</th><th class="n">\(t(.pending))</th><th class="n">\(t(.escalated))</th><th class="n">\(t(.overdue))</th>\
            <th class="n">\(t(.awaitingFeedback))</th><th class="n">\(t(.complaintsToday))</th><th class="n">\(t(.resolvedToday))</th>
            """
        let departments: HTML = """
            <h2>\(t(.byDepartment))</h2>
            \(HTML.table(id: "departments", header: departmentHeader, rows: departmentRows))
            """

        var warnings: [HTML] = []
        for endpoint in queues.endpoints {
            guard let since = endpoint.staleSince else { continue }
            let text = since > 0 ? t(.pbxStale, endpoint.name, format.time(Date(timeIntervalSince1970: since))) : t(.pbxNotConnected, endpoint.name)
            warnings.append("<p class=\"warning\" role=\"status\">\(text)</p>")
        }
        let queueRows: [HTML] = queues.queues.map { queue in
            let f = queue.figures
            let longest = f.callersWaiting == 0 ? "–" : PageFormat.duration(f.longestWait)
            let estimate = f.estimatedWait.map(PageFormat.duration) ?? t(.noSeats)
            let waiting: HTML = f.callersWaiting > 0 && f.available == 0 ? "<span class=\"badge overdue\">\(f.callersWaiting)</span>" : "\(f.callersWaiting)"
            return """
                <tr><th scope="row">\(queue.name)</th><td class="n">\(waiting)</td><td class="n">\(longest)</td><td class="n">\(estimate)</td>\
                <td class="n">\(f.available)</td><td class="n">\(f.loggedIn)</td><td class="n">\(f.onCall)</td><td class="n">\(f.paused)</td>\
                <td class="n">\(queue.completed)</td><td class="n">\(queue.abandoned)</td></tr>
                """
        }
        let queueHeader: HTML = """
            <th>\(t(.queue))</th><th class="n">\(t(.waiting))</th><th class="n">\(t(.longestWait))</th><th class="n">\(t(.estimatedWait))</th>\
            <th class="n">\(t(.freeSeats))</th><th class="n">\(t(.loggedIn))</th><th class="n">\(t(.onCall))</th><th class="n">\(t(.paused))</th>\
            <th class="n">\(t(.answered))</th><th class="n">\(t(.abandoned))</th>
            """
        let queueTable: HTML = queues.queues.isEmpty ? "<p class=\"muted\">\(t(.noQueues))</p>" : HTML.table(id: "queues", header: queueHeader, rows: queueRows)
        let main: HTML = """
            \(cards)
            \(departments)
            <h2>\(t(.liveQueues))</h2>
            \(warnings)
            \(queueTable)
            <p class="muted">\(t(.updatedAt, format.clock(now), String(PageRoutes.refreshSeconds)))</p>
            <p class="muted">\(t(.callsNote))</p>
            """
        return PageLayout.page(title: t(.dashboard), section: .dashboard, context: context, request: request, refresh: PageRoutes.refreshSeconds, main: main)
            .response()
    }

    /// The department rows: every department of the directory and every one with tickets,
    /// sorted by id.
    static func rows(today: [DailyComplaintFigures], open: [TicketCount], overdue: [String: Int], departments: [String]) -> [DepartmentRow] {
        var rows: [String: DepartmentRow] = [:]
        for id in departments { rows[id] = DepartmentRow(id: id) }
        for count in open {
            var row = rows[count.department] ?? DepartmentRow(id: count.department)
            switch count.status {
            case .resolved: row.awaitingFeedback += count.count
            case .escalated:
                row.escalated += count.count
                row.pending += count.count
            default: row.pending += count.count
            }
            rows[count.department] = row
        }
        for (department, count) in overdue {
            rows[department, default: DepartmentRow(id: department)].overdue = count
        }
        for figures in today {
            rows[figures.department, default: DepartmentRow(id: figures.department)].registeredToday += figures.registered
            rows[figures.department, default: DepartmentRow(id: figures.department)].resolvedToday += figures.resolved
        }
        return rows.values.sorted { $0.id < $1.id }
    }
}
