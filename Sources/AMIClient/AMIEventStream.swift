import Synchronization

/// The events of an AMI connection (or of a client across its reconnects), as an `AsyncSequence`.
///
/// The socket reader never waits for the consumer: events go into a bounded buffer. When it is
/// full, an event that changes no state (``AMIMessage/changesState``) is dropped and counted in
/// ``dropped``; state events are always kept, so the buffer can exceed its capacity by them.
/// One consumer at a time. Until a consumer starts iterating, events are not kept at all
/// (``yield(_:)`` answers ``YieldResult/noReader``), so a client whose events nobody reads
/// holds no memory for them.
///
/// ```swift
/// for await event in client.events { if case .shutdown = event.typed { … } }
/// ```
public final class AMIEventStream: AsyncSequence, Sendable {
    public typealias Element = AMIMessage

    private struct State {
        var items: [AMIMessage] = []
        var head = 0
        var waiter: CheckedContinuation<AMIMessage?, Never>?
        var finished = false
        var dropped = 0
        var reading = false
        var count: Int { items.count - head }
    }

    private let state = Mutex(State())
    /// The most events kept before droppable ones are dropped.
    public let capacity: Int

    /// A stream holding up to `capacity` events. Defaults to 10,000.
    public init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// Events dropped because the consumer was slow.
    public var dropped: Int { state.withLock { $0.dropped } }

    /// What happened to a yielded event.
    public enum YieldResult: Sendable, Hashable {
        /// Handed to the waiting consumer or buffered.
        case kept
        /// Dropped: the buffer was full and the event changes no state.
        case dropped
        /// Nobody iterates the stream (yet), or it has finished: not kept.
        case noReader
    }

    /// Adds an event. A waiting consumer is woken by ``wake()`` (the connection calls it once
    /// per read), not per event: waking a task per event costs a thread switch each and made
    /// the daemon's path five times slower than the parser.
    @discardableResult
    public func yield(_ message: AMIMessage) -> YieldResult {
        state.withLock { state -> YieldResult in
            if state.finished || !state.reading { return .noReader }
            if state.count >= capacity && !message.changesState {
                state.dropped += 1
                return .dropped
            }
            state.items.append(message)
            return .kept
        }
    }

    /// Hands buffered events to a waiting consumer.
    public func wake() {
        let handed = state.withLock { state -> (CheckedContinuation<AMIMessage?, Never>, AMIMessage)? in
            guard let waiter = state.waiter, state.count > 0 else { return nil }
            state.waiter = nil
            let item = state.items[state.head]
            state.head += 1
            return (waiter, item)
        }
        if let (waiter, item) = handed { waiter.resume(returning: item) }
    }

    /// Ends the sequence after the buffered events.
    public func finish() {
        wake()
        let waiter = state.withLock { state -> CheckedContinuation<AMIMessage?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next buffered event, or nil when none is buffered.
    private func takeBuffered() -> AMIMessage? {
        state.withLock { state -> AMIMessage? in
            guard state.count > 0 else { return nil }
            let item = state.items[state.head]
            state.head += 1
            if state.head > 1024 && state.head * 2 > state.items.count {
                state.items.removeFirst(state.head)
                state.head = 0
            }
            return item
        }
    }

    func next() async -> AMIMessage? {
        // Most calls find an event buffered: no continuation, no suspension.
        if let item = takeBuffered() { return item }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<AMIMessage?, Never>) in
                let immediate: AMIMessage?? = state.withLock { state in
                    if state.count > 0 {
                        let item = state.items[state.head]
                        state.head += 1
                        if state.head > 1024 && state.head * 2 > state.items.count {
                            state.items.removeFirst(state.head)
                            state.head = 0
                        }
                        return .some(item)
                    }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<AMIMessage?, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Iterates the stream.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let stream: AMIEventStream
        public mutating func next() async -> AMIMessage? { await stream.next() }
    }

    /// Starts keeping events for this iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        state.withLock { $0.reading = true }
        return AsyncIterator(stream: self)
    }
}
