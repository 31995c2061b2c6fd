public import AMIClient
public import Foundation
public import Logging
public import Routing
public import ServiceLifecycle
public import Store

/// What one read of a queue_log did.
public struct QueueLogReadReport: Sendable, Equatable {
    /// Lines about callers that were applied to the store.
    public var applied = 0
    /// Lines that could not be read (each is logged with its reason); the rest of the file is still read.
    public var problems = 0
    /// Whether the file was found replaced or truncated since the last read (a rotation), so
    /// reading started again at its beginning.
    public var restarted = false
    /// The byte offset read up to.
    public var offset: UInt64 = 0
}

/// Turns queue_log entries into the queue events the store keeps, with their own times.
///
/// A caller's line maps as AMI's events do: ENTERQUEUE as QueueCallerJoin (the department from
/// the directory), CONNECT as AgentConnect, the completions and transfers as AgentComplete,
/// ABANDON as QueueCallerAbandon; EXITWITHTIMEOUT, EXITEMPTY and EXITWITHKEY, which AMI does not
/// tell apart from an answered call's leaving, become ``Store/QueueCallEvent/left(uniqueid:queue:waited:)``.
/// Lines about queues and members (callid `NONE`) are skipped.
public func queueCallEvents(from entries: [QueueLogEntry], pbx: String, directory: Directory?) -> [(event: QueueCallEvent, at: Date)] {
    entries.compactMap { entry in
        guard entry.callID != "NONE", !entry.callID.isEmpty, entry.queue != "NONE", !entry.queue.isEmpty else { return nil }
        let (uniqueid, queue) = (entry.callID, entry.queue)
        let event: QueueCallEvent
        switch entry.event {
        case .entered(let caller):
            event = .joined(uniqueid: uniqueid, queue: queue, department: directory?.department(owningQueue: queue, on: pbx), callerNumber: caller)
        case .connected(let held):
            event = .answered(uniqueid: uniqueid, queue: queue, waited: held, member: entry.agent == "NONE" ? nil : entry.agent)
        case .completed(_, let talked):
            event = .completed(uniqueid: uniqueid, queue: queue, talked: talked)
        case .abandoned(let waited):
            event = .abandoned(uniqueid: uniqueid, queue: queue, waited: waited)
        case .left(_, let waited):
            event = .left(uniqueid: uniqueid, queue: queue, waited: waited)
        case .other:
            return nil
        }
        return (event, entry.time)
    }
}

/// Follows one PBX's queue_log (`ami.endpoints[].queue_log`), so that the daily report has
/// every queue call Asterisk handled, those of the times the daemon or its AMI link was down
/// among them.
///
/// Every `interval` it reads the lines added since the offset it stored last, applies them in
/// one transaction with the new offset, and so never counts a line twice nor skips one across
/// restarts of either side. Calls AMI already reported are unchanged. A file with another
/// inode, or shorter than the offset (logrotate's `create` or `copytruncate`), is read from its
/// start. A partial last line waits for the next read. An unreadable file is logged, at most
/// once until it can be read again, and the daemon goes on.
public struct QueueLogFollower: Service {
    /// The AMI endpoint whose PBX writes the file.
    public let pbx: String
    /// The queue_log file.
    public let path: String
    /// How often it is read. Defaults to 10 s.
    public let interval: Duration
    let store: any QueueCallStore
    let directory: @Sendable () -> Directory?
    let logger: Logger

    /// A follower of `path` for `pbx`; `directory` gives the current routing directory (it names
    /// each queue's department).
    public init(pbx: String, path: String, interval: Duration = .seconds(10), store: any QueueCallStore, directory: @escaping @Sendable () -> Directory?, logger: Logger) {
        self.pbx = pbx
        self.path = path
        self.interval = interval
        self.store = store
        self.directory = directory
        self.logger = logger
    }

    /// Reads at once, then every `interval`, until graceful shutdown or cancellation.
    public func run() async throws {
        logger.info("Following queue_log", metadata: ["pbx": "\(pbx)", "path": "\(path)"])
        // Whether the last read failed, so that a lasting failure is logged once.
        var failing = false
        while !Task.isCancelled {
            do {
                _ = try await readNewLines()
                if failing { logger.notice("queue_log can be read again", metadata: ["pbx": "\(pbx)", "path": "\(path)"]) }
                failing = false
            } catch {
                defer { failing = true }
                if !failing {
                    logger.error("queue_log could not be read; the daily report may miss calls of times the AMI link is down",
                                 metadata: ["pbx": "\(pbx)", "path": "\(path)", "error": "\(error)"])
                }
            }
            guard (try? await cancelWhenGracefulShutdown({ try await Task.sleep(for: interval) })) != nil else { return }
        }
    }

    /// Reads the lines added since the stored offset and applies them; throws when the file
    /// cannot be read or the store cannot be written (the offset then stays, and the next read
    /// tries the same lines again).
    public func readNewLines() async throws -> QueueLogReadReport {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let identity = "\((attributes[.systemNumber] as? NSNumber)?.uint64Value ?? 0):\((attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0)"
        let size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        var report = QueueLogReadReport()
        var offset: UInt64 = 0
        if let position = try await store.queueLogPosition(pbx: pbx) {
            if position.file == identity, position.offset <= size {
                offset = position.offset
            } else {
                report.restarted = true
                logger.notice("queue_log was rotated or truncated; reading the new file from its start",
                              metadata: ["pbx": "\(pbx)", "path": "\(path)", "previous_offset": "\(position.offset)"])
            }
        }
        report.offset = offset
        guard size > offset else { return report }
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        // At most 8 MiB a read, so a long backlog is applied in bounded transactions.
        let bytes = try handle.read(upToCount: Int(min(size - offset, 8 << 20))) ?? Data()
        let chunk = QueueLogChunk(bytes: bytes, at: offset)
        for problem in chunk.problems.prefix(20) {
            logger.warning("A queue_log line could not be read and is skipped",
                           metadata: ["pbx": "\(pbx)", "path": "\(path)", "line_in_read": "\(problem.line)", "problem": "\(problem.problem)"])
        }
        let events = queueCallEvents(from: chunk.entries, pbx: pbx, directory: directory())
        try await store.recordQueueLog(events, pbx: pbx, position: QueueLogPosition(file: identity, offset: chunk.end))
        report.applied = events.count
        report.problems = chunk.problems.count
        report.offset = chunk.end
        return report
    }
}
