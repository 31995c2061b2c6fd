public import AMIClient
import Foundation
public import Logging
public import Routing
public import Store
import Synchronization

/// What the daemon does with each event of one PBX's AMI stream, beside the live state the
/// client keeps: the queue calls of the daily report, callbacks owed to callers who gave up
/// waiting, and the Hangups the outbound scheduler paces on.
///
/// app_queue sends `QueueCallerAbandon` both when the caller hangs up while waiting and when
/// the call leaves the queue unanswered and the dialplan goes on (`leavewhenempty`, a timeout:
/// queue_log's EXITEMPTY and EXITWITHTIMEOUT, seen on Asterisk 22.10.1). So an abandonment is
/// acted on only when the caller's channel hangs up within ``hangupWindow`` of it: a caller the
/// dialplan moves on (the shipped `[helpline-in]` sends it to the general queue) is not owed a
/// callback, and its first queue is recorded as left rather than abandoned.
public final class PBXEvents: Sendable {
    /// The AMI endpoint's name.
    public let pbx: String
    /// How long after `QueueCallerAbandon` the caller's `Hangup` may come for it to count as
    /// hanging up in the queue. Asterisk sends the two within milliseconds of each other.
    public static let hangupWindow: Duration = .seconds(5)

    let directory: @Sendable () -> Directory?
    let store: any CallbackStore & QueueCallStore
    let scheduler: OutboundScheduler?
    let logger: Logger
    let clock: @Sendable () -> ContinuousClock.Instant
    /// Abandonments waiting for their channel's Hangup, by uniqueid.
    private let abandoned = Mutex<[String: (event: AMIMessage, at: ContinuousClock.Instant)]>([:])

    /// Handles the events of `pbx`; `directory` gives the current routing directory;
    /// `scheduler`, when the daemon places outbound calls through this PBX.
    public init(pbx: String, directory: @escaping @Sendable () -> Directory?, store: any CallbackStore & QueueCallStore,
                scheduler: OutboundScheduler?, logger: Logger, clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.pbx = pbx
        self.directory = directory
        self.store = store
        self.scheduler = scheduler
        self.logger = logger
        self.clock = clock
    }

    /// Abandonments still waiting for their channel's Hangup.
    public var abandonmentsWaiting: Int { abandoned.withLock { $0.count } }

    /// Handles one event, in stream order.
    public func handle(_ event: AMIMessage) async {
        await HelplineDaemon.recordQueueCall(event, pbx: pbx, directory: directory(), store: store, logger: logger)
        let now = clock()
        let expired = abandoned.withLock { pending -> [AMIMessage] in
            guard !pending.isEmpty else { return [] }
            let old = pending.filter { now - $0.value.at > Self.hangupWindow }
            for key in old.keys { pending[key] = nil }
            return old.values.map(\.event)
        }
        // No Hangup came: the dialplan went on with the caller.
        for event in expired { await recordLeft(event) }
        guard let uniqueid = event["Uniqueid"], !uniqueid.isEmpty else { return }
        if event.nameIs("QueueCallerAbandon") {
            abandoned.withLock { $0[uniqueid] = (event, now) }
        } else if event.nameIs("QueueCallerJoin") {
            // Moved on to another queue (the fallback of [helpline-in]): it left the first one.
            if let left = abandoned.withLock({ $0.removeValue(forKey: uniqueid) }) { await recordLeft(left.event) }
        } else if event.nameIs("Hangup") {
            if let abandonment = abandoned.withLock({ $0.removeValue(forKey: uniqueid) }) { await owe(abandonment.event) }
            // An answered outbound call holds its channel until its channel hangs up.
            scheduler?.channelHungUp(uniqueid: uniqueid)
        }
    }

    /// The caller hung up in the queue: a callback's own channel is that callback's failed
    /// attempt; any other caller is owed a callback.
    func owe(_ abandonment: AMIMessage) async {
        if let scheduler, let uniqueid = abandonment["Uniqueid"], await scheduler.callbackLeftQueue(uniqueid: uniqueid) { return }
        await HelplineDaemon.callbackForAbandonment(abandonment, pbx: pbx, directory: directory(), store: store, logger: logger)
    }

    func recordLeft(_ abandonment: AMIMessage) async {
        guard let uniqueid = abandonment["Uniqueid"], let queue = abandonment["Queue"], !queue.isEmpty else { return }
        do {
            try await store.recordQueueEvent(.left(uniqueid: uniqueid, queue: queue, waited: abandonment.int("HoldTime") ?? 0), pbx: pbx, at: Date())
        } catch {
            logger.error("A queue call's event could not be stored; the daily report will miss it",
                         metadata: ["event": "QueueCallerAbandon", "queue": "\(queue)", "uniqueid": "\(uniqueid)", "error": "\(error)"])
        }
    }
}
