import AGIServer
import AGITestSupport
import Foundation
import Logging
import MetricsTestKit
import NIOCore
import NIOPosix
import Testing
import AsteriskFakes

extension Integration {
    /// The FastAGI server over real loopback sockets, with the fake Asterisk as the peer.
    @Suite(.serialized) struct ServerTests {
        /// A reply function answering like Asterisk does for the commands these tests send.
        static func asterisk(_ command: String) -> String? {
            switch true {
            case command == "ANSWER": "200 result=0\n"
            case command.hasPrefix("GET DATA"): "200 result=7\n"
            case command.hasPrefix("SET VARIABLE"): "200 result=1\n"
            case command.hasPrefix("STREAM FILE"): "200 result=0 endpos=11360\n"
            default: "200 result=0\n"
            }
        }

        static func inboundRoutes(_ journal: Journal = Journal()) -> AGIRoutes {
            var routes = AGIRoutes()
            routes.add("/inbound") { session in
                try await session.answer()
                let choice = try await session.getData("menu", timeout: 3000, maxDigits: 1)
                try await session.setVariable("HELPLINE_QUEUE", "dept-\(choice.digits)-\(session.environment.uniqueID)")
                journal.record(session.environment.uniqueID)
            }
            return routes
        }

        @Test func routesByScriptPathAndAnswersUnknownScriptsWithFailure() async throws {
            let journal = Journal()
            var routes = Self.inboundRoutes(journal)
            routes.add("/status") { session in
                journal.record("status \(session.environment.arguments) \(session.environment.query("lang") ?? "-")")
                session.logger.info("status asked")
            }
            let logs = RecordingLogHandler()
            try await withAGIServer(routes: routes, logs: logs) { server, address in
                let inbound = try await FakeAsterisk.session(to: address) { peer in
                    try await peer.sendEnvironment(script: "inbound", uniqueID: "u-1")
                    return try await peer.serve(Self.asterisk)
                }
                #expect(inbound == ["ANSWER", "GET DATA menu 3000 1", "SET VARIABLE HELPLINE_QUEUE \"dept-7-u-1\""])
                let status = try await FakeAsterisk.session(to: address) { peer in
                    try await peer.sendEnvironment(script: "status?lang=hi", uniqueID: "u-2", arguments: ["12345", ""])
                    return try await peer.readToEOF()
                }
                #expect(status == [])
                let unknown = try await FakeAsterisk.session(to: address) { peer in
                    try await peer.sendEnvironment(script: "no-such-script", uniqueID: "u-3")
                    return try await peer.readToEOF()
                }
                #expect(unknown == ["FAILURE"])
            }
            #expect(journal.all == ["u-1", "status [\"12345\", \"\"] hi"])
            let asked = try #require(logs.all.first { $0.message == "status asked" })
            #expect(asked.metadata["agi.uniqueid"] == "u-2", "the session's logger carries the call's uniqueid")
            #expect(asked.metadata["agi.script"] == "status?lang=hi")
            let warning = try #require(logs.all.first { $0.message.contains("unknown script") })
            #expect(warning.metadata["agi.uniqueid"] == "u-3")
            #expect(warning.metadata["agi.script_path"] == "/no-such-script")
        }

        @Test func thousandConcurrentSessionsKeepTheirOwnState() async throws {
            let journal = Journal()
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
            var configuration = testConfiguration()
            configuration.replyTimeout = .seconds(60)
            try await withAGIServer(configuration: configuration, routes: Self.inboundRoutes(journal), eventLoopGroup: group) { server, address in
                try await withThrowingTaskGroup(of: Bool.self) { tasks in
                    for index in 0..<1000 {
                        tasks.addTask {
                            try await FakeAsterisk.session(to: address) { peer in
                                try await peer.sendEnvironment(script: "inbound", uniqueID: "call-\(index)")
                                let commands = try await peer.serve(Self.asterisk)
                                try await peer.send("HANGUP\n")
                                return commands.last == "SET VARIABLE HELPLINE_QUEUE \"dept-7-call-\(index)\""
                            }
                        }
                    }
                    var good = 0
                    for try await ok in tasks where ok { good += 1 }
                    #expect(good == 1000)
                }
                try await waitUntil { server.connectionCount == 0 }
            }
            #expect(Set(journal.all).count == 1000)
            try await group.shutdownGracefully()
        }

        @Test func refusesPeersOutsideTheAllowList() async throws {
            var configuration = testConfiguration()
            configuration.allowList = [AGIPeerRule("10.9.8.0/24")!]
            let logs = RecordingLogHandler()
            let metrics = TestMetrics()
            try await withAGIServer(configuration: configuration, routes: Self.inboundRoutes(), logs: logs, metrics: metrics) { server, address in
                let received = Journal()
                do {
                    try await FakeAsterisk.session(to: address) { peer in
                        try? await peer.sendEnvironment(script: "inbound")
                        while let line = try await peer.readLine() { received.record(line) }
                    }
                } catch let error as IOError where error.errnoCode == ECONNRESET {
                    // Closed with our environment block unread: the kernel resets the connection.
                }
                #expect(received.all.isEmpty, "a refused peer gets nothing")
            }
            #expect(logs.all.contains { $0.level == .warning && $0.message.contains("not in the allow-list") })
            #expect(try metrics.expectCounter("agi_sessions_refused_total", [("reason", "allow_list")]).totalValue == 1)
        }

        @Test func refusesSessionsOverTheLimitWithFailure() async throws {
            var configuration = testConfiguration()
            configuration.maximumSessions = 2
            let metrics = TestMetrics()
            var routes = AGIRoutes()
            routes.add("/hold") { session in
                _ = try await session.getData("menu", timeout: 3000, maxDigits: 1)
            }
            try await withAGIServer(configuration: configuration, routes: routes, metrics: metrics) { server, address in
                try await withThrowingTaskGroup(of: [String].self) { tasks in
                    let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
                    let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
                    for _ in 0..<2 {
                        tasks.addTask {
                            try await FakeAsterisk.session(to: address) { peer in
                                try await peer.sendEnvironment(script: "hold")
                                let command = try await peer.readLine()
                                startedContinuation.yield()
                                for await _ in release { break }
                                try await peer.send("200 result=1\n")
                                return [command ?? "EOF"] + (try await peer.readToEOF())
                            }
                        }
                    }
                    var iterator = started.makeAsyncIterator()
                    _ = await iterator.next()
                    _ = await iterator.next()
                    let third = try await FakeAsterisk.session(to: address) { peer in
                        try await peer.sendEnvironment(script: "hold")
                        return try await peer.readToEOF()
                    }
                    #expect(third == ["FAILURE"])
                    releaseContinuation.yield()
                    releaseContinuation.yield()
                    releaseContinuation.finish()
                    for try await lines in tasks { #expect(lines == ["GET DATA menu 3000 1"]) }
                }
                // Room again once the first two have ended.
                try await waitUntil { server.connectionCount == 0 }
                let fourth = try await FakeAsterisk.session(to: address) { peer in
                    try await peer.sendEnvironment(script: "hold")
                    return try await peer.serve { _ in "200 result=1\n" }
                }
                #expect(fourth == ["GET DATA menu 3000 1"])
            }
            #expect(try metrics.expectCounter("agi_sessions_refused_total", [("reason", "limit")]).totalValue == 1)
            #expect(try metrics.expectCounter("agi_sessions_accepted_total").totalValue == 3)
            #expect(try metrics.expectTimer("agi_command_duration_seconds", [("command", "GET DATA")]).values.count == 3)
            #expect(try metrics.expectCounter("agi_replies_total", [("code", "200")]).totalValue == 3)
        }

        @Test func aThrowingHandlerEndsOnlyItsOwnSession() async throws {
            struct Boom: Error {}
            let logs = RecordingLogHandler()
            let metrics = TestMetrics()
            var routes = Self.inboundRoutes()
            routes.add("/broken") { session in
                try await session.answer()
                throw Boom()
            }
            try await withAGIServer(routes: routes, logs: logs, metrics: metrics) { server, address in
                try await withThrowingTaskGroup(of: [String].self) { tasks in
                    tasks.addTask {
                        try await FakeAsterisk.session(to: address) { peer in
                            try await peer.sendEnvironment(script: "broken", uniqueID: "broken-1")
                            return try await peer.serve(Self.asterisk)
                        }
                    }
                    tasks.addTask {
                        try await FakeAsterisk.session(to: address) { peer in
                            try await peer.sendEnvironment(script: "inbound", uniqueID: "fine-1")
                            return try await peer.serve(Self.asterisk)
                        }
                    }
                    var results: [[String]] = []
                    for try await lines in tasks { results.append(lines) }
                    #expect(results.contains(["ANSWER", "FAILURE"]), "the failed session asks Asterisk to fall back")
                    #expect(results.contains(["ANSWER", "GET DATA menu 3000 1", "SET VARIABLE HELPLINE_QUEUE \"dept-7-fine-1\""]))
                }
            }
            let error = try #require(logs.all.first { $0.level == .error })
            #expect(error.metadata["agi.uniqueid"] == "broken-1")
            #expect(error.metadata["error"]?.contains("Boom") == true)
            #expect(try metrics.expectCounter("agi_sessions_failed_total").totalValue == 1)
        }

        @Test func slowRepliesAreWaitedForAndMissingRepliesTimeOut() async throws {
            var configuration = testConfiguration()
            configuration.replyTimeout = .seconds(1)
            let journal = Journal()
            var routes = AGIRoutes()
            routes.add("/slow") { session in
                do {
                    try await session.answer()
                    journal.record("answered")
                    try await session.noop()
                } catch let error as AGIError {
                    journal.record("\(error.code)")
                    throw error
                }
            }
            try await withAGIServer(configuration: configuration, routes: routes) { _, address in
                let lines = try await FakeAsterisk.session(to: address) { peer in
                    try await peer.sendEnvironment(script: "slow")
                    let first = try await peer.readLine()
                    try await Task.sleep(for: .milliseconds(200))  // slow, but within the deadline
                    try await peer.send("200 result=0\n")
                    let second = try await peer.readLine()  // never answered
                    return [first, second].compactMap { $0 } + (try await peer.readToEOF())
                }
                #expect(lines == ["ANSWER", "NOOP"])
            }
            #expect(journal.all == ["answered", "reply timed out"])
        }

        /// HANGUP arrives while a command is in flight, before its reply: the command fails with
        /// the hangup error at once, the late reply is never read as another command's, and the
        /// server closes so Asterisk can release the channel.
        @Test func hangupBeforeTheReplyFailsTheCommandInFlight() async throws {
            let journal = Journal()
            var routes = AGIRoutes()
            routes.add("/hangup") { session in
                journal.record(await CaptureReplayTests.code { _ = try await session.getData("menu", timeout: 3000, maxDigits: 1) })
                journal.record(await CaptureReplayTests.code { try await session.noop() })
                journal.record("hung up: \(session.isHungUp)")
            }
            try await withAGIServer(routes: routes) { server, address in
                let lines = try await FakeAsterisk.session(to: address) { peer in
                    try await peer.sendEnvironment(script: "hangup")
                    let command = try await peer.readLine()
                    try await peer.send("HANGUP\n")
                    try await peer.send("511 Command Not Permitted on a dead channel or intercept routine\n")
                    return [command ?? "EOF"] + (try await peer.readToEOF())
                }
                #expect(lines == ["GET DATA menu 3000 1"], "nothing is sent after HANGUP")
                try await waitUntil { server.connectionCount == 0 }
            }
            try await waitUntil { journal.all.count == 3 }
            #expect(journal.all == ["hung up", "hung up", "hung up: true"])
        }

        @Test func abruptCloseFailsThePendingCommand() async throws {
            let journal = Journal()
            var routes = AGIRoutes()
            routes.add("/abrupt") { session in
                journal.record(await CaptureReplayTests.code { _ = try await session.getData("menu", timeout: 3000, maxDigits: 1) })
            }
            try await withAGIServer(routes: routes) { server, address in
                try await FakeAsterisk.session(to: address) { peer in
                    try await peer.sendEnvironment(script: "abrupt")
                    _ = try await peer.readLine()
                }
                try await waitUntil { server.connectionCount == 0 }
            }
            try await waitUntil { journal.all.count == 1 }
            #expect(journal.all == ["connection closed"])
        }

        /// `/store`: asks for a digit and, when the caller hangs up instead, runs `store` (what a
        /// handler does with what the caller gave).
        static func storingAfterHangup(_ store: @escaping @Sendable () async -> Void) -> AGIRoutes {
            var routes = AGIRoutes()
            routes.add("/store") { session in
                do {
                    _ = try await session.getData("menu", timeout: 3000, maxDigits: 1)
                } catch let error as AGIError where error.code == .hungUp {
                    await store()
                }
            }
            return routes
        }

        /// A `/store` session whose caller hangs up while the first command is in flight.
        static func hangUpDuringTheFirstCommand(_ address: SocketAddress) async throws {
            try await FakeAsterisk.session(to: address) { peer in
                try await peer.sendEnvironment(script: "store")
                _ = try await peer.readLine()
                try await peer.send("HANGUP\n")
                _ = try await peer.readToEOF()
            }
        }

        /// A handler that goes on after the caller hung up (storing what the caller gave) keeps
        /// the server from returning until it is done, even once its connection is gone.
        @Test func theServerStopsOnlyAfterHandlersStillStoringHaveReturned() async throws {
            let journal = Journal()
            let routes = Self.storingAfterHangup {
                try? await Task.sleep(for: .milliseconds(300))
                journal.record("stored")
            }
            try await withAGIServer(routes: routes) { server, address in
                try await Self.hangUpDuringTheFirstCommand(address)
                try await waitUntil { server.connectionCount == 0 }
                #expect(journal.all.isEmpty, "still storing when its connection closed")
            }
            // withAGIServer returns when run() does.
            #expect(journal.all == ["stored"])
        }

        /// A handler's long wait (a minute) that records "cancelled" when it is cut short.
        static func sleepUntilCancelled(_ journal: Journal) async {
            do {
                try await Task.sleep(for: .seconds(60))
            } catch {
                journal.record("cancelled")  // Task.sleep throws only CancellationError
            }
        }

        /// A server running in a task of its own, so that a test can cancel it: the server, the
        /// task and the address it listens on.
        static func startInTask(_ routes: AGIRoutes, sourceLocation: SourceLocation = #_sourceLocation) async throws -> (AGIServer, Task<Void, any Error>, SocketAddress) {
            let server = AGIServer(configuration: testConfiguration(), routes: routes, logger: RecordingLogHandler().logger())
            let (addresses, continuation) = AsyncStream.makeStream(of: SocketAddress.self)
            let run = Task { try await server.run { continuation.yield($0) } }
            var iterator = addresses.makeAsyncIterator()
            let address = try #require(await iterator.next(), "the server did not start", sourceLocation: sourceLocation)
            return (server, run, address)
        }

        /// Cancelling the server's task ends every session at once: channels close and handlers
        /// are cancelled; run() returns once they have.
        @Test func cancellingTheServerEndsEverySession() async throws {
            let journal = Journal()
            var routes = AGIRoutes()
            routes.add("/wait") { session in
                try await session.answer()
                journal.record("waiting")
                await Self.sleepUntilCancelled(journal)
            }
            let (server, run, address) = try await Self.startInTask(routes)
            let lines = try await FakeAsterisk.session(to: address) { peer in
                try await peer.sendEnvironment(script: "wait")
                let first = try await peer.readLine()
                try await peer.send("200 result=0\n")
                // Cancel once the handler has its reply and waits (cancelled earlier, its
                // ANSWER would fail with the closed connection before it could wait).
                try await waitUntil { journal.all == ["waiting"] }
                run.cancel()
                return [first ?? "EOF"] + (try await peer.readToEOF())
            }
            #expect(lines == ["ANSWER"])
            try await run.value
            #expect(journal.all == ["waiting", "cancelled"])
            // run() returns only once every connection is closed and counted out.
            #expect(server.connectionCount == 0)
        }

        /// Cancelling reaches handlers whose connection is already gone too (a handler still at
        /// work after its caller hung up), and handlers cancelled after the drain began.
        @Test func cancellingTheServerCancelsHandlersWhoseCallerHungUp() async throws {
            let journal = Journal()
            let routes = Self.storingAfterHangup {
                journal.record("storing")
                await Self.sleepUntilCancelled(journal)
            }
            let (server, run, address) = try await Self.startInTask(routes)
            try await Self.hangUpDuringTheFirstCommand(address)
            try await waitUntil { server.connectionCount == 0 && journal.all == ["storing"] }
            // Graceful shutdown first: run() now waits for the storing handler …
            server.beginGracefulShutdown()
            try await Task.sleep(for: .milliseconds(100))
            // … and cancelling it cancels that handler.
            run.cancel()
            try await run.value
            #expect(journal.all == ["storing", "cancelled"])
        }

        @Test func drainsOnShutdownThenEndsWhatIsLeft() async throws {
            var configuration = testConfiguration()
            configuration.drainTimeout = .milliseconds(1500)
            let journal = Journal()
            var routes = AGIRoutes()
            routes.add("/hold") { session in
                journal.record(await CaptureReplayTests.code { _ = try await session.getData("menu", timeout: 3000, maxDigits: 1) })
            }
            let server = AGIServer(configuration: configuration, routes: routes, logger: RecordingLogHandler().logger())
            let (addresses, continuation) = AsyncStream.makeStream(of: SocketAddress.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run { continuation.yield($0) } }
                var iterator = addresses.makeAsyncIterator()
                let address = try #require(await iterator.next())
                try await withThrowingTaskGroup(of: [String].self) { sessions in
                    let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
                    // One session finishes during the drain, one never answers.
                    for answers in [true, false] {
                        sessions.addTask {
                            try await FakeAsterisk.session(to: address) { peer in
                                try await peer.sendEnvironment(script: "hold")
                                let command = try await peer.readLine()
                                readyContinuation.yield()
                                if answers {
                                    try await Task.sleep(for: .milliseconds(200))
                                    try await peer.send("200 result=5\n")
                                }
                                return [command ?? "EOF"] + (try await peer.readToEOF())
                            }
                        }
                    }
                    var readyIterator = ready.makeAsyncIterator()
                    _ = await readyIterator.next()
                    _ = await readyIterator.next()
                    let started = ContinuousClock.now
                    server.beginGracefulShutdown()
                    try await Task.sleep(for: .milliseconds(50))
                    await #expect(throws: (any Error).self, "no new sessions once draining") {
                        try await FakeAsterisk.session(to: address) { _ in }
                    }
                    for try await lines in sessions { #expect(lines == ["GET DATA menu 3000 1"]) }
                    try await group.next()
                    let took = ContinuousClock.now - started
                    #expect(took >= .milliseconds(1450), "the stuck session was given the drain time")
                }
            }
            #expect(journal.all.sorted() == ["connection closed", "ok"])
        }
    }
}

/// Polls `condition` every 10 ms for up to thirty seconds (a deadline for a loaded CI machine, not a timing goal).
func waitUntil(_ condition: @Sendable () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut(limit: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(10))
    }
}
