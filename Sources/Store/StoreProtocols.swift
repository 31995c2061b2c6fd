public import Foundation
public import HelplineDomain

// The store's API split by what callers need: the app, the IVR actions and the HTTP API can
// take the narrowest protocol that serves them, and a second backend provides all of them
// (``HelplineStore``) and passes the same contract tests. ``TicketStore`` is the SQLite one.
//
// Default arguments cannot be part of a requirement: each requirement below is declared with
// every parameter, and ``TicketStore`` keeps its defaults (a caller of the concrete type may
// still leave them out; a caller of `any HelplineStore` passes them).

/// Tickets: registering them, changing them through their lifecycle, and reading them with
/// their history.
public protocol TicketRepository: Sendable {
    /// Registers a complaint with its first history entries and, when given, the routing
    /// decision that sent it, all in one transaction.
    ///
    /// When `new.callUniqueid` already has a ticket, nothing is written and that ticket is
    /// returned with `created == false`: a retried FastAGI session never makes a second one.
    /// `note` goes with the `registered` history entry.
    func createTicket(_ new: NewTicket, decision: RoutingDecisionInput?, actor: String, note: String?, at now: Date) async throws -> TicketCreation

    /// Applies a lifecycle action to the ticket `number` and appends its history entry, with
    /// the outbox messages `notifications` makes of the change, in one transaction; returns
    /// the ticket as it now stands.
    ///
    /// - Throws: ``StoreError`` for an unknown or mistyped number, ``InvalidTicketTransition``
    ///   when the action is not valid now.
    @discardableResult
    func apply(_ action: TicketAction, to number: String, actor: String, note: String?, dueAt: Date?, officer newOfficer: String?, callUniqueid: String?, notifications: NotificationPolicy?, at now: Date) async throws -> Ticket

    /// The ticket with this number, if any.
    func ticket(number: String) async throws -> Ticket?

    /// What a number keyed by a caller refers to: a ticket, no ticket, or a typing error.
    func lookup(keyed digits: String) async throws -> TicketLookup

    /// The caller's tickets that are still open, newest first.
    func openTickets(callerNumber: String) async throws -> [Ticket]

    /// A department's tickets (every department's when `department` is nil), oldest first,
    /// optionally of one status and level, one page at a time.
    func tickets(department: String?, status: TicketStatus?, level: TicketLevel?, limit: Int, offset: Int) async throws -> [Ticket]

    /// A department's tickets (every department's when `department` is nil), oldest first, in
    /// any of `statuses` (any status when empty), optionally of one level, one page at a time.
    func tickets(department: String?, statuses: [TicketStatus], level: TicketLevel?, limit: Int, offset: Int) async throws -> [Ticket]

    /// Open tickets past their SLA due time at `now`, most overdue first; resolved tickets
    /// awaiting the citizen's feedback are not overdue.
    func overdueTickets(at now: Date, limit: Int) async throws -> [Ticket]

    /// A ticket with its history, its feedback and the routing decisions of it and its call.
    func history(number: String) async throws -> TicketHistory?
}

/// IVR sessions and the routing decisions made during them.
public protocol CallRecorder: Sendable {
    /// Records an IVR session, or updates the row its uniqueid already has, with the routing
    /// decisions made during it that were not stored yet, in one transaction. Returns once
    /// they are durable.
    func recordCall(_ call: CallRecord, decisions: [(decision: RoutingDecisionInput, at: Date)]) async throws

    /// Records a routing decision that created no ticket (a call queued, a callback offered);
    /// returns its row id.
    @discardableResult
    func recordDecision(_ decision: RoutingDecisionInput, at now: Date) async throws -> Int64

    /// The routing decisions made for a call, in order.
    func decisions(callUniqueid: String) async throws -> [RoutingDecision]

    /// The IVR session with this uniqueid.
    func call(uniqueid: String) async throws -> CallRecord?
}

/// Callbacks owed to callers: registering them and reading them.
public protocol CallbackStore: Sendable {
    /// Registers a callback owed to a caller; returns its row id. While a callback to the same
    /// number is still to be made, the new one joins it and its id is returned.
    @discardableResult
    func addCallback(callerNumber: String, callUniqueid: String?, department: String?, queue: String?, reason: String, ticket: String?, dueAt: Date?, at now: Date) async throws -> Int64

    /// The callbacks still to be made, oldest first.
    func pendingCallbacks(limit: Int) async throws -> [PendingCallback]

    /// A callback's status, attempts and last result; nil when no callback has this id.
    func callback(id: Int64) async throws -> (status: String, attempts: Int, lastResult: String?, reason: String)?
}

/// The calls the helpline places (feedback calls, callbacks, campaign contacts): what is due,
/// claiming one before dialling, and recording how it went.
public protocol OutboundCallStore: Sendable {
    /// Feedback calls and callbacks due at `now`, oldest first, then the due contacts of
    /// running campaigns, oldest first. At most `limit` of each.
    func dueOutboundCalls(at now: Date, limit: Int) async throws -> [OutboundCall]

    /// Claims a due call before it is dialled: true when this caller got it (it was still pending).
    func claim(_ call: OutboundCall, at now: Date) async throws -> Bool

    /// Records how a claimed call went: answered → done; otherwise pending again at `retryAt`,
    /// or failed for good when `retryAt` is nil.
    func finish(_ call: OutboundCall, result: OutboundResult, retryAt: Date?, at now: Date) async throws

    /// Puts calls left `dialling` by a daemon that stopped mid-call back on the list, due at
    /// `retryAt`; returns how many.
    @discardableResult
    func recoverInterruptedCalls(retryAt: Date, at now: Date) async throws -> Int

    /// The citizen answered the feedback call but pressed nothing: the ticket's latest feedback
    /// call is due again at `retryAt` while it has made fewer than `maximumAttempts` attempts,
    /// and fails after that. Returns whether the call will be made again.
    @discardableResult
    func feedbackNotGiven(ticket number: String, retryAt: Date, maximumAttempts: Int) async throws -> Bool

    /// The citizen answered callback `id` but left the queue before a seat answered: due again
    /// at `retryAt` while fewer than `maximumAttempts` attempts were made, else failed.
    /// Returns whether it will be made again.
    @discardableResult
    func callbackLeftQueue(id: Int64, retryAt: Date, maximumAttempts: Int) async throws -> Bool

    /// The feedback calls of a ticket, oldest first.
    func feedbackCalls(ticket number: String) async throws -> [(status: String, attempts: Int, lastResult: String?)]
}

/// Outbound campaigns: their contacts, their rules and progress, the answers their calls
/// collect, and their results.
public protocol CampaignStore: Sendable {
    /// Adds contacts to the campaign `name` (created, as a draft running `menu`, if new); a
    /// number already on the campaign is left as it is. Returns the campaign's id and how many
    /// contacts were added.
    func importContacts(_ contacts: [CampaignContact], campaign name: String, menu: String, at now: Date) async throws -> (campaign: Int64, added: Int)

    /// Every campaign with its contacts counted by status, newest first.
    func campaigns() async throws -> [CampaignProgress]

    /// The campaign called `name`, with its progress; nil when there is none.
    func campaign(named name: String) async throws -> CampaignProgress?

    /// Starts (or resumes) the campaign `name` with `settings` (nil: the rules it has).
    /// Throws ``StoreError`` for an unknown campaign or one with no contact left to call.
    @discardableResult
    func startCampaign(named name: String, settings: CampaignSettings?) async throws -> CampaignProgress

    /// Pauses the campaign `name`: no new calls; calls being made finish.
    @discardableResult
    func pauseCampaign(named name: String) async throws -> CampaignProgress

    /// Stores what a contact answered on a campaign call; false when the contact is unknown
    /// (nothing stored).
    @discardableResult
    func saveCampaignAnswers(contact: Int64, answers: [(question: String, position: Int, answer: String)], callUniqueid: String?, at now: Date) async throws -> Bool

    /// A campaign call the contact answered has ended: the answers are stored and the contact
    /// is done, or, with nothing answered, called again or failed by the campaign's rules
    /// (`defaultRetry` seconds and `defaultMaximumAttempts` when it sets none).
    func campaignCallEnded(contact: Int64, answers: [(question: String, position: Int, answer: String)], callUniqueid: String?,
                           defaultRetry: TimeInterval, defaultMaximumAttempts: Int, at now: Date) async throws

    /// The results of the campaign `name`: every contact with its status and answers. Throws
    /// ``StoreError`` for an unknown campaign.
    func campaignReport(named name: String) async throws -> CampaignReport
}

/// The outbox of SMS and webhooks: queueing messages, claiming due ones for an attempt,
/// recording each outcome, and bringing dead ones back.
public protocol OutboxStore: Sendable {
    /// Queues messages outside any ticket change; each is pending and due at `now`.
    func enqueue(_ messages: [OutboxMessage], ticketID: Int64?, at now: Date) async throws

    /// Claims up to `limit` due messages, oldest due first, for one attempt each: their attempt
    /// count goes up by one and their next attempt moves to `now + lease`. A message whose
    /// sender died mid-attempt is due again when its lease runs out.
    func claimDueOutbox(limit: Int, lease: Duration, at now: Date) async throws -> [OutboxEntry]

    /// Marks a pending message sent; false when it was not pending.
    @discardableResult
    func recordSent(_ id: Int64, at now: Date) async throws -> Bool

    /// Records a failed attempt of a pending message: tried again at `retryAt`, or dead when
    /// `retryAt` is nil. False when it was not pending.
    @discardableResult
    func recordFailure(_ id: Int64, error: String, retryAt: Date?, at now: Date) async throws -> Bool

    /// Brings dead messages back (pending, attempts reset, due at `now`); returns what happened
    /// to each id, in the order given.
    func retryOutbox(ids: [Int64], at now: Date) async throws -> [(id: Int64, result: OutboxRetryResult)]

    /// Brings every dead message back; returns their ids.
    func retryAllDeadOutbox(at now: Date) async throws -> [Int64]

    /// Messages, newest first, optionally of one status.
    func outbox(status: OutboxStatus?, limit: Int) async throws -> [OutboxEntry]

    /// The ticket's messages, oldest first.
    func outbox(ticketNumber number: String) async throws -> [OutboxEntry]

    /// How many messages are pending (due or waiting for a later attempt).
    func pendingOutboxCount() async throws -> Int
}

/// Callers in the PBXs' queues, as AMI reports them, and their daily figures.
public protocol QueueCallStore: Sendable {
    /// Records a queue event of `pbx` at `now`; a repeated event changes nothing.
    func recordQueueEvent(_ event: QueueCallEvent, pbx: String, at now: Date) async throws

    /// Calls per local day and department that joined a queue from `start` up to `end`;
    /// `threshold` is the service level's answer time, seconds.
    func dailyCallFigures(from start: Date, to end: Date, utcOffset: Int, threshold: Int) async throws -> [DailyCallFigures]

    /// Records events read from `pbx`'s queue_log, each at its own time, and moves the read
    /// position to `position` (when given) in the same transaction; events already recorded
    /// change nothing.
    func recordQueueLog(_ events: [(event: QueueCallEvent, at: Date)], pbx: String, position: QueueLogPosition?) async throws

    /// How far `pbx`'s queue_log has been read; nil before the first read.
    func queueLogPosition(pbx: String) async throws -> QueueLogPosition?

    /// The daily figures of `pbx` per local day and queue (``DailyCallFigures/queue`` set).
    func dailyQueueFigures(pbx: String, from start: Date, to end: Date, utcOffset: Int, threshold: Int) async throws -> [DailyCallFigures]
}

/// The figures of the dashboard, the reports and `/metrics`.
public protocol ReportFigures: Sendable {
    /// How many tickets the store holds, in every state.
    func ticketCount() async throws -> Int

    /// Open tickets counted by department and status.
    func openTicketCounts() async throws -> [TicketCount]

    /// Tickets registered per local day, department and current status, for days in
    /// `from..<to` (local days start at midnight `utcOffset` seconds east of UTC).
    func dailyCounts(from start: Date, to end: Date, utcOffset: Int) async throws -> [DailyCount]

    /// Complaint figures (registered, resolved, escalated, overdue) per local day and
    /// department for days in `from..<to`, overdue counted up to `now`.
    func dailyComplaintFigures(from start: Date, to end: Date, utcOffset: Int, now: Date) async throws -> [DailyComplaintFigures]

    /// Open tickets past their due time at `now`, counted by department.
    func overdueCounts(at now: Date) async throws -> [String: Int]

    /// How many IVR sessions (inbound calls and feedback calls alike) started in `from..<to`.
    func callCount(from start: Date, to end: Date) async throws -> Int

    /// How much is waiting in the outbox and on the outbound lists (running campaigns only).
    func workFigures() async throws -> WorkFigures
}

/// Whether the store can do its job now (readiness probes).
public protocol StoreHealth: Sendable {
    /// Checks that the store takes writes now, changing nothing; throws what the database
    /// reports when it does not.
    func checkWritable() async throws
}

/// Everything a store backend provides: the daemon, its IVR actions and the HTTP API work over
/// it. ``TicketStore`` (SQLite) is one; another backend conforms to each part and passes the
/// same contract tests.
public typealias HelplineStore = TicketRepository & CallRecorder & CallbackStore & OutboundCallStore & CampaignStore & OutboxStore & QueueCallStore & ReportFigures & StoreHealth & AccountStore

extension TicketStore: TicketRepository {}
extension TicketStore: CallRecorder {}
extension TicketStore: CallbackStore {}
extension TicketStore: OutboundCallStore {}
extension TicketStore: CampaignStore {}
extension TicketStore: OutboxStore {}
extension TicketStore: QueueCallStore {}
extension TicketStore: ReportFigures {}
extension TicketStore: StoreHealth {}
