import AGITestSupport
@testable import AMIClient
import Logging
import NIOCore
import NIOPosix
import Testing
import TimeSupport
import AsteriskFakes

/// The reconnecting client against a fake Asterisk on a real loopback socket that speaks the
/// captures' bytes.
@Suite struct ConnectionTests {
    func configuration(_ server: FakeAMIServer, md5: Bool = false, secret: String = "labsecret") -> AMIClient.Configuration {
        var configuration = AMIClient.Configuration(name: "lab", host: "127.0.0.1", port: server.port, username: "helpline", secret: secret)
        configuration.md5Login = md5
        configuration.reconnectInitialDelay = .milliseconds(20)
        configuration.reconnectMaximumDelay = .milliseconds(100)
        configuration.keepaliveInterval = .milliseconds(100)
        configuration.keepaliveTimeout = .milliseconds(300)
        configuration.actionTimeout = .seconds(5)
        configuration.reconciliationInterval = nil
        return configuration
    }

    /// Waits until `condition` holds (a liveness bound of 20 s, not a speed goal).
    func eventually(_ what: String, _ condition: () -> Bool) async throws {
        let end = ContinuousClock.now + .seconds(20)
        while !condition() {
            guard ContinuousClock.now < end else {
                Issue.record("never happened: \(what)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The state the captured QueueStatus describes, built independently of the client.
    func expectedQueues() throws -> [String: QueueState] {
        let items = try frame(Capture.load("ami/queue-status-all-queues.txt").connectionsFromAsterisk[0])
            .filter { $0.kind == .event && $0.actionID == "lab-2" && !$0.nameIs("QueueStatusComplete") }
        return PBXState.queues(fromQueueStatus: items, now: 0)
    }

    func assertLiveStateIsTheCapturedOne(_ board: LiveStateBoard) throws {
        let pbx = try #require(board.snapshot().pbxs["lab"])
        #expect(!pbx.isStale)
        let expected = try expectedQueues()
        #expect(Set(pbx.queues.keys) == Set(expected.keys))
        for (name, queue) in expected {
            #expect(pbx.queues[name]?.members == queue.members, "\(name)")
            #expect(pbx.queues[name]?.callers.map(\.uniqueid) == queue.callers.map(\.uniqueid), "\(name)")
            #expect(pbx.queues[name]?.figures(now: 0).available == queue.figures(now: 0).available)
        }
    }

    /// Runs a client against the server for the body, then shuts it down (Logoff) and waits.
    func withClient(_ server: FakeAMIServer, _ configuration: AMIClient.Configuration,
                    _ body: (AMIClient) async throws -> Void) async throws {
        let client = AMIClient(configuration: configuration, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            do {
                try await body(client)
            } catch {
                await client.shutdown()
                throw error
            }
            await client.shutdown()
            try await group.waitForAll()
        }
    }

    @Test func plainLoginResyncsAndLogsOffOnShutdown() async throws {
        let server = try await FakeAMIServer()
        try await withClient(server, configuration(server)) { client in
            try await eventually("live state") { client.board.snapshot().pbxs["lab"]?.isStale == false }
            try assertLiveStateIsTheCapturedOne(client.board)
            #expect(server.actions.withLock { $0 } == ["Login", "QueueStatus"])
            let summary = try await client.send(.queueSummary())
            #expect(summary.items.count == 3)
        }
        #expect(server.actions.withLock { $0 }.last == "Logoff")
        await server.stop()
    }

    @Test func md5LoginIsAccepted() async throws {
        let server = try await FakeAMIServer()
        try await withClient(server, configuration(server, md5: true)) { client in
            try await eventually("live state") { client.board.snapshot().pbxs["lab"]?.isStale == false }
            #expect(server.actions.withLock { Array($0.prefix(3)) } == ["Challenge", "Login", "QueueStatus"])
        }
        await server.stop()
    }

    @Test(arguments: [false, true])
    func refusedLoginRetriesAndStaysStale(md5: Bool) async throws {
        let server = try await FakeAMIServer()
        try await withClient(server, configuration(server, md5: md5, secret: "wrong")) { client in
            try await eventually("three attempts") { server.connections.load(ordering: .relaxed) >= 3 }
            #expect(client.board.snapshot().pbxs["lab"]?.isStale == true)
            #expect(!server.actions.withLock { $0 }.contains("QueueStatus"))
            await #expect(throws: AMIError.self) { try await client.send(.ping()) }
        }
        await server.stop()
    }

    @Test func deadLinkWithoutPongReconnects() async throws {
        let server = try await FakeAMIServer()
        try await withClient(server, configuration(server)) { client in
            try await eventually("live state") { client.board.snapshot().pbxs["lab"]?.isStale == false }
            server.behaviour.withLock { $0.answerPings = false }
            try await eventually("reconnect after a lost Pong") { server.connections.load(ordering: .relaxed) >= 2 }
            server.behaviour.withLock { $0.answerPings = true }
            try await eventually("live again") {
                client.board.snapshot().pbxs["lab"]?.isStale == false && server.connectedClients == 1
                    && server.actions.withLock { $0.filter { $0 == "QueueStatus" }.count } >= 2
            }
            try assertLiveStateIsTheCapturedOne(client.board)
        }
        await server.stop()
    }

    @Test func abruptCloseMarksStaleThenResyncs() async throws {
        let server = try await FakeAMIServer()
        try await withClient(server, configuration(server)) { client in
            try await eventually("live state") { client.board.snapshot().pbxs["lab"]?.isStale == false }
            // Make the next connections slow to come back, so the stale window can be seen.
            server.behaviour.withLock { $0.secret = "changed" }
            server.dropClients()
            try await eventually("stale") { client.board.snapshot().pbxs["lab"]?.staleSince != nil }
            #expect(client.board.snapshot().pbxs["lab"]?.queues.count == 3)  // last picture kept
            server.behaviour.withLock { $0.secret = "labsecret" }
            try await eventually("live again") { client.board.snapshot().pbxs["lab"]?.isStale == false }
            try assertLiveStateIsTheCapturedOne(client.board)
        }
        await server.stop()
    }

    @Test func restartInTheMiddleOfTheListThenRightState() async throws {
        let server = try await FakeAMIServer()
        server.behaviour.withLock { $0.cutNextQueueStatusAfter = 700 }
        try await withClient(server, configuration(server)) { client in
            try await eventually("live state") { client.board.snapshot().pbxs["lab"]?.isStale == false }
            #expect(server.connections.load(ordering: .relaxed) >= 2)
            try assertLiveStateIsTheCapturedOne(client.board)
        }
        await server.stop()
    }

    @Test func eventsAfterResyncUpdateTheState() async throws {
        let server = try await FakeAMIServer()
        try await withClient(server, configuration(server)) { client in
            try await eventually("live state") { client.board.snapshot().pbxs["lab"]?.isStale == false }
            let completedBefore = try #require(client.board.snapshot().pbxs["lab"]?.queues["dept-health"]?.completed)
            // Push the captured three-call stream (its events only, no replies).
            let stream = try Capture.load("ami/three-calls-queue-event-stream-call-agent-only.txt").exchange("Login")!.reply
            server.push(Array(stream.dropFirst(firstMessageEnd(stream))))
            try await eventually("the stream applied") {
                client.board.snapshot().pbxs["lab"]?.queues["dept-revenue"]?.members["Local/agent3@agents/n"]?.callsTaken == 1
                    && client.board.snapshot().pbxs["lab"]?.queues["dept-health"]?.completed == completedBefore + 1
            }
            let pbx = try #require(client.board.snapshot().pbxs["lab"])
            #expect(pbx.queues["dept-health"]?.members["Local/agent2@agents/n"]?.callsTaken == 4)
            #expect(pbx.queues["dept-health"]?.callers.isEmpty == true)
            // The snapshot had a caller in dept-police that the stream's Count (1 on join) does not
            // account for: the client asks Asterisk about that queue again.
            try await eventually("requery") { server.actions.withLock { $0.filter { $0 == "QueueStatus" }.count } >= 2 }
        }
        await server.stop()
    }

    @Test func originateIsNeverResentAfterTheLinkDrops() async throws {
        let server = try await FakeAMIServer()
        server.behaviour.withLock { $0.closeAfterOriginateQueued = true }
        try await withClient(server, configuration(server)) { client in
            try await eventually("live state") { client.board.snapshot().pbxs["lab"]?.isStale == false }
            let error = await #expect(throws: AMIError.self) {
                try await client.send(.originate(channel: "Local/answer@lab-tests/n", destination: .extension(context: "lab-tests", exten: "playback", priority: 1)))
            }
            #expect(error?.code == .originateOutcomeUnknown)
            try await eventually("reconnected") {
                server.connections.load(ordering: .relaxed) >= 2 && client.board.snapshot().pbxs["lab"]?.isStale == false
            }
            #expect(server.actions.withLock { $0.filter { $0 == "Originate" }.count } == 1)
        }
        await server.stop()
    }

    @Test func asyncOriginateCompletes() async throws {
        let server = try await FakeAMIServer()
        try await withClient(server, configuration(server)) { client in
            try await eventually("live state") { client.board.snapshot().pbxs["lab"]?.isStale == false }
            let response = try await client.send(.originate(channel: "Local/answer@lab-tests/n", destination: .extension(context: "lab-tests", exten: "playback", priority: 1)))
            #expect(response.final?["Response"] == "Success")
        }
        await server.stop()
    }

    @Test(arguments: [true, false])
    func filtersAreAppliedAfterLoginAndARefusedOneIsNotFatal(accepted: Bool) async throws {
        let server = try await FakeAMIServer()
        server.behaviour.withLock { $0.acceptFilters = accepted }
        var configuration = configuration(server)
        configuration.filters = ["!Event: VarSet", "!Event: Newexten"]
        try await withClient(server, configuration) { client in
            try await eventually("live state") { client.board.snapshot().pbxs["lab"]?.isStale == false }
            #expect(server.actions.withLock { Array($0.prefix(4)) } == ["Login", "Filter", "Filter", "QueueStatus"])
            #expect(server.connections.load(ordering: .relaxed) == 1)
        }
        await server.stop()
    }

    @Test func reconciliationCorrectsAndCountsDrift() async throws {
        let server = try await FakeAMIServer()
        var configuration = configuration(server)
        configuration.reconciliationInterval = .milliseconds(100)
        try await withClient(server, configuration) { client in
            try await eventually("live state") { client.board.snapshot().pbxs["lab"]?.queues.count == 3 }
            #expect(client.board.snapshot().pbxs["lab"]?.drift == 0)
            // Asterisk now reports only dept-police: what the events built no longer matches.
            server.behaviour.withLock { $0.queueStatus = server.script.queueStatusOne }
            try await eventually("reconciled") { client.board.snapshot().pbxs["lab"]?.queues.count == 1 }
            let pbx = try #require(client.board.snapshot().pbxs["lab"])
            #expect(pbx.drift >= 2)  // two queues gone
            #expect(pbx.queues["dept-police"]?.callers.count == 1)
            #expect(!pbx.isStale)
        }
        await server.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func shutdownWhileLoggingInStillLogsOffAndEnds() async throws {
        let server = try await FakeAMIServer()
        server.behaviour.withLock { $0.holdLoginReplies = true }
        let client = AMIClient(configuration: configuration(server), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            try await eventually("Login sent") { server.actions.withLock { $0.contains("Login") } }
            await client.shutdown()  // no connection is current yet: nothing to log off here
            server.releaseHeldReplies()
            try await group.waitForAll()  // run() ends
        }
        #expect(server.actions.withLock { $0 } == ["Login", "Logoff"])
        await server.stop()
    }

    @Test func originateWaitsAsLongAsItMayRing() {
        let client = AMIClient(configuration: .init(name: "x", host: "127.0.0.1", username: "u", secret: "s"),
                               logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let call = AMIAction.originate(channel: "Local/a@b/n", destination: .application("Wait", data: "1"), timeout: .seconds(45))
        #expect(client.defaultTimeout(for: call) == .seconds(55))
        #expect(client.defaultTimeout(for: .originate(channel: "Local/a@b/n", destination: .application("Wait", data: "1"))) == .seconds(40))
        #expect(client.defaultTimeout(for: .ping()) == .seconds(10))
    }

    @Test func backoffIsCappedAndJittered() {
        let initial = Duration.milliseconds(500)
        let maximum = Duration.seconds(30)
        let backoff = ExponentialBackoff(base: initial, cap: maximum)
        // After a live session ended (no failure yet) the client waits for reconnect attempt 1.
        #expect(backoff.delay(afterFailure: 1, jitter: 1) == .milliseconds(500))
        #expect(backoff.delay(afterFailure: 4, jitter: 1) == .seconds(4))
        #expect(backoff.delay(afterFailure: 4, jitter: 0) == .seconds(2))
        #expect(backoff.delay(afterFailure: 61, jitter: 1) == .seconds(30))
        #expect(backoff.delay(afterFailure: 0, jitter: 1) == .milliseconds(500), "a count below 1 is the first failure")
    }
}

/// A peer that sends garbage: the connection closes with a precise error and fails what waits.
@Suite struct BadPeerTests {
    @Test func malformedBytesCloseTheConnectionAndFailWaitingActions() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(GarbageAfterBanner())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let connection = try await AMIConnection.connect(host: "127.0.0.1", port: server.localAddress!.port!, on: MultiThreadedEventLoopGroup.singleton.next())
        #expect(connection.banner == "Asterisk Call Manager/11.0.0")
        let error = await #expect(throws: AMIError.self) { try await connection.send(.ping()) }
        #expect(error?.code == .connectionClosed)
        #expect(error?.message.contains("not a 'Name: value' header") == true)
        try await connection.closeFuture.get()
    }
}

/// Sends the banner, then answers any request with a line that is not a header.
private final class GarbageAfterBanner: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "Asterisk Call Manager/11.0.0\r\n")), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "Response: Success\r\nthis is not a header\r\n\r\n")), promise: nil)
    }
}
