import Foundation
import Hummingbird
import Logging
import NIOCore
import Store
import HelplineDomain

/// The department desk: an officer's list of complaints, one complaint with its recording,
/// history and resolve form, and the recording itself.
///
/// The role rules are the API's, through the same functions: an officer sees the own
/// department's complaints only, and resolves those at the own level; a monitor reads every
/// department's; an administrator does everything. The resolve form resolves exactly as
/// `POST /api/v1/tickets/{number}/resolve` does (``TicketRoutes/perform(_:_:note:levelBound:verb:)``),
/// with the token's name as the actor of the history entry.
struct DeskPages: Sendable {
    let routes: PageRoutes

    var dependencies: HTTPAPIDependencies { routes.dependencies }
    var tickets: TicketRoutes { routes.tickets }

    /// The list's filters: which statuses each shows.
    enum Filter: String, CaseIterable, Sendable {
        case open, awaiting, closed, all

        var statuses: [TicketStatus] {
            switch self {
            case .open: [.registered, .assigned, .reopened, .escalated]
            case .awaiting: [.resolved]
            case .closed: [.closed, .cancelled, .duplicate]
            case .all: []
            }
        }

        var label: PageText {
            switch self {
            case .open: .filterOpen
            case .awaiting: .filterAwaiting
            case .closed: .filterClosed
            case .all: .filterAll
            }
        }
    }

    // MARK: - The list

    func list(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.require(.administrator, .monitor, .officer, to: "list tickets")
        let t = PageStrings(language: context.pageLanguage)
        let query = request.uri.queryParameters
        let requested = query["department"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let department = try principal.departmentScope(requested: requested, to: "list the tickets")
        let filter = query["show"].flatMap { Filter(rawValue: String($0)) } ?? .open
        let offset = try tickets.integer(query["offset"], "offset", default: 0, in: 0...10_000_000)
        var found = try await tickets.storeCall {
            try await dependencies.store.tickets(department: department, statuses: filter.statuses, level: nil, limit: PageRoutes.pageSize + 1, offset: offset)
        }
        let more = found.count > PageRoutes.pageSize
        if more { found.removeLast() }
        let now = dependencies.now()
        let directory = dependencies.callFlows.directory
        let names = PageNames(directory: directory, language: context.pageLanguage)
        let format = PageFormat(utcOffset: directory?.policy.utcOffset ?? 0)

        func address(show: Filter = filter, offset: Int = 0) -> String {
            var parts = ["show=\(show.rawValue)"]
            if let department, principal.role.kind != .officer { parts.append("department=\(HTML.queryValue(department))") }
            if offset > 0 { parts.append("offset=\(offset)") }
            return "/desk?" + parts.joined(separator: "&")
        }
        let filters = HTML(joining: Filter.allCases.map { option -> HTML in
            option == filter ? "<strong>\(t(option.label))</strong>" : "<a href=\"\(address(show: option))\">\(t(option.label))</a>"
        })
        var chooser = HTML.empty
        if principal.role.kind != .officer, let directory {
            let options = HTML(joining: [HTML("<option value=\"\">\(t(.allDepartments))</option>")] + directory.departments.keys.sorted().map { id -> HTML in
                "<option value=\"\(id)\"\(id == department ? HTML(raw: " selected") : .empty)>\(names.department(id))</option>"
            })
            chooser = """
                <form class="filters" method="get" action="/desk">
                <input type="hidden" name="show" value="\(filter.rawValue)">
                <label for="department">\(t(.department))</label>
                <select id="department" name="department">\(options)</select>
                <button type="submit">\(t(.show))</button>
                </form>
                """
        }
        let showDepartment = department == nil
        let rows: [HTML] = found.map { ticket in
            let overdue = TicketBody.isOverdue(ticket, now: now)
            let due: HTML = ticket.dueAt.map { date -> HTML in
                overdue ? "<span class=\"badge overdue\">\(format.time(date))</span>" : "\(format.time(date))"
            } ?? "–"
            let departmentCell: HTML = showDepartment ? "<td>\(names.department(ticket.department))</td>" : .empty
            return """
                <tr><td><a href="/desk/tickets/\(ticket.number)">\(ticket.number)</a></td><td>\(format.time(ticket.createdAt))</td>\(departmentCell)\
                <td>\(names.category(ticket.category))</td><td>\(names.district(ticket.district))</td>\
                <td>\(Self.statusBadge(ticket.status, t))</td><td>\(ticket.level.rawValue)</td><td>\(due)</td>\
                <td>\(PhoneNumber.masked(ticket.callerNumber))</td></tr>
                """
        }
        let departmentHeader: HTML = showDepartment ? "<th>\(t(.department))</th>" : .empty
        let header: HTML = """
            <th>\(t(.number))</th><th>\(t(.registeredAt))</th>\(departmentHeader)<th>\(t(.category))</th><th>\(t(.district))</th>\
            <th>\(t(.status))</th><th>\(t(.level))</th><th>\(t(.dueAt))</th><th>\(t(.caller))</th>
            """
        let table: HTML = rows.isEmpty ? "<p class=\"muted\">\(t(.noTickets))</p>" : HTML.table(id: "tickets", header: header, rows: rows)
        var pager: [HTML] = []
        if offset > 0 { pager.append("<a href=\"\(address(offset: max(0, offset - PageRoutes.pageSize)))\" rel=\"prev\">\(t(.previousPage))</a>") }
        if more { pager.append("<a href=\"\(address(offset: offset + PageRoutes.pageSize))\" rel=\"next\">\(t(.nextPage))</a>") }
        let title = department.map { t(.departmentTickets, names.department($0)) } ?? t(.allDepartments)
        let main: HTML = """
            \(chooser)
            <nav class="filters" aria-label="\(t(.show))">\(filters)</nav>
            \(table)
            <p class="pager">\(pager)</p>
            """
        return PageLayout.page(title: title, section: .desk, context: context, request: request, main: main).response()
    }

    // MARK: - One ticket

    func ticket(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.require(.administrator, .monitor, .officer, to: "read tickets")
        let t = PageStrings(language: context.pageLanguage)
        let history = try await tickets.authorizedHistory(principal, context)
        let ticket = history.ticket
        let now = dependencies.now()
        let directory = dependencies.callFlows.directory
        let names = PageNames(directory: directory, language: context.pageLanguage)
        let format = PageFormat(utcOffset: directory?.policy.utcOffset ?? 0)

        let notice: HTML = request.uri.queryParameters["resolved"] != nil && ticket.status == .resolved
            ? "<p class=\"notice\" role=\"status\">\(t(.resolvedNotice, ticket.number))</p>" : .empty
        let overdue = TicketBody.isOverdue(ticket, now: now)
        let due: HTML = ticket.dueAt.map { date -> HTML in
            overdue ? "<span class=\"badge overdue\">\(format.time(date)) · \(t(.overdue))</span>" : "\(format.time(date))"
        } ?? "–"
        let callerName: HTML = ticket.callerName.map { "<dt>\(t(.callerName))</dt><dd>\($0)</dd>" } ?? .empty
        let facts: HTML = """
            <dl class="facts">
            <dt>\(t(.status))</dt><dd>\(Self.statusBadge(ticket.status, t))</dd>
            <dt>\(t(.level))</dt><dd>\(ticket.level.rawValue)</dd>
            <dt>\(t(.department))</dt><dd>\(names.department(ticket.department))</dd>
            <dt>\(t(.category))</dt><dd>\(names.category(ticket.category))</dd>
            <dt>\(t(.district))</dt><dd>\(names.district(ticket.district))</dd>
            <dt>\(t(.caller))</dt><dd><a href="tel:\(ticket.callerNumber)">\(ticket.callerNumber)</a></dd>
            \(callerName)
            <dt>\(t(.registeredAt))</dt><dd>\(format.time(ticket.createdAt))</dd>
            <dt>\(t(.dueAt))</dt><dd>\(due)</dd>
            <dt>\(t(.officer))</dt><dd>\(ticket.assignedOfficer ?? "–")</dd>
            <dt>\(t(.reopened))</dt><dd>\(ticket.reopenCount)</dd>
            <dt>\(t(.source))</dt><dd>\(ticket.source.rawValue)</dd>
            </dl>
            """
        let description: HTML = ticket.descriptionText.map { "<div class=\"description\" id=\"description\">\($0)</div>" }
            ?? "<p class=\"muted\">\(t(.noDescription))</p>"
        let recording: HTML
        if ticket.descriptionRecording?.isEmpty ?? true {
            recording = "<p class=\"muted\">\(t(.noRecording))</p>"
        } else if recordingFile(ticket) != nil {
            let source = "/desk/tickets/\(ticket.number)/recording"
            recording = """
                <audio controls preload="metadata" src="\(source)"></audio>
                <p class="muted"><a href="\(source)" download>\(t(.recording))</a></p>
                """
        } else {
            recording = "<p class=\"muted\">\(t(.recordingUnavailable))</p>"
        }
        let events: [HTML] = history.events.map { event in
            """
            <tr><td>\(format.time(event.at))</td><td>\(PageText.step(event.transition).map { t($0) } ?? event.transition)</td><td>\(Self.statusBadge(event.toStatus, t))</td><td>\(event.level.rawValue)</td>\
            <td>\(event.actor)</td><td>\(event.note ?? "")</td></tr>
            """
        }
        let historyHeader: HTML = "<th>\(t(.when))</th><th>\(t(.event))</th><th>\(t(.status))</th><th>\(t(.level))</th><th>\(t(.by))</th><th>\(t(.note))</th>"
        let historyTable = HTML.table(id: "history", header: historyHeader, rows: events)
        let main: HTML = """
            \(notice)
            \(facts)
            <h2>\(t(.description))</h2>
            \(description)
            <h2>\(t(.recording))</h2>
            \(recording)
            <h2>\(t(.history))</h2>
            \(historyTable)
            \(resolveSection(ticket, principal: principal, context: context, t))
            <p class="pager"><a href="/desk">\(t(.backToDesk))</a></p>
            """
        return PageLayout.page(title: t(.ticket, ticket.number), section: .desk, context: context, request: request, main: main).response()
    }

    /// The resolve form when the caller may resolve the ticket now, a line saying why not when
    /// the level is another, nothing when the ticket is not open to a resolution.
    func resolveSection(_ ticket: Ticket, principal: Principal, context: APIRequestContext, _ t: PageStrings) -> HTML {
        guard [.assigned, .reopened, .escalated].contains(ticket.status), let session = context.pageSession else { return .empty }
        switch principal.role {
        case .officer(_, let level) where level != ticket.level:
            return "<p class=\"muted\">\(t(.cannotResolveHere, ticket.level.rawValue, level.rawValue))</p>"
        case .monitor, .intake:
            return "<p class=\"muted\">\(t(.readOnly))</p>"
        case .administrator, .officer:
            return """
                <h2>\(t(.resolve))</h2>
                <form class="stacked" id="resolve" method="post" action="/desk/tickets/\(ticket.number)/resolve">
                \(PageLayout.csrfField(session))
                <label for="report">\(t(.resolveReport))</label>
                <textarea id="report" name="report" maxlength="4000" required></textarea>
                <p class="muted">\(t(.resolveHelp))</p>
                <button type="submit">\(t(.resolveButton))</button>
                </form>
                """
        }
    }

    // MARK: - Resolving

    func resolve(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let form = try await PageRoutes.form(request, maxBodySize: routes.configuration.maxBodySize)
        try PageRoutes.checkForm(form, request, context)
        let report = try tickets.nonEmpty(form["report"] ?? "", "report", maximum: 4000)
        let updated = try await tickets.perform(.resolve, context, note: report, levelBound: true, verb: "resolve")
        return PageRoutes.redirect("/desk/tickets/\(updated.number)?resolved=1")
    }

    // MARK: - The recording

    func recording(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.require(.administrator, .monitor, .officer, to: "read tickets")
        let t = PageStrings(language: context.pageLanguage)
        let ticket = try await tickets.authorizedTicket(principal, context).ticket
        guard let path = recordingFile(ticket) else {
            throw PageError(status: .notFound, title: .notFoundTitle, message: t(ticket.descriptionRecording == nil ? .noRecording : .recordingUnavailable))
        }
        return try await Self.serve(path, as: "complaint-\(ticket.number)", request, context)
    }

    /// The file at `path` (a recording) as the response: whole, or the byte range asked for
    /// (players seek with `Range`), never cached by shared caches.
    static func serve(_ path: String, as name: String, _ request: Request, _ context: APIRequestContext) async throws -> Response {
        guard let size = fileSize(path) else { throw APIError(.recordingNotFound, "the recording's file is not on this server") }
        let type = mediaType(path)
        var headers: HTTPFields = [
            .contentType: type, .acceptRanges: "bytes", .cacheControl: "private, no-store",
            .contentDisposition: "inline; filename=\"\(name).\((path as NSString).pathExtension)\"",
        ]
        let fileIO = FileIO()
        if let header = request.headers[.range] {
            guard let range = byteRange(header, size: size) else {
                headers[.contentRange] = "bytes */\(size)"
                return Response(status: .rangeNotSatisfiable, headers: headers)
            }
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            headers[.contentLength] = "\(range.count)"
            return Response(status: .partialContent, headers: headers, body: try await fileIO.loadFile(path: path, range: range, context: context))
        }
        headers[.contentLength] = "\(size)"
        return Response(status: .ok, headers: headers, body: try await fileIO.loadFile(path: path, context: context))
    }

    /// The file of the ticket's recording when it is inside the configured recordings folder
    /// and is a regular file; nil otherwise (no folder configured, no recording, a path that
    /// leads elsewhere, a missing file).
    func recordingFile(_ ticket: Ticket) -> String? {
        Self.recordingFile(ticket.descriptionRecording, folder: routes.configuration.recordingsFolder, sounds: routes.configuration.soundsFolder)
    }

    /// `stored` (absolute, or relative to Asterisk's `sounds` folder) as a real path, when it
    /// is a regular file inside `folder` after `..` and symbolic links are resolved.
    static func recordingFile(_ stored: String?, folder: String?, sounds: String) -> String? {
        guard let stored, !stored.isEmpty, let folder, !folder.isEmpty, !stored.contains("\u{0}") else { return nil }
        let candidate = stored.hasPrefix("/") ? URL(fileURLWithPath: stored) : URL(fileURLWithPath: sounds).appendingPathComponent(stored)
        let resolved = candidate.standardizedFileURL.resolvingSymlinksInPath().path
        var root = URL(fileURLWithPath: folder).standardizedFileURL.resolvingSymlinksInPath().path
        if !root.hasSuffix("/") { root += "/" }
        guard resolved.hasPrefix(root), resolved.count > root.count else { return nil }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved),
              attributes[.type] as? FileAttributeType == .typeRegular
        else { return nil }
        return resolved
    }

    static func fileSize(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
    }

    /// The media type of a recording by its extension (the formats Asterisk records in).
    static func mediaType(_ path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "wav", "wav16": "audio/wav"
        case "mp3": "audio/mpeg"
        case "ogg", "oga": "audio/ogg"
        case "gsm": "audio/gsm"
        case "ulaw", "ul", "mu": "audio/basic"
        default: "application/octet-stream"
        }
    }

    /// One range of a `Range: bytes=…` header (`a-b`, `a-`, `-n`) within a file of `size` bytes;
    /// nil when it is not one satisfiable range.
    static func byteRange(_ header: String, size: Int) -> ClosedRange<Int>? {
        guard header.hasPrefix("bytes="), size > 0 else { return nil }
        let spec = header.dropFirst(6)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        if first.isEmpty {
            guard let suffix = Int(last), suffix > 0 else { return nil }
            return max(0, size - suffix)...(size - 1)
        }
        guard let start = Int(first), start >= 0, start < size else { return nil }
        guard !last.isEmpty else { return start...(size - 1) }
        guard let end = Int(last), end >= start else { return nil }
        return start...min(end, size - 1)
    }

    // MARK: - Helpers

    static func statusBadge(_ status: TicketStatus, _ t: PageStrings) -> HTML {
        "<span class=\"badge \(status.rawValue)\">\(t(PageText.status(status)))</span>"
    }
}
