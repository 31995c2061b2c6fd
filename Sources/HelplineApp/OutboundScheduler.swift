public import AMIClient
public import Foundation
public import Logging
public import ServiceLifecycle
public import Store
public import CoreMetrics
import Synchronization
import YAMLSupport
import Yams
public import HelplineDomain
public import TimeSupport

/// How the daemon places the calls it owes: feedback calls after resolutions and callbacks
/// (the `outbound` section of the configuration). Without the section nothing is dialled; the
/// calls wait in the database.
public struct OutboundConfiguration: Sendable, Hashable {
    /// The AMI endpoint that originates the calls (nil: the default PBX).
    public var pbx: String?
    /// How a citizen's number is reached, with `${number}` in it: a Local channel into the
    /// dialplan's `helpline-outbound` context, which dials `${HELPLINE_TRUNK}`. The `/n` keeps
    /// the Local channel in the call: without it Asterisk optimizes the channel away when the
    /// citizen is bridged to a seat, and app_queue then logs the callback as ended
    /// (COMPLETECALLER, talk time 0) and its channel's Hangup comes while the call goes on.
    public var channel = "Local/${number}@helpline-outbound/n"
    /// `HELPLINE_TRUNK` for the dialplan (`DAHDI/g1`, `PJSIP/carrier` …); nil: not set.
    public var trunk: String?

    /// What an administrator should know before outbound calls can be placed, said by
    /// `helpline config check` and logged at start-up; empty when nothing is in doubt.
    public var notes: [String] {
        var notes: [String] = []
        if trunk == nil, channel.contains("@helpline-outbound") {
            notes.append(
                "outbound.trunk is not set: the dialplan's helpline-outbound context dials ${HELPLINE_TRUNK}, so it must be "
                    + "set in [globals] of extensions.conf (asterisk-conf/extensions.conf ships DAHDI/g1); without either, every "
                    + "feedback call, callback and campaign call fails with \"No channel type registered for ''\"")
        }
        // Local/EXTEN@CONTEXT/OPTIONS: the options come after the second slash.
        let parts = channel.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        if parts.first == "Local", !(parts.count == 3 && parts[2].contains("n")) {
            notes.append(
                "outbound.channel '\(channel)' is a Local channel without /n: Asterisk optimizes it away once the citizen is "
                    + "bridged, so a callback's queue call is logged as ended with talk time 0 and its channel's Hangup comes "
                    + "while the call goes on (pacing then counts it as ended); add /n, as the default does")
        }
        return notes
    }
    /// The caller ID the citizen sees (the helpline's number).
    public var callerID: String?
    /// At most this many outbound calls at once (the trunk channels set aside for them).
    public var maximumChannels = 4
    /// How long the citizen's phone may ring.
    public var ringTimeout: Duration = .seconds(45)
    /// When citizens may be called, local time (minutes after midnight, start..<end).
    public var callingHours = LocalTimeWindow(start: 9 * 60, end: 20 * 60)
    /// Other hours for some districts.
    public var districtHours: [String: LocalTimeWindow] = [:]
    /// Seconds east of UTC of the local time the hours are in (IST: 19800).
    public var utcOffset = 19_800
    /// When a call is made again, and how many attempts it gets (`retry_no_answer`,
    /// `retry_busy`, `retry_failure`, `max_attempts`).
    public var retry = CallRetry.standard
    /// The queue priority of an answered callback (raised: the caller waited once already).
    public var callbackPriority = 8
    /// How often the list of due calls is read.
    public var pollInterval: Duration = .seconds(5)

    /// The defaults.
    public init() {}

    /// The hours that apply in `district`.
    public func hours(district: String?) -> LocalTimeWindow {
        district.flatMap { districtHours[$0] } ?? callingHours
    }
}

/// Which due calls may be dialled now: pure, so its rules are tested without a PBX.
///
/// Nothing is dialled while the PBX's live state is missing or stale. Every call needs a free
/// outbound channel; a callback also needs a free seat in its queue (seats not paused, not on a
/// call, minus the callbacks already ringing for that queue), since it is connected to an agent
/// when answered. A call outside its district's calling hours waits; a campaign's call waits
/// outside the campaign's window when it has one, and beyond the campaign's own channels.
/// The calls the helpline owes come first in `due`, so campaigns get the channels left over.
public struct OutboundPacing: Sendable {
    /// The configuration.
    public var configuration: OutboundConfiguration

    /// Pacing by `configuration`.
    public init(configuration: OutboundConfiguration) {
        self.configuration = configuration
    }

    /// The calls to dial now, in order, each with the queue a callback connects to.
    ///
    /// - Parameters:
    ///   - inFlight: calls being dialled now.
    ///   - callbacksInFlight: callbacks being dialled now, by queue.
    ///   - campaignsInFlight: campaign calls being made now, by campaign id.
    ///   - queueOf: the queue a callback goes to (its own, else its department's, else the general queue).
    public func select(_ due: [OutboundCall], state: PBXState?, inFlight: Int, callbacksInFlight: [String: Int], campaignsInFlight: [Int64: Int] = [:],
                       now: Date, queueOf: (OutboundCall) -> String?) -> [(call: OutboundCall, queue: String?)] {
        guard let state, state.staleSince == nil else { return [] }
        var channels = configuration.maximumChannels - inFlight
        var reserved = callbacksInFlight
        var campaignCalls = campaignsInFlight
        var chosen: [(OutboundCall, String?)] = []
        let seconds = now.timeIntervalSince1970
        for call in due where channels > 0 {
            let hours = call.campaign?.settings.window.flatMap(LocalTimeWindow.init) ?? configuration.hours(district: call.district)
            guard hours.contains(now, utcOffset: configuration.utcOffset) else { continue }
            switch call.kind {
            case .feedback:
                chosen.append((call, nil))
            case .callback:
                guard let queue = queueOf(call), let figures = state.queues[queue]?.figures(now: seconds) else { continue }
                guard figures.available - reserved[queue, default: 0] > 0 else { continue }
                reserved[queue, default: 0] += 1
                chosen.append((call, queue))
            case .campaign:
                guard let campaign = call.campaign else { continue }
                if let limit = campaign.settings.channels, campaignCalls[campaign.id, default: 0] >= limit { continue }
                campaignCalls[campaign.id, default: 0] += 1
                chosen.append((call, nil))
            }
            channels -= 1
        }
        return chosen
    }

    /// When to try again after `result` on attempt number `attempts` (nil: give up, or answered).
    /// A campaign's own maximum and delay, when it sets them, replace the configuration's.
    public func retry(after result: OutboundResult, attempts: Int, campaign: CampaignSettings? = nil, now: Date) -> Date? {
        guard result != .answered, attempts < (campaign?.maximumAttempts ?? configuration.retry.maximumAttempts) else { return nil }
        if let seconds = campaign?.retryAfter { return now.addingTimeInterval(TimeInterval(seconds)) }
        let wait: Duration
        switch result {
        case .answered: return nil
        case .noAnswer: wait = configuration.retry.afterNoAnswer
        case .busy: wait = configuration.retry.afterBusy
        case .failed: wait = configuration.retry.afterFailure
        }
        return now.addingTimeInterval(wait.seconds)
    }
}

/// Places the calls the helpline owes, paced by the live state, through AMI `Originate`:
/// a feedback call goes into the dialplan's `helpline-feedback` context (the `feedback` menu,
/// with `HELPLINE_TICKET`), a callback into `helpline-callback` (its queue at a raised
/// priority), a running campaign's contact into `helpline-campaign` (the campaign's menu with
/// `HELPLINE_MENU`, `HELPLINE_CONTACT`, `HELPLINE_PHONE` and `HELPLINE_LANGUAGE`). Each call is claimed in the database before it is originated and its outcome
/// recorded after: answered, or pending again after a wait that depends on how it failed,
/// until its attempts run out. On start, calls a stopped daemon left being dialled go back
/// to the list.
public final class OutboundScheduler: Service, Sendable {
    let store: any OutboundCallStore & CampaignStore
    let client: AMIClient
    let board: LiveStateBoard
    let pacing: OutboundPacing
    let queueOf: @Sendable (OutboundCall) -> String?
    let campaignMenuProblem: @Sendable (String) -> String?
    let logger: Logger
    let now: @Sendable () -> Date
    private let inFlight = Mutex<(total: Int, callbacks: [String: Int], campaigns: [Int64: Int])>((0, [:], [:]))

    /// A scheduler originating through `client` (the PBX `configuration.pbx`). A campaign's
    /// contacts wait while `campaignMenuProblem` says its menu cannot run (a reload removed
    /// it): the call would reach no menu, and the contact would count as answered.
    public init(store: any OutboundCallStore & CampaignStore, client: AMIClient, board: LiveStateBoard, configuration: OutboundConfiguration,
                queueOf: @escaping @Sendable (OutboundCall) -> String?, campaignMenuProblem: @escaping @Sendable (String) -> String? = { _ in nil },
                callersOnTheLine: @escaping @Sendable () -> Set<String> = { [] },
                logger: Logger, now: @escaping @Sendable () -> Date = { Date() }, metrics: any MetricsFactory = MetricsSystem.factory) {
        self.metrics = metrics
        self.callersOnTheLine = callersOnTheLine
        self.campaignMenuProblem = campaignMenuProblem
        self.store = store
        self.client = client
        self.board = board
        self.pacing = OutboundPacing(configuration: configuration)
        self.queueOf = queueOf
        self.logger = logger
        self.now = now
    }

    /// Where `helpline_outbound_results_total` goes.
    private let metrics: any MetricsFactory
    /// The numbers of citizens on a call with the helpline now (in the IVR, waiting in a
    /// queue): none of them is dialled until that call has ended.
    private let callersOnTheLine: @Sendable () -> Set<String>

    /// The PBX (AMI endpoint) the calls are placed through.
    public var pbx: String { client.configuration.name }

    /// Calls being dialled or talking now: each holds one of the outbound channels from its
    /// Originate until its channel hangs up.
    public var callsInFlight: Int { inFlight.withLock { $0.total } }

    /// Answered calls waiting for their channel's `Hangup`, by the uniqueid of the channel
    /// Originate created (the OriginateResponse's; for a Local channel its `;1` half), and the
    /// hangups seen before their call began to wait (a few, forgotten in bulk).
    private let talking = Mutex<(waiting: [String: CheckedContinuation<Void, Never>], ended: Set<String>, stopped: Bool)>(([:], [], false))

    /// Answered callbacks still talking, by the uniqueid of their channel: an abandonment of
    /// the queue on one of them is that callback's failed attempt (``callbackLeftQueue(uniqueid:)``).
    private let answeredCallbacks = Mutex<[String: OutboundCall]>([:])

    /// The longest an answered call holds its channel when its `Hangup` never comes (the AMI
    /// link was lost during the call): then it is let go.
    static let longestCall: Duration = .seconds(2 * 3600)

    /// The channel `uniqueid` hung up (AMI `Hangup`): an answered outbound call on it no longer
    /// holds an outbound channel. The daemon calls this for every `Hangup` of its PBX.
    public func channelHungUp(uniqueid: String) {
        // Most Hangups are of calls this scheduler did not place: with none up, nothing to do.
        guard callsInFlight > 0 else { return }
        let waiting = talking.withLock { state -> CheckedContinuation<Void, Never>? in
            if let continuation = state.waiting.removeValue(forKey: uniqueid) { return continuation }
            if state.ended.count >= 4096 { state.ended.removeAll(keepingCapacity: true) }
            state.ended.insert(uniqueid)
            return nil
        }
        waiting?.resume()
    }

    /// Returns when the answered call on channel `uniqueid` has hung up, after
    /// ``longestCall``, when the scheduler stops, or on cancellation.
    func untilHangup(of uniqueid: String) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        let done = self.talking.withLock { state -> Bool in
                            if state.stopped || state.ended.remove(uniqueid) != nil { return true }
                            state.waiting[uniqueid] = continuation
                            return false
                        }
                        if done { continuation.resume() }
                    }
                } onCancel: {
                    self.channelHungUp(uniqueid: uniqueid)
                }
            }
            group.addTask { try? await Task.sleep(for: Self.longestCall) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Lets every answered call go: the daemon stops, and calls still talking no longer matter
    /// to pacing.
    private func stopWaitingForHangups() {
        talking.withLock { $0.stopped = true }
        releaseAnsweredCalls()
    }

    /// Lets the answered calls waiting for their Hangup go (the link is down, or the daemon stops).
    private func releaseAnsweredCalls() {
        let waiting = talking.withLock { state -> [CheckedContinuation<Void, Never>] in
            defer { state.waiting.removeAll() }
            return Array(state.waiting.values)
        }
        for continuation in waiting { continuation.resume() }
    }

    public func run() async throws {
        let recovered = try await store.recoverInterruptedCalls(retryAt: now().addingTimeInterval(60), at: now())
        if recovered > 0 {
            logger.warning("Outbound calls a stopped daemon was dialling go back to the list", metadata: ["calls": "\(recovered)"])
        }
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                do {
                    for (call, queue) in try await due() {
                        group.addTask { await self.place(call, queue: queue) }
                    }
                } catch {
                    logger.error("Outbound calls could not be read", metadata: ["error": "\(error)"])
                }
                let interval = pacing.configuration.pollInterval
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            }
            // Calls being dialled finish (their outcome is recorded); no new ones start, and
            // answered calls no longer wait for their hangup.
            stopWaitingForHangups()
        }
    }

    /// Claims the calls to dial now.
    func due() async throws -> [(OutboundCall, String?)] {
        let time = now()
        let (total, callbacks, campaigns) = inFlight.withLock { ($0.total, $0.callbacks, $0.campaigns) }
        guard total < pacing.configuration.maximumChannels else { return [] }
        let state = board.snapshot().pbxs[client.configuration.name]
        guard state?.staleSince == nil, client.connection != nil else {
            // The link is down: the Hangups of the calls up now may never come. Let them go
            // rather than hold their channels for hours (nothing is dialled until it is back).
            releaseAnsweredCalls()
            return []
        }
        var problems: [String: String] = [:]
        // The numbers still on a call with the helpline are left out below; read as many more
        // due calls, so that they cannot crowd the others out of the batch.
        let onTheLine = callersOnTheLine()
        let candidates = try await store.dueOutboundCalls(at: time, limit: 4 * pacing.configuration.maximumChannels + onTheLine.count).filter { call in
            // Never a call to a citizen who is still on a call with the helpline (the callback
            // promised at the end of an IVR call waits until that call has ended).
            guard !onTheLine.contains(call.phone) else { return false }
            guard let campaign = call.campaign else { return true }
            guard let problem = problems[campaign.menu] ?? campaignMenuProblem(campaign.menu) else { return true }
            problems[campaign.menu] = problem
            return false
        }
        for (menu, problem) in problems.sorted(by: { $0.key < $1.key }) {
            logger.warning("A running campaign's contacts wait: its menu cannot run", metadata: ["menu": "\(menu)", "problem": "\(problem)"])
        }
        var claimed: [(OutboundCall, String?)] = []
        for (call, queue) in pacing.select(
            candidates, state: state, inFlight: total, callbacksInFlight: callbacks, campaignsInFlight: campaigns, now: time, queueOf: queueOf)
        where try await store.claim(call, at: time) {
            inFlight.withLock {
                $0.total += 1
                if let queue { $0.callbacks[queue, default: 0] += 1 }
                if let campaign = call.campaign { $0.campaigns[campaign.id, default: 0] += 1 }
            }
            claimed.append((call, queue))
        }
        return claimed
    }

    /// Originates one claimed call and records how it went.
    func place(_ call: OutboundCall, queue: String?) async {
        defer {
            inFlight.withLock {
                $0.total -= 1
                if let queue { $0.callbacks[queue, default: 1] -= 1 }
                if let campaign = call.campaign { $0.campaigns[campaign.id, default: 1] -= 1 }
            }
        }
        let configuration = pacing.configuration
        // Every call carries the citizen's number and language: the dialplan sets them as the
        // channel's caller ID (the agent sees the citizen; a callback owed after another
        // abandonment goes to the citizen) and as the menu's language.
        var variables: [(String, String)] = [("HELPLINE_PHONE", call.phone)]
        if let language = call.language, !language.isEmpty { variables.append(("HELPLINE_LANGUAGE", language)) }
        if let trunk = configuration.trunk { variables.append(("HELPLINE_TRUNK", trunk)) }
        let context: String
        switch call.kind {
        case .feedback:
            context = "helpline-feedback"
            variables.append(("HELPLINE_TICKET", call.ticketNumber ?? ""))
        case .callback:
            context = "helpline-callback"
            variables += [("HELPLINE_QUEUE", queue ?? ""), ("HELPLINE_PRIORITY", String(configuration.callbackPriority))]
            if let ticket = call.ticketNumber { variables.append(("HELPLINE_TICKET", ticket)) }
        case .campaign:
            context = "helpline-campaign"
            variables += [("HELPLINE_MENU", call.campaign?.menu ?? ""), ("HELPLINE_CONTACT", String(call.id))]
        }
        let channel = Placeholders.expand(configuration.channel) { $0 == "number" ? call.phone : nil }
        let result: OutboundResult
        // An answered call holds its channel until its channel hangs up, not only until the
        // OriginateResponse (which comes when the citizen answers).
        var talkingOn: String?
        do {
            let response = try await client.send(
                .originate(channel: channel, destination: .extension(context: context, exten: "s", priority: 1), timeout: configuration.ringTimeout,
                           callerID: configuration.callerID, variables: variables))
            result = .answered
            talkingOn = response.final?["Uniqueid"].flatMap { $0.isEmpty || $0 == "<unknown>" ? nil : $0 }
        } catch {
            result = Self.result(of: error)
        }
        let attempts = call.attempts + 1
        Counter(label: "helpline_outbound_results_total", dimensions: [("kind", call.kind.rawValue), ("result", result.metricLabel)], factory: metrics)
            .increment()
        let retryAt = pacing.retry(after: result, attempts: attempts, campaign: call.campaign?.settings, now: now())
        logger.info(
            "Outbound call placed",
            metadata: ["outbound.kind": "\(call.kind.rawValue)", "outbound.id": "\(call.id)", "outbound.to": "\(PhoneNumber.masked(call.phone))",
                       "outbound.result": "\(result)", "outbound.attempt": "\(attempts)", "outbound.next": "\(retryAt.map { "\($0)" } ?? "none")"])
        do {
            try await store.finish(call, result: result, retryAt: retryAt, at: now())
        } catch {
            logger.error("The outcome of an outbound call could not be stored; it goes back to the list on restart",
                         metadata: ["outbound.id": "\(call.id)", "error": "\(error)"])
        }
        if let talkingOn {
            if call.kind == .callback { answeredCallbacks.withLock { $0[talkingOn] = call } }
            await untilHangup(of: talkingOn)
            if call.kind == .callback { answeredCallbacks.withLock { $0[talkingOn] = nil } }
        }
    }

    /// The caller on channel `uniqueid` abandoned a queue (AMI `QueueCallerAbandon`). When the
    /// channel is a callback this scheduler placed, the citizen answered but no seat did (they
    /// hung up waiting, or the dialplan dropped the call): the same callback is due again after
    /// `outbound.retry_no_answer`, until `outbound.max_attempts`, and true is returned, so that
    /// no new callback is owed for it (a new one, due at once, would dial the citizen in a loop
    /// whenever the queue drops calls). False for every other channel.
    public func callbackLeftQueue(uniqueid: String) async -> Bool {
        guard let call = answeredCallbacks.withLock({ $0.removeValue(forKey: uniqueid) }) else { return false }
        let retry = pacing.configuration.retry
        let attempts = call.attempts + 1
        do {
            let again = try await store.callbackLeftQueue(id: call.id, retryAt: now().addingTimeInterval(retry.afterNoAnswer.seconds), maximumAttempts: retry.maximumAttempts)
            logger.notice(
                again ? "A callback's citizen left the queue before a seat answered; the callback is due again"
                    : "A callback's citizen left the queue before a seat answered; no attempts left",
                metadata: ["outbound.id": "\(call.id)", "outbound.to": "\(PhoneNumber.masked(call.phone))", "outbound.attempt": "\(attempts)"])
        } catch {
            logger.error("A callback whose citizen left the queue could not be put back on the list",
                         metadata: ["outbound.id": "\(call.id)", "error": "\(error)"])
        }
        return true
    }

    /// What an Originate's failure says about the call (Asterisk's dial reasons, PROTOCOL.md B7).
    static func result(of error: AMIError) -> OutboundResult {
        guard error.code == .actionFailed, let reason = error.response?.int("Reason") else {
            return .failed("\(error.code): \(error.message)")
        }
        switch reason {
        case 3: return .noAnswer
        case 5: return .busy
        case 8: return .failed("congestion")
        default: return .failed("reason \(reason)")
        }
    }
}

extension ConfigurationReader {
    static let outboundKeys = [
        "pbx", "channel", "trunk", "caller_id", "max_channels", "ring_timeout", "calling_hours", "district_hours", "utc_offset",
        "retry_no_answer", "retry_busy", "retry_failure", "max_attempts", "callback_priority", "poll_interval",
    ]

    /// The `outbound` section.
    func outbound(_ node: Node) throws(ConfigurationError) -> OutboundConfiguration {
        var configuration = OutboundConfiguration()
        try mapping(node, path: "outbound") { key, value throws(ConfigurationError) in
            let path = "outbound." + key
            switch key {
            case "pbx": configuration.pbx = try nonEmptyString(value, path: path)
            case "channel":
                let channel = try nonEmptyString(value, path: path)
                guard let names = Placeholders.names(in: channel) else { throw error(value, "\(path): a '${' is not closed by '}'") }
                guard names.contains("number") else { throw error(value, "\(path) must contain ${number} (where the citizen's number goes), like Local/${number}@helpline-outbound/n") }
                if let unknown = names.first(where: { $0 != "number" }) {
                    throw error(value, "\(path): unknown placeholder ${\(unknown)}; the channel knows only ${number}")
                }
                configuration.channel = channel
            case "trunk": configuration.trunk = try nonEmptyString(value, path: path)
            case "caller_id": configuration.callerID = try nonEmptyString(value, path: path)
            case "max_channels": configuration.maximumChannels = try integer(value, path: path, in: 1...1000)
            case "ring_timeout": configuration.ringTimeout = try positiveDuration(value, path: path)
            case "calling_hours": configuration.callingHours = try hours(value, path: path)
            case "district_hours":
                try mapping(value, path: path) { district, hours throws(ConfigurationError) in
                    configuration.districtHours[district] = try self.hours(hours, path: path + "." + district)
                }
            case "utc_offset": configuration.utcOffset = try integer(value, path: path, in: -50_400...50_400)
            case "retry_no_answer": configuration.retry.afterNoAnswer = try positiveDuration(value, path: path)
            case "retry_busy": configuration.retry.afterBusy = try positiveDuration(value, path: path)
            case "retry_failure": configuration.retry.afterFailure = try positiveDuration(value, path: path)
            case "max_attempts": configuration.retry.maximumAttempts = try integer(value, path: path, in: 1...50)
            case "callback_priority": configuration.callbackPriority = try integer(value, path: path, in: 0...100)
            case "poll_interval": configuration.pollInterval = try positiveDuration(value, path: path)
            default: throw unknownKey(value, path: path, known: Self.outboundKeys)
            }
        }
        return configuration
    }

    private func hours(_ node: Node, path: String) throws(ConfigurationError) -> LocalTimeWindow {
        let text = try nonEmptyString(node, path: path)
        guard let hours = LocalTimeWindow(text) else { throw error(node, "\(path) must be a window of local time like \"09:00-20:00\", not '\(text)'") }
        return hours
    }
}

extension OutboundResult {
    /// The `result` label of `helpline_outbound_results_total`: answered, no_answer, busy or failed.
    var metricLabel: String {
        switch self {
        case .answered: "answered"
        case .noAnswer: "no_answer"
        case .busy: "busy"
        case .failed: "failed"
        }
    }
}
