import NIOCore

/// A `TaskExecutor` that runs jobs on one NIO event loop.
///
/// Each session's task prefers the executor of its own channel's event loop, so the handler
/// code, the write of each command and the resumption on each reply all happen on one thread:
/// no thread switch per command (see the performance notes in DESIGN.md).
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
