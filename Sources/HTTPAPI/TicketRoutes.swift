import Foundation
import Hummingbird
import Logging
import NIOCore
import Routing
import HelplineDomain
import Store

/// `/api/v1/tickets…`: list, read, resolve, reassign, annotate, and web intake.
///
/// Officers see and act on their own department's tickets only (403 otherwise); they resolve
/// and reassign only tickets at their own level, so an L1 desk cannot dispose of a complaint
/// the ladder sent to L2. Monitors read; administrators do everything. Every write is recorded
/// in the ticket's history with the token's name as the actor.
struct TicketRoutes: Sendable {
    let dependencies: HTTPAPIDependencies
    let maxBodySize: Int
    /// Where recordings may be read from (`http.recordings`) and Asterisk's sounds folder
    /// (relative recording paths are under it); nil: no recording is served.
    var recordingsFolder: String? = nil
    var soundsFolder = "/var/lib/asterisk/sounds"

    func add(to group: RouterGroup<APIRequestContext>) {
        let prefix = APIRouter.prefix
        group.get("\(prefix)/tickets") { request, context in try await list(request, context) }
        group.post("\(prefix)/tickets") { request, context in try await intake(request, context) }
        group.get("\(prefix)/tickets/:number") { _, context in try await detail(context) }
        group.get("\(prefix)/tickets/:number/recording") { request, context in try await recording(request, context) }
        group.post("\(prefix)/tickets/:number/resolve") { request, context in
            let body = try await decode(ResolveBody.self, request, context)
            let report = try nonEmpty(body.report, "report", maximum: 4000)
            return try await act(.resolve, context, note: report, levelBound: true, verb: "resolve")
        }
        group.post("\(prefix)/tickets/:number/reassign") { request, context in
            let body = try await decode(ReassignBody.self, request, context)
            let officer = try nonEmpty(body.officer, "officer", maximum: 100)
            return try await act(.reassign(officer: officer), context, note: body.note, levelBound: true, verb: "reassign")
        }
        group.post("\(prefix)/tickets/:number/notes") { request, context in
            let body = try await decode(NoteBody.self, request, context)
            let note = try nonEmpty(body.note, "note", maximum: 4000)
            return try await act(.note, context, note: note, levelBound: false, verb: "add notes to")
        }
    }

    // MARK: - Reads

    func list(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.require(.administrator, .monitor, .officer, to: "list tickets")
        let query = request.uri.queryParameters
        let department = try principal.departmentScope(requested: query["department"].map(String.init), to: "list the tickets")
        let status = try query["status"].map { text in
            guard let status = TicketStatus(rawValue: String(text)) else {
                throw APIError(.invalidRequest, "status must be one of \(TicketStatus.allCases.map(\.rawValue).joined(separator: ", ")); not '\(text)'")
            }
            return status
        }
        let level = try query["level"].map { text in
            guard let level = TicketLevel(rawValue: String(text).uppercased()) else { throw APIError(.invalidRequest, "level must be L1 or L2; not '\(text)'") }
            return level
        }
        let limit = try integer(query["limit"], "limit", default: 50, in: 1...500)
        let offset = try integer(query["offset"], "offset", default: 0, in: 0...10_000_000)
        // One more than asked: whether there is a next page.
        var tickets = try await dependencies.store.tickets(department: department, status: status, level: level, limit: limit + 1, offset: offset)
        let more = tickets.count > limit
        if more { tickets.removeLast() }
        let now = dependencies.now()
        return APIJSON.response(TicketPage(tickets: tickets.map { TicketBody($0, now: now) }, limit: limit, offset: offset, nextOffset: more ? offset + limit : nil))
    }

    func detail(_ context: APIRequestContext) async throws -> Response {
        let principal = try context.require(.administrator, .monitor, .officer, to: "read tickets")
        let history = try await authorizedHistory(principal, context)
        return APIJSON.response(TicketDetail(history, now: dependencies.now()))
    }

    /// The caller's recorded description, for a department portal or an officer's own tool
    /// (the desk's player reads the same file).
    func recording(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.require(.administrator, .monitor, .officer, to: "read tickets")
        let (number, ticket) = try await authorizedTicket(principal, context)
        guard ticket.descriptionRecording != nil else { throw APIError(.recordingNotFound, "ticket \(number) has no recording") }
        guard let path = DeskPages.recordingFile(ticket.descriptionRecording, folder: recordingsFolder, sounds: soundsFolder) else {
            throw APIError(.recordingNotFound, "the recording of ticket \(number) is not on this server (its file is missing or outside http.recordings)")
        }
        return try await DeskPages.serve(path, as: "complaint-\(ticket.number)", request, context)
    }

    // MARK: - Writes

    func act(_ action: TicketAction, _ context: APIRequestContext, note: String?, levelBound: Bool, verb: String) async throws -> Response {
        let updated = try await perform(action, context, note: note, levelBound: levelBound, verb: verb)
        return APIJSON.response(TicketBody(updated, now: dependencies.now()))
    }

    /// Applies `action` to the ticket the route names, as the caller, after the role and
    /// department checks; the pages' forms resolve through this too, so a resolution from the
    /// desk is the same write as one from the API.
    func perform(_ action: TicketAction, _ context: APIRequestContext, note: String?, levelBound: Bool, verb: String) async throws -> Ticket {
        let principal = try context.require(.administrator, .officer, to: "\(verb) tickets")
        let (number, ticket) = try await authorizedTicket(principal, context, levelBound: levelBound, verb: verb)
        if case .reassign(let officer) = action, let directory = dependencies.callFlows.directory {
            guard let known = directory.officers[officer], known.department == ticket.department else {
                throw APIError(.unknownOfficer, "the routing directory has no officer '\(officer)' in department '\(ticket.department)'")
            }
            // An L2 ticket stays with an L2 officer and an L1 ticket with L1: moving a ticket up
            // or down the ladder is the citizen's feedback's to do.
            guard known.level == ticket.level else {
                throw APIError(.unknownOfficer, "officer '\(officer)' works at \(known.level.rawValue), and ticket \(number) is at \(ticket.level.rawValue)")
            }
        }
        // The store applies the action to the ticket as it stands at write time: a concurrent
        // change in between makes an invalid transition answer 409, never a lost update. A
        // resolution's SMS and webhooks are queued in the same transaction.
        let updated = try await storeCall {
            try await dependencies.store.apply(action, to: number, actor: principal.name, note: note, dueAt: nil, officer: nil, callUniqueid: nil, notifications: dependencies.notifications, at: dependencies.now())
        }
        context.logger.notice("Ticket \(action.name)", metadata: ["ticket": "\(number)", "token": "\(principal.name)", "status": "\(updated.status.rawValue)"])
        return updated
    }

    /// Web intake: a complaint routed like a call (same department, officer and due time as
    /// the IVR would give it), stored with source `api` and the channel in its first history entry.
    func intake(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.require(.administrator, .intake, to: "register complaints")
        let body = try await decode(IntakeBody.self, request, context)
        guard ["web", "chat"].contains(body.channel) else { throw APIError(.invalidRequest, "channel must be web or chat; not '\(body.channel)'") }
        let caller = body.callerNumber.filter { !$0.isWhitespace && $0 != "-" }
        guard (7...16).contains(caller.count), caller.drop(while: { $0 == "+" }).allSatisfy(\.isASCIIDigit), caller.filter({ $0 == "+" }).count <= 1 else {
            throw APIError(.invalidRequest, "caller_number must be a phone number of 7 to 15 digits (an optional leading +)")
        }
        guard (2...8).contains(body.language.count), body.language.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw APIError(.invalidRequest, "language must be a language code such as hi, en or vi")
        }
        let description = try nonEmpty(body.description, "description", maximum: 4000)
        let reference = try body.reference.map { try nonEmpty($0, "reference", maximum: 100) }
        guard let directory = dependencies.callFlows.directory else {
            throw APIError(.noDirectory, "no routing directory is loaded, so the complaint cannot be routed; try again later")
        }
        guard directory.categories[body.category] != nil else {
            throw APIError(.unknownCategory, "the routing directory has no category '\(body.category)'")
        }
        if let district = body.district, directory.districts[district] == nil {
            throw APIError(.unknownDistrict, "the routing directory has no district '\(district)'")
        }
        let now = dependencies.now()
        let open = try await dependencies.store.openTickets(callerNumber: caller).map {
            OpenTicket(number: $0.number, category: $0.category, department: $0.department)
        }
        let pbx = dependencies.defaultPBX
        let call = CallInput(
            uniqueid: reference.map { "\(body.channel):\($0)" }, callerNumber: caller, language: body.language, pbx: pbx,
            category: body.category, district: body.district, openTickets: open)
        let registration = directory.registration(
            call, load: dependencies.liveLoad(pbx), now: now, source: .api, callerName: body.callerName, descriptionText: description)
        let created = try await dependencies.store.createTicket(
            registration.ticket, decision: registration.record, actor: principal.name, note: "registered through \(body.channel) intake", at: now)
        let ticket = created.ticket
        context.logger.notice(
            "Complaint registered through \(body.channel) intake",
            metadata: ["ticket": "\(ticket.number)", "department": "\(ticket.department)", "caller": "\(PhoneNumber.masked(caller))", "token": "\(principal.name)"])
        var response = APIJSON.response(TicketBody(ticket, now: now), status: created.created ? .created : .ok)
        response.headers[.location] = "\(APIRouter.prefix)/tickets/\(ticket.number)"
        return response
    }

    // MARK: - Helpers

    /// The ticket the route names, with its number as parsed, once `principal` may `verb` it
    /// (see ``authorize(_:_:levelBound:verb:)``): 400 for a number that is not one, 404 when no
    /// ticket has it, 403 when the ticket is not the principal's to `verb`.
    func authorizedTicket(
        _ principal: Principal, _ context: APIRequestContext, levelBound: Bool = false, verb: String = "read"
    ) async throws -> (number: String, ticket: Ticket) {
        let (number, ticket) = try await authorized(
            principal, context, levelBound: levelBound, verb: verb, read: { try await dependencies.store.ticket(number: $0) }, ticketOf: { $0 })
        return (number, ticket)
    }

    /// The history of the ticket the route names, once `principal` may read it; the refusals
    /// are ``authorizedTicket(_:_:levelBound:verb:)``'s.
    func authorizedHistory(_ principal: Principal, _ context: APIRequestContext) async throws -> TicketHistory {
        let (_, history) = try await authorized(
            principal, context, levelBound: false, verb: "read", read: { try await dependencies.store.history(number: $0) }, ticketOf: { $0.ticket })
        return history
    }

    /// Parses the route's ticket number, finds what `read` gives for it (404 when nil) and
    /// checks that `principal` may `verb` the ticket `ticketOf` takes from it.
    private func authorized<Found>(
        _ principal: Principal, _ context: APIRequestContext, levelBound: Bool, verb: String,
        read: (String) async throws -> Found?, ticketOf: (Found) -> Ticket
    ) async throws -> (number: String, found: Found) {
        let number = try ticketNumber(context)
        guard let found = try await storeCall({ try await read(number) }) else {
            throw APIError(.ticketNotFound, "no ticket has the number \(number)")
        }
        try authorize(principal, ticketOf(found), levelBound: levelBound, verb: verb)
        return (number, found)
    }

    /// 403 unless the principal may act on this ticket: officers only in their department, and
    /// for level-bound actions only at their level.
    func authorize(_ principal: Principal, _ ticket: Ticket, levelBound: Bool, verb: String) throws {
        guard case .officer(let department, let level) = principal.role else { return }
        guard ticket.department == department else {
            throw APIError(.forbidden, "the token '\(principal.name)' may \(verb) the tickets of department '\(department)' only")
        }
        if levelBound, ticket.level != level {
            throw APIError(.forbidden, "the ticket is at \(ticket.level.rawValue); the token '\(principal.name)' may \(verb) \(level.rawValue) tickets only")
        }
    }

    func ticketNumber(_ context: APIRequestContext) throws -> String {
        let text = context.parameters.get("number") ?? ""
        switch TicketNumber.parse(text) {
        case .valid(let number): return number.description
        case .checkDigitMismatch: throw APIError(.ticketNumberMistyped, "\(text) is not a valid ticket number: its check digit does not match (a digit mistyped?)")
        case .malformed: throw APIError(.ticketNumberMalformed, "'\(text)' is not a ticket number: expected 2 to \(TicketNumber.maximumLength) digits")
        }
    }

    /// Runs a store call, answering its refusals with the API's codes.
    func storeCall<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StoreError {
            switch error.code {
            case .unknownTicket: throw APIError(.ticketNotFound, error.message)
            case .mistypedNumber: throw APIError(.ticketNumberMistyped, error.message)
            case .malformedNumber: throw APIError(.ticketNumberMalformed, error.message)
            case .invalidArgument: throw APIError(.invalidRequest, error.message)
            default: throw error
            }
        } catch let error as InvalidTicketTransition {
            throw APIError(.invalidTransition, error.description)
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: APIRequestContext) async throws -> T {
        try await APIBody.decode(type, request, maxBodySize: maxBodySize)
    }

    func integer(_ text: Substring?, _ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError(.invalidRequest, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound); not '\(text)'")
        }
        return number
    }

    func nonEmpty(_ text: String, _ name: String, maximum: Int) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw APIError(.invalidRequest, "\(name) must not be empty") }
        guard trimmed.count <= maximum else { throw APIError(.invalidRequest, "\(name) is longer than \(maximum) characters") }
        return trimmed
    }
}

/// Request bodies: the API's JSON and the pages' forms, at most `http.max_body_size` bytes.
enum APIBody {
    /// Decodes the body as `T`; an empty body (as `curl -X POST` sends, with or without
    /// `Content-Length: 0`) is `whenEmpty` when the endpoint's body is optional.
    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, maxBodySize: Int, whenEmpty: T? = nil) async throws -> T {
        let buffer = try await collect(
            request, maxBodySize: maxBodySize, mediaType: "application/json", noun: "the request body", requirement: "JSON (Content-Type: application/json)")
        if buffer.readableBytes == 0, let whenEmpty { return whenEmpty }
        do {
            return try APIJSON.decoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError(.invalidRequest, "the request body is not what this endpoint takes: \(describe(error))")
        }
    }

    /// The body of `request`, at most `maxBodySize` bytes: 415 when it has a `Content-Type`
    /// that is not `mediaType` ("`noun` must be `requirement`, not …"), 413 when it is larger
    /// (by its `Content-Length`, or as it arrives).
    ///
    /// - Parameters:
    ///   - mediaType: The media type the body must have, lowercase (`application/json`).
    ///   - noun: The body in the refusals (`the request body`, `the form`).
    ///   - requirement: What the body must be, in the 415's message (`JSON (Content-Type: application/json)`).
    static func collect(_ request: Request, maxBodySize: Int, mediaType: String, noun: String, requirement: String) async throws -> ByteBuffer {
        if let contentType = request.headers[.contentType], !contentType.lowercased().hasPrefix(mediaType) {
            throw APIError(.unsupportedMediaType, "\(noun) must be \(requirement), not \(contentType)")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBodySize {
            throw APIError(.bodyTooLarge, "\(noun) is \(length) bytes; the limit is \(maxBodySize)")
        }
        var request = request
        do {
            return try await request.collectBody(upTo: maxBodySize)
        } catch is NIOTooManyBytesError {
            throw APIError(.bodyTooLarge, "\(noun) is over the limit of \(maxBodySize) bytes")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? snake($0.stringValue) }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, _): return "'\(snake(key.stringValue))' is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return context.codingPath.isEmpty ? "expected a JSON object" : "'\(path(context))' has the wrong type"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "not valid JSON" : "'\(path(context))' is not valid"
        @unknown default: return "not valid"
        }
    }

    /// `callerNumber` → `caller_number`, as the client wrote it.
    static func snake(_ key: String) -> String {
        var out = ""
        for character in key {
            if character.isUppercase {
                out += "_" + character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
