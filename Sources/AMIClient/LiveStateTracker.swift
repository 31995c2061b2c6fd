/// Keeps one PBX's ``PBXState`` in step with its AMI connection: applies events, rebuilds from
/// QueueStatus snapshots (a full resync after each login, a single queue after an event that
/// named something unknown, periodic reconciliation), and publishes to a ``LiveStateBoard``.
///
/// Snapshot rule: while a QueueStatus is in flight every event is applied *and* journaled with
/// its sequence number. When the list is complete, the covered queues are replaced by the
/// snapshot and the journaled events that came after the reply's first message are applied on
/// top again. Asterisk writes no event inside a reply or list (PROTOCOL.md B4), so events before
/// the reply are already in the snapshot and events after it are not.
///
/// Not thread-safe: the client uses it only on the endpoint's event loop.
final class LiveStateTracker {
    private(set) var state: PBXState
    private let board: LiveStateBoard?
    private var journal: [(sequence: UInt64, message: AMIMessage)] = []
    private var snapshotsInFlight = 0
    private var fullResyncInFlight = false
    private var requeriesInFlight: Set<String> = []
    private var dirty = false
    /// Queues an event named without the state knowing them; the client queries them.
    private(set) var wantedRequeries: [String] = []

    init(name: String, board: LiveStateBoard?, now: Double) {
        self.state = PBXState(name: name, staleSince: now)
        self.board = board
        board?.publish(state)
    }

    /// Applies one event; a queue it names without the state knowing it is added to
    /// ``wantedRequeries`` (unless a snapshot that will cover it is already on its way).
    func apply(_ message: AMIMessage, sequence: UInt64, now: Double) {
        let effect = state.apply(message, now: now)
        if effect == .none { return }
        dirty = true
        if snapshotsInFlight > 0 { journal.append((sequence, message)) }
        if case .requery(let queue) = effect, !fullResyncInFlight, !requeriesInFlight.contains(queue) {
            requeriesInFlight.insert(queue)
            wantedRequeries.append(queue)
        }
    }

    /// Takes the queues that need a QueueStatus.
    func takeRequeries() -> [String] {
        defer { wantedRequeries.removeAll() }
        return wantedRequeries
    }

    /// Publishes if anything changed since the last publish (after each read batch).
    func flush() {
        guard dirty else { return }
        dirty = false
        board?.publish(state)
    }

    /// A QueueStatus (all queues, or `queue`) is about to be sent.
    func snapshotStarted(full: Bool) {
        snapshotsInFlight += 1
        if full { fullResyncInFlight = true }
    }

    /// The QueueStatus failed: forget its journal share; a requery can be asked for again.
    func snapshotFailed(full: Bool, queue: String?) {
        snapshotsInFlight = max(0, snapshotsInFlight - 1)
        if full { fullResyncInFlight = false }
        if let queue { requeriesInFlight.remove(queue) }
        if snapshotsInFlight == 0 { journal.removeAll() }
    }

    /// A full QueueStatus arrived: rebuild every queue, make the state live, and return the drift
    /// against what the events had built (0 on the first resync after a connect).
    @discardableResult
    func snapshotCompleted(_ response: AMIResponse, queue: String?, now: Double, countDrift: Bool) -> Int {
        var rebuilt = state
        let fresh = PBXState.queues(fromQueueStatus: response.items, now: now)
        if let queue {
            rebuilt.queues[queue] = fresh[queue]
        } else {
            rebuilt.queues = fresh
        }
        for entry in journal where entry.sequence > response.sequence {
            if let queue, entry.message.string(.queue) != queue { continue }
            _ = rebuilt.apply(entry.message, now: now)
        }
        var drift = 0
        if countDrift {
            let names = queue.map { [$0] } ?? Array(Set(state.queues.keys).union(rebuilt.queues.keys))
            for name in names { drift += PBXState.differences(state.queues[name], rebuilt.queues[name]) }
        }
        rebuilt.drift = state.drift + drift
        if queue == nil {
            rebuilt.staleSince = nil
            fullResyncInFlight = false
            requeriesInFlight.removeAll()
        } else {
            requeriesInFlight.remove(queue!)
        }
        state = rebuilt
        snapshotsInFlight = max(0, snapshotsInFlight - 1)
        if snapshotsInFlight == 0 { journal.removeAll() }
        dirty = true
        flush()
        return drift
    }

    /// The connection is gone: the state is stale from now on (kept, so readers see the last picture).
    func disconnected(now: Double) {
        if state.staleSince == nil { state.staleSince = now }
        snapshotsInFlight = 0
        fullResyncInFlight = false
        requeriesInFlight.removeAll()
        wantedRequeries.removeAll()
        journal.removeAll()
        dirty = true
        flush()
    }
}
