import Logging
import CoreMetrics
import NIOCore
import NIOEmbedded
import Testing

@testable import AGIServer

/// The per-loop sweep that replaces a timer per session: deadlines are acted on within one
/// sweep interval, sessions leave the sweep when their channel closes (from any place in its
/// list), and an empty sweep stops ticking.
@Suite struct DeadlineSweeperTests {
    static let limits = AGISessionLimits(
        maximumLineLength: 1024, maximumEnvironmentKeys: 64,
        environmentTimeout: .seconds(2), replyTimeout: .seconds(10), lingerTimeout: .seconds(1))

    /// An active channel with a session handler watched by `sweeper`.
    static func session(on loop: EmbeddedEventLoop, sweeper: DeadlineSweeper) throws -> EmbeddedChannel {
        let handler = AGIChannelHandler(
            limits: limits, metrics: AGIMetrics(factory: NOOPMetricsHandler.instance), flags: AGIConnectionFlags(),
            logger: Logger(label: "test"), peer: nil, sweeper: sweeper, onClose: nil)
        let channel = EmbeddedChannel(handler: handler, loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4573)).wait()
        return channel
    }

    @Test func aMissingEnvironmentBlockEndsTheSessionWithinOneInterval() throws {
        let loop = EmbeddedEventLoop()
        let sweeper = DeadlineSweeper(eventLoop: loop)
        let channel = try Self.session(on: loop, sweeper: sweeper)
        #expect(sweeper.count == 1)

        loop.advanceTime(by: .milliseconds(1900))
        #expect(channel.isActive, "still inside the environment deadline")
        loop.advanceTime(by: .milliseconds(100) + DeadlineSweeper.interval)
        #expect(!channel.isActive, "closed at the first sweep after the deadline")
        #expect(sweeper.count == 0)
    }

    @Test func sessionsLeaveFromAnyPlaceAndTheRestAreStillSwept() throws {
        let loop = EmbeddedEventLoop()
        let sweeper = DeadlineSweeper(eventLoop: loop)
        let channels = try (0..<3).map { _ in try Self.session(on: loop, sweeper: sweeper) }
        #expect(sweeper.count == 3)

        // The first leaves: the last takes its place in the list.
        try channels[0].close().wait()
        #expect(sweeper.count == 2)
        // The one that moved still has its deadline watched, and so has the one in the middle.
        loop.advanceTime(by: .seconds(2) + DeadlineSweeper.interval)
        #expect(!channels[1].isActive)
        #expect(!channels[2].isActive)
        #expect(sweeper.count == 0)
    }

    @Test func anEmptySweepStopsTickingAndStartsAgainForTheNextSession() throws {
        let loop = EmbeddedEventLoop()
        let sweeper = DeadlineSweeper(eventLoop: loop)
        let first = try Self.session(on: loop, sweeper: sweeper)
        try first.close().wait()
        // One tick finds the list empty and schedules no other.
        loop.advanceTime(by: DeadlineSweeper.interval)
        #expect(sweeper.isTicking == false)

        let second = try Self.session(on: loop, sweeper: sweeper)
        #expect(sweeper.isTicking)
        loop.advanceTime(by: .seconds(2) + DeadlineSweeper.interval)
        #expect(!second.isActive)
    }
}
