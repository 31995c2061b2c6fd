import NIOCore

/// A `TaskExecutor` that runs jobs on one NIO event loop.
///
/// Each session's task prefers the executor of its own channel's event loop, so the handler
/// code, the write of each command and the resumption on each reply all happen on one thread:
/// no thread switch per command (see the performance notes in DESIGN.md).
///
/// Jobs enqueued on the loop itself (a reply resuming its session, the usual case) are queued
/// here and run together by one loop task, instead of one closure allocated and queued per job;
/// jobs from other threads (a database thread resuming a session) are handed to the loop one by
/// one. The queue is touched only on the loop, hence `@unchecked Sendable`.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let eventLoop: any EventLoop
    /// Jobs queued on the loop, waiting for the next drain (loop only).
    private var pending: [UnownedJob] = []
    /// The jobs of the drain running now (loop only); kept to reuse its storage.
    private var running: [UnownedJob] = []
    /// Whether a drain is queued on the loop (loop only).
    private var drainQueued = false

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        guard eventLoop.inEventLoop else {
            eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
            return
        }
        pending.append(job)
        if !drainQueued {
            drainQueued = true
            eventLoop.execute { self.drain() }
        }
    }

    /// Runs the jobs queued so far; the jobs they queue run in the next drain, after the loop
    /// has looked at its sockets again.
    private func drain() {
        drainQueued = false
        swap(&pending, &running)
        let executor = asUnownedTaskExecutor()
        for job in running { job.runSynchronously(on: executor) }
        running.removeAll(keepingCapacity: true)
    }
}
