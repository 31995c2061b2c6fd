public import AMIClient
public import Foundation
public import IVR
public import Logging
public import Routing
public import Store
import HelplineDomain
import TimeSupport

/// The application behind the menus' actions: tickets in the store, decisions from routing
/// over the live queue figures.
public struct HelplineMenuApplication: MenuApplication {
    /// The store.
    public let store: any HelplineStore
    /// The routing directory in force (read per call, so a reload applies to the next call).
    public let directory: @Sendable () -> Directory
    /// The live figures of the queues now.
    public let liveLoad: @Sendable () -> LiveLoad
    /// The PBX the calls come from.
    public let pbx: String
    /// The clock.
    public let now: @Sendable () -> Date
    /// Where a call row that could not be stored is reported.
    public let logger: Logger
    /// How long after a feedback or campaign call in which nothing was pressed it is made
    /// again, seconds (a campaign may set its own).
    public var feedbackRetry: TimeInterval = CallRetry.standard.afterNoAnswer.seconds
    /// Attempts a campaign contact gets, unless its campaign sets its own.
    public var maximumAttempts = CallRetry.standard.maximumAttempts
    /// Seat control for the seat menu's actions (nil: no AMI endpoint; they fail).
    public var seats: SeatControl?

    /// An application over a store, a directory and live figures.
    public init(store: any HelplineStore, directory: @escaping @Sendable () -> Directory, liveLoad: @escaping @Sendable () -> LiveLoad, pbx: String, now: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "helpline.calls")) {
        self.store = store
        self.directory = directory
        self.liveLoad = liveLoad
        self.pbx = pbx
        self.now = now
        self.logger = logger
    }

    /// What one call keeps between its actions (``CallState/applicationMemo``).
    struct Memo: Sendable {
        /// The caller's open tickets as the call began, read once per call: routing sends a
        /// repeat caller back to the same department. The ticket the call registers is not
        /// added: the call's decision is made with it, not after it.
        var openTickets: [OpenTicket]?
        /// The read of the caller's open tickets started when the call began (see
        /// ``callStarting(_:actions:)``), until an action takes its result.
        var openTicketsRead: Task<[Ticket], any Error>?
        /// Decisions to store with the call's row (a call handed to a queue: nothing was
        /// promised to the caller that depends on it), in the same transaction.
        var decisions: [(decision: RoutingDecisionInput, at: Date)] = []
        /// A callback offered and not yet answered: owed when the caller accepts it or hangs up
        /// before choosing.
        var offeredCallback: OfferedCallback?
        /// The call's one routing decision: made at registration, or by the first route when
        /// the call registered nothing. Later routes and the hand-off to the dialplan use it.
        var routed: Routed?
    }

    /// The call's routing decision with its row for `routing_decisions`.
    struct Routed: Sendable {
        /// Where the call goes and why.
        var decision: CallDecision
        /// The decision's row.
        var record: RoutingDecisionInput
        /// When it was made.
        var at: Date
        /// Whether the row is stored already (with the ticket it registered, or by a route).
        var stored: Bool
    }

    /// When a callback the IVR promised is due: a department closed now is called back at its
    /// next opening (the caller heard "during office hours"); any other, at once.
    static func callbackDue(_ decision: CallDecision, directory: Directory, now: Date) -> Date? {
        guard decision.reasons.contains(where: { if case .outsideOpeningHours = $0 { true } else { false } }),
              let department = decision.department, let hours = directory.departments[department]?.openingHours
        else { return nil }
        return hours.nextOpening(after: now, utcOffset: directory.policy.utcOffset)
    }

    /// Why a callback is owed, as the callbacks list shows it: the IVR, the outcome and the
    /// reasons about the queues and hours that decided it (`IVR: callback: no seat is logged in
    /// to water-l1@pbx1; overflow queue water-overflow@pbx1 has no free seat`).
    static func callbackReason(_ decision: CallDecision) -> String {
        let why = decision.reasons.filter { reason in
            switch reason {
            case .category, .emergency, .repeatCaller, .officer, .noOfficer, .generalQueue: false
            default: true
            }
        }
        return "IVR: \(decision.action.rawValue)" + (why.isEmpty ? "" : ": " + why.map(\.description).joined(separator: "; "))
    }

    /// What a callback offer would owe.
    struct OfferedCallback: Sendable {
        var department: String?
        var queue: String?
        var ticket: String?
    }

    /// The actions that need the caller's open tickets.
    static let actionsReadingOpenTickets: Set<Action.Kind> = [.openTickets, .createTicket, .route]

    /// Starts reading the caller's open tickets when the menu will need them: the read runs
    /// while the welcome and the language choice play, not between two of the caller's steps.
    public func callStarting(_ state: inout CallState, actions: Set<Action.Kind>) {
        guard !state.caller.isEmpty, !actions.isDisjoint(with: Self.actionsReadingOpenTickets) else { return }
        var memo = state.applicationMemo as? Memo ?? Memo()
        let store = store, caller = state.caller
        memo.openTicketsRead = Task { try await store.openTickets(callerNumber: caller) }
        state.applicationMemo = memo
    }

    /// The caller's open tickets, newest first: the read started with the call if there is
    /// one (taken once), else read now.
    func readOpenTickets(_ state: CallState, _ memo: inout Memo) async throws -> [Ticket] {
        if let read = memo.openTicketsRead {
            memo.openTicketsRead = nil
            return try await read.value
        }
        return try await store.openTickets(callerNumber: state.caller)
    }

    public func perform(_ action: Action.Kind, state: inout CallState) async throws -> ActionResult {
        var memo = state.applicationMemo as? Memo ?? Memo()
        defer { state.applicationMemo = memo }
        switch action {
        case .openTickets:
            guard !state.caller.isEmpty else { return ActionResult(outcome: "none") }
            let open = try await readOpenTickets(state, &memo)
            memo.openTickets = open.map { OpenTicket(number: $0.number, category: $0.category, department: $0.department) }
            guard let newest = open.first else { return ActionResult(outcome: "none") }
            return ActionResult(outcome: "some", variables: ["ticket": newest.number, "ticket_status": newest.status.rawValue])
        case .ticketStatus:
            switch try await store.lookup(keyed: state.variables["ticket_number"] ?? "") {
            case .found(let ticket): return ActionResult(outcome: "found", variables: ["ticket": ticket.number, "ticket_status": ticket.status.rawValue])
            case .mistyped: return ActionResult(outcome: "mistyped")
            case .unknown, .malformed: return ActionResult(outcome: "unknown")
            }
        case .createTicket:
            let (call, load, now) = try await routingInputs(state, &memo)
            let registration = directory().registration(
                call, load: load, now: now, source: .ivr, descriptionRecording: state.variables["recording"].flatMap { $0.isEmpty ? nil : $0 })
            let created = try await store.createTicket(registration.ticket, decision: registration.record, actor: "ivr", note: nil, at: now)
            // The complaint's one decision: the route step uses it. A retried session that found
            // the call's ticket already there stored no row for it; the route stores it then.
            memo.routed = Routed(decision: registration.decision, record: registration.record, at: now, stored: created.created)
            return ActionResult(variables: ["ticket": created.ticket.number])
        case .route:
            let routed: Routed
            if let known = memo.routed {
                routed = known
            } else {
                // Nothing registered in this call (an agent asked for, an emergency): decide now.
                let directory = directory()
                let (call, load, now) = try await routingInputs(state, &memo)
                let decision = directory.decide(call, load: load, now: now)
                routed = Routed(decision: decision, record: decision.record(call: call, load: load, directory: directory, now: now), at: now, stored: false)
            }
            // Stored once: with the ticket, by this step, or with the call's row.
            memo.routed = routed
            let decision = routed.decision
            var variables = ["priority": "\(decision.priority)"]
            if let queue = decision.queue { variables["queue"] = queue.queue }
            switch decision.action {
            case .queue, .overflowQueue:
                // Stored with the call's row when the session ends, a few commands later.
                if !routed.stored { memo.decisions.append((routed.record, routed.at)) }
                memo.routed?.stored = true
                return ActionResult(outcome: "queue", variables: variables)
            case .callbackOffer:
                // Seats are there but the wait is long: the caller chooses. Nothing is owed
                // until they accept (or hang up before choosing).
                if !routed.stored { try await store.recordDecision(routed.record, at: routed.at) }
                memo.routed?.stored = true
                memo.offeredCallback = OfferedCallback(department: decision.department, queue: decision.queue?.queue, ticket: state.variables["ticket"])
                if let wait = decision.estimatedWaitSeconds { variables["wait_minutes"] = "\(max(1, Int((wait / 60).rounded(.up))))" }
                return ActionResult(outcome: "callback_offer", variables: variables)
            case .callback, .complaintOnly, .closed:
                if !routed.stored { try await store.recordDecision(routed.record, at: routed.at) }
                memo.routed?.stored = true
                // The menu promises a callback: it is owed from this moment, and due when the
                // department can take it (a closed department's next opening).
                let time = now()
                try await store.addCallback(
                    callerNumber: state.caller, callUniqueid: state.uniqueid.isEmpty ? nil : state.uniqueid, department: decision.department,
                    queue: decision.queue?.queue, reason: Self.callbackReason(decision), ticket: state.variables["ticket"],
                    dueAt: Self.callbackDue(decision, directory: directory(), now: time), at: time)
                return ActionResult(outcome: decision.action.rawValue, variables: variables)
            }
        case .feedback:
            guard let number = state.variables["ticket"], let history = try await store.history(number: number) else {
                return ActionResult(outcome: "not_awaiting", variables: ["feedback_step": "unknown_ticket"])
            }
            guard let answer = state.variables["answer"], answer == "yes" || answer == "no" else {
                // Nothing pressed: the call counts as not answered, and is made again later
                // while it has attempts left.
                guard history.ticket.status == .resolved else { return ActionResult(outcome: "not_awaiting", variables: ["feedback_step": "not_resolved"]) }
                guard try await store.feedbackNotGiven(ticket: number, retryAt: now().addingTimeInterval(feedbackRetry), maximumAttempts: maximumAttempts) else {
                    return ActionResult(outcome: "not_awaiting", variables: ["feedback_step": "no_attempts_left"])
                }
                return ActionResult(outcome: "no_answer", variables: ["feedback_step": "call_again"])
            }
            let step = directory().afterFeedback(ticket: history.ticket, history: history.events, satisfied: state.variables["answer"] == "yes", now: now())
            guard let action = step.action else {
                // Not awaiting feedback (not resolved, or already closed): nothing is recorded.
                return ActionResult(outcome: "not_awaiting", variables: ["feedback_step": step.step.rawValue])
            }
            try await store.apply(action, to: number, actor: "ivr", note: step.note, dueAt: step.dueAt, officer: step.officer, callUniqueid: state.uniqueid, notifications: nil, at: now())
            return ActionResult(variables: ["feedback_step": step.step.rawValue])
        case .acceptCallback:
            guard let offer = memo.offeredCallback else { return ActionResult() }
            memo.offeredCallback = nil
            _ = try await store.addCallback(
                callerNumber: state.caller, callUniqueid: state.uniqueid.isEmpty ? nil : state.uniqueid, department: offer.department,
                queue: offer.queue, reason: "IVR: callback offer accepted", ticket: offer.ticket, dueAt: nil, at: now())
            return ActionResult()
        case .waitInQueue:
            // The decision was stored with the offer; the call now goes to its queue.
            memo.offeredCallback = nil
            return ActionResult(outcome: "queue")
        case .saveAnswers:
            guard let contact = state.variables["contact"].flatMap({ Int64($0) }),
                try await store.saveCampaignAnswers(contact: contact, answers: Self.answers(state), callUniqueid: state.uniqueid.isEmpty ? nil : state.uniqueid, at: now())
            else { return ActionResult(outcome: "unknown_contact") }
            return ActionResult()
        case .seatLogin, .seatLogout, .seatPause, .seatUnpause:
            return await seatAction(action, state)
        }
    }

    /// A seat's action from its own phone: the seat is the calling channel's endpoint.
    func seatAction(_ action: Action.Kind, _ state: CallState) async -> ActionResult {
        guard let seats, let seat = SeatControl.seat(ofChannel: state.channel) else {
            logger.warning("A seat action from a channel that is not a seat, or without AMI", metadata: ["channel": "\(state.channel)", "action": "\(action.rawValue)"])
            return ActionResult(outcome: "failed", variables: ["seat_problem": seats == nil ? "no AMI endpoint" : "not a seat's channel"])
        }
        let results: [SeatControl.Result]
        do {
            switch action {
            case .seatLogin:
                let queues = (state.variables["queues"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                results = try await seats.login(seat: seat, queues: queues, pbx: pbx)
            case .seatLogout: results = try await seats.logout(seat: seat, pbx: pbx)
            case .seatPause: results = [try await seats.pause(seat: seat, paused: true, reason: state.variables["pause_reason"], pbx: pbx)]
            default: results = [try await seats.pause(seat: seat, paused: false, pbx: pbx)]
            }
        } catch {
            logger.warning("Seat action refused", metadata: ["seat": "\(seat)", "action": "\(action.rawValue)", "problem": "\(error.message)"])
            return ActionResult(outcome: "failed", variables: ["seat_problem": error.message])
        }
        let failed = results.filter { !$0.ok }
        logger.notice("Seat action from its phone", metadata: [
            "seat": "\(seat)", "action": "\(action.rawValue)", "results": "\(results.map { "\($0.queue ?? "all"): \($0.message)" }.joined(separator: "; "))",
        ])
        // Logging in to a queue the seat is already in is not a failure for the agent.
        guard failed.allSatisfy({ $0.message.contains("Already there") }) else {
            return ActionResult(outcome: "failed", variables: ["seat_problem": failed.map(\.message).joined(separator: "; ")])
        }
        return ActionResult()
    }

    /// The menu's answers given so far, each with its question's place in the menu.
    static func answers(_ state: CallState) -> [(question: String, position: Int, answer: String)] {
        state.answers.enumerated().compactMap { position, question in
            state.variables[question].flatMap { $0.isEmpty ? nil : (question, position, $0) }
        }
    }

    /// The call as routing sees it, the live figures, and the time. The caller's open tickets
    /// are read once per call.
    func routingInputs(_ state: CallState, _ memo: inout Memo) async throws -> (CallInput, LiveLoad, Date) {
        let open: [OpenTicket]
        if let known = memo.openTickets {
            open = known
        } else {
            open = state.caller.isEmpty ? [] : try await readOpenTickets(state, &memo).map {
                OpenTicket(number: $0.number, category: $0.category, department: $0.department)
            }
            memo.openTickets = open
        }
        let call = CallInput(
            uniqueid: state.uniqueid.isEmpty ? nil : state.uniqueid, callerNumber: state.caller, language: state.language, pbx: pbx,
            category: state.variables["category"], district: state.variables["district"], openTickets: open)
        return (call, liveLoad(), now())
    }

    public func validate(_ digits: String, as validation: Collect.Validation) -> Bool {
        switch validation {
        case .none, .amount: true
        case .district: directory().districts[digits] != nil
        case .ticketNumber: if case .valid = TicketNumber.parse(digits) { true } else { false }
        case .phoneNumber: (7...15).contains(digits.count)
        }
    }

    public func callEnded(_ state: CallState, outcome: CallOutcome) async {
        // A read started with the call that no action took (the caller hung up before).
        (state.applicationMemo as? Memo)?.openTicketsRead?.cancel()
        let text: String
        switch outcome {
        case .hungUpByMenu: text = "completed"
        case .callerHungUp(let node): text = "caller_hung_up_at:\(node)"
        case .handedOff(let action): text = "handed_off:\(action)"
        case .failed: text = "failed"
        }
        let call = CallRecord(
            uniqueid: state.uniqueid.isEmpty ? "unknown-\(UUID().uuidString)" : state.uniqueid, caller: state.caller, dnid: state.dnid,
            language: state.language, script: state.menu, path: state.path, outcome: text, startedAt: state.startedAt, endedAt: now())
        // Every call must be handled: a caller who hung up after choosing what the complaint is
        // about, before it was registered, is called back.
        if case .callerHungUp(let node) = outcome, state.variables["category"] != nil, state.variables["ticket"] == nil, !state.caller.isEmpty {
            let department = state.variables["category"].flatMap { directory().categories[$0]?.department }
            await persist("the callback owed to a caller who hung up", call: call) {
                _ = try await store.addCallback(
                    callerNumber: state.caller, callUniqueid: state.uniqueid.isEmpty ? nil : state.uniqueid, department: department,
                    queue: nil, reason: "hung up at \(node) before the complaint was registered", ticket: nil, dueAt: nil, at: now())
            }
        }
        // A caller who hung up while a callback was offered (or whose menu had no branch for
        // the offer and ended elsewhere than in the queue) is owed the callback.
        if let offer = (state.applicationMemo as? Memo)?.offeredCallback, !state.caller.isEmpty {
            if case .handedOff = outcome {} else {
                await persist("the callback owed to a caller who was offered one", call: call) {
                    _ = try await store.addCallback(
                        callerNumber: state.caller, callUniqueid: state.uniqueid.isEmpty ? nil : state.uniqueid, department: offer.department,
                        queue: offer.queue, reason: "IVR: callback offered, caller hung up before choosing", ticket: offer.ticket, dueAt: nil, at: now())
                }
            }
        }
        // A feedback call the citizen hung up before answering: made again later, as when
        // nothing was pressed (the `feedback` menu's own path for that never ran).
        if case .callerHungUp = outcome, state.menu == "feedback", state.variables["answer"] == nil, let number = state.variables["ticket"] {
            await persist("the feedback call owed again after a hangup", call: call) {
                try await store.feedbackNotGiven(ticket: number, retryAt: now().addingTimeInterval(feedbackRetry), maximumAttempts: maximumAttempts)
            }
        }
        // A campaign call: what the contact answered, and whether they are called again.
        if !state.answers.isEmpty, let contact = state.variables["contact"].flatMap({ Int64($0) }) {
            await persist("the answers of a campaign call", call: call) {
                try await store.campaignCallEnded(
                    contact: contact, answers: Self.answers(state), callUniqueid: state.uniqueid.isEmpty ? nil : state.uniqueid,
                    defaultRetry: feedbackRetry, defaultMaximumAttempts: maximumAttempts, at: now())
            }
        }
        // The call row last, with the decision that handed it to a queue: once it is there,
        // everything the call left is stored.
        let decisions = (state.applicationMemo as? Memo)?.decisions ?? []
        await persist("the call's row and its routing decision", call: call) {
            try await store.recordCall(call, decisions: decisions)
        }
    }

    /// Writes what a call leaves after it ended, trying three times (the database may be busy
    /// for a moment); a write that still fails is logged as an error with the call's uniqueid.
    func persist(_ what: String, call: CallRecord, _ write: () async throws -> Void) async {
        for attempt in 1...3 {
            do {
                try await write()
                return
            } catch {
                guard attempt < 3 else {
                    logger.error(
                        "\(what) could not be stored",
                        metadata: ["uniqueid": "\(call.uniqueid)", "outcome": "\(call.outcome ?? "")", "error": "\(error)"])
                    return
                }
                try? await Task.sleep(for: .milliseconds(50 * attempt))
            }
        }
    }
}
