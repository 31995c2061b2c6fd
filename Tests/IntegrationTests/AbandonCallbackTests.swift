import AMIClient
import AGITestSupport
import Foundation
import HelplineApp
import HelplineDomain
import Logging
import Routing
import Store
import Synchronization
import Testing
import AsteriskFakes

extension Integration {
    /// Every call must be handled: a caller who abandons a queue is called back.
    @Suite(.serialized) struct AbandonCallbackTests {
        /// One event of the captured stream of three queue calls: the first `name` event of
        /// channel `uniqueid`, as Asterisk 22 sent it.
        static func capturedEvent(_ name: String, uniqueid: String = "astlab-1795329069.80") throws -> [UInt8] {
            let stream = try Capture.load("ami/three-calls-queue-event-stream-full.txt").exchange("Login")!.reply
            let text = String(decoding: stream, as: UTF8.self)
            var from = text.startIndex
            while let start = text.range(of: "Event: \(name)\r\n", range: from..<text.endIndex) {
                let end = try #require(text.range(of: "\r\n\r\n", range: start.upperBound..<text.endIndex))
                let message = text[start.lowerBound..<end.upperBound]
                if message.contains("Uniqueid: \(uniqueid)\r\n") { return Array(message.utf8) }
                from = end.upperBound
            }
            throw NotInCapture(name: name, uniqueid: uniqueid)
        }

        struct NotInCapture: Error, CustomStringConvertible {
            var name: String
            var uniqueid: String
            var description: String { "no \(name) event of \(uniqueid) in the capture" }
        }

        /// A PBX's event handler on a real AMI connection to the fake server, a store on a real
        /// file, and a directory where dept-police is the police department's queue.
        static func withHandler(clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
                                _ body: @Sendable (FakeAMIServer, PBXEvents, TicketStore) async throws -> Void) async throws {
            let server = try await FakeAMIServer()
            let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            let client = AMIClient(configuration: .init(name: "pbx1", host: "127.0.0.1", port: server.port, username: "helpline", secret: "labsecret"), logger: logger)
            let directory = try HelplineServeTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = TicketStore(database: try HelplineDatabase(path: directory.appendingPathComponent("h.sqlite").path))
            let routing = Directory(
                departments: [Department(id: "police", names: [:], queues: ["pbx1": DepartmentQueues(primary: "dept-police")])],
                categories: [], districts: [], officers: [], generalQueues: ["pbx1": "helpline-general"])
            let handler = PBXEvents(pbx: "pbx1", directory: { routing }, store: store, scheduler: nil, logger: logger, clock: clock)
            let service = AMIEventHandler(client: client) { event in await handler.handle(event) }
            let running = Task { try await client.run() }
            let reading = Task { try await service.run() }
            defer { reading.cancel() }
            defer { running.cancel() }
            try await waitUntil { client.connection != nil && client.board.snapshot().pbxs["pbx1"]?.staleSince == nil }
            try await body(server, handler, store)
        }

        /// Today's figures of the one queue call of a test.
        static func outcome(_ store: TicketStore) async throws -> DailyCallFigures? {
            let now = Date()
            // Without its QueueCallerJoin the call is filed under the general department.
            return try await store.dailyCallFigures(from: now.addingTimeInterval(-86_400), to: now.addingTimeInterval(86_400)).first
        }

        @Test func aCallerWhoAbandonsAQueueIsOwedACallback() async throws {
            // The QueueCallerAbandon and Hangup Asterisk 22 sent when a caller gave up on dept-police.
            let abandon = try Self.capturedEvent("QueueCallerAbandon")
            let hangup = try Self.capturedEvent("Hangup")
            try await Self.withHandler { server, handler, store in
                server.push(abandon)
                try await waitUntil { handler.abandonmentsWaiting == 1 }
                #expect(try await store.dueOutboundCalls(at: Date().addingTimeInterval(1)).isEmpty, "not before the caller's channel hangs up")
                server.push(hangup)
                try await waitUntilAsync { try await store.dueOutboundCalls(at: Date().addingTimeInterval(1)).isEmpty == false }
                let owed = try #require(try await store.dueOutboundCalls(at: Date().addingTimeInterval(1)).first)
                #expect(owed.kind == .callback && owed.phone == "5550103" && owed.queue == "dept-police" && owed.department == "police")
                #expect(try await store.callback(id: owed.id)?.reason == "abandoned queue dept-police after 8 s at position 1")
                #expect(try await Self.outcome(store)?.abandoned == 1)

                // The same caller gives up again: still one callback, keeping its place.
                server.push(abandon + hangup)
                try await waitUntil { handler.abandonmentsWaiting == 0 }
                try await Task.sleep(for: .milliseconds(200))
                #expect(try await store.dueOutboundCalls(at: Date().addingTimeInterval(1)).map(\.id) == [owed.id])
            }
        }

        /// app_queue sends QueueCallerAbandon also for a caller it lets go (EXITEMPTY when every
        /// seat became unavailable, seen on Asterisk 22.10.1): when the caller then joins the
        /// next queue (the shipped dialplan's fallback), nobody is owed a callback, and the first
        /// queue counts the call as left, not abandoned.
        @Test func aCallerMovedOnToTheNextQueueIsNotOwedACallback() async throws {
            let abandon = try Self.capturedEvent("QueueCallerAbandon")
            let join = try Self.capturedEvent("QueueCallerJoin")
            try await Self.withHandler { server, handler, store in
                server.push(abandon)
                try await waitUntil { handler.abandonmentsWaiting == 1 }
                server.push(join)
                try await waitUntil { handler.abandonmentsWaiting == 0 }
                try await waitUntilAsync { try await Self.outcome(store)?.left == 1 }
                let figures = try #require(try await Self.outcome(store))
                #expect([figures.offered, figures.abandoned, figures.left] as [Int] == [1, 0, 1])
                #expect(try await store.dueOutboundCalls(at: Date().addingTimeInterval(1)).isEmpty)
            }
        }

        /// No Hangup within the window: the dialplan went on with the caller; no callback.
        @Test func anAbandonmentWithoutAHangupLapses() async throws {
            let abandon = try Self.capturedEvent("QueueCallerAbandon")
            let hangup = try Self.capturedEvent("Hangup")
            let offset = Mutex<Duration>(.zero)
            let start = ContinuousClock.now
            try await Self.withHandler(clock: { start + offset.withLock { $0 } }) { server, handler, store in
                server.push(abandon)
                try await waitUntil { handler.abandonmentsWaiting == 1 }
                offset.withLock { $0 = PBXEvents.hangupWindow + .seconds(1) }
                // The channel's Hangup, too late: the next event lets the abandonment lapse first.
                server.push(hangup)
                try await waitUntilAsync { try await Self.outcome(store)?.left == 1 }
                #expect(handler.abandonmentsWaiting == 0)
                #expect(try await store.dueOutboundCalls(at: Date().addingTimeInterval(1)).isEmpty)
            }
        }
    }
}

extension Integration.AbandonCallbackTests {
    /// The whole captured stream of three queue calls (two answered, one abandoned) through the
    /// daemon's event handler: the daily report's call figures come out of it.
    @Test func queueCallsAreRecordedFromTheEventStream() async throws {
        let stream = try Capture.load("ami/three-calls-queue-event-stream-full.txt").exchange("Login")!.reply
        let text = String(decoding: stream, as: UTF8.self)
        let afterLogin = try #require(text.range(of: "\r\n\r\n"))
        let events = Array(text[afterLogin.upperBound...].utf8)

        let server = try await FakeAMIServer()
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let client = AMIClient(configuration: .init(name: "pbx1", host: "127.0.0.1", port: server.port, username: "helpline", secret: "labsecret"), logger: logger)
        let directory = try Integration.HelplineServeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = TicketStore(database: try HelplineDatabase(path: directory.appendingPathComponent("h.sqlite").path))
        let routing = Directory(
            departments: [
                Department(id: "health", names: [:], queues: ["pbx1": DepartmentQueues(primary: "dept-health")]),
                Department(id: "police", names: [:], queues: ["pbx1": DepartmentQueues(primary: "dept-police")]),
            ],
            categories: [], districts: [], officers: [], generalQueues: ["pbx1": "helpline-general"])
        let service = AMIEventHandler(client: client) { event in
            await HelplineDaemon.recordQueueCall(event, pbx: "pbx1", directory: routing, store: store, logger: logger)
        }
        let running = Task { try await client.run() }
        let reading = Task { try await service.run() }
        defer { reading.cancel() }
        defer { running.cancel() }
        try await waitUntil { client.connection != nil && client.board.snapshot().pbxs["pbx1"]?.staleSince == nil }

        server.push(events)
        let now = Date()
        @Sendable func figures() async throws -> [String: DailyCallFigures] {
            let days = try await store.dailyCallFigures(from: now.addingTimeInterval(-86_400), to: now.addingTimeInterval(86_400))
            return Dictionary(days.map { ($0.department, $0) }, uniquingKeysWith: { first, _ in first })
        }
        try await waitUntilAsync {
            let current = try await figures()
            return current["police"]?.abandoned == 1 && current["general"]?.completed == 1
        }
        let byDepartment = try await figures()
        let health = try #require(byDepartment["health"])
        #expect([health.offered, health.answered, health.abandoned, health.completed, health.totalWait, health.totalTalk] as [Int] == [1, 1, 0, 1, 1, 4])
        let police = try #require(byDepartment["police"])
        #expect([police.offered, police.answered, police.abandoned, police.totalWait] as [Int] == [1, 0, 1, 0], "an abandoned wait is not an answered one")
        // dept-revenue belongs to no department of this directory: it counts as general.
        let general = try #require(byDepartment["general"])
        #expect([general.offered, general.answered, general.totalTalk] as [Int] == [1, 1, 4])
    }
}

/// Polls an async `condition` every 10 ms for up to thirty seconds (a deadline for a loaded CI machine, not a timing goal).
func waitUntilAsync(_ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut(limit: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(10))
    }
}
