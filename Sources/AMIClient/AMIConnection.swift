public import Logging
public import NIOCore
import NIOPosix

/// One TCP connection to an AMI endpoint: banner, actions with ActionID correlation, events.
///
/// It neither logs in nor reconnects on its own; ``AMIClient`` does that. Every waiting action
/// fails at once when the connection ends.
///
/// ```swift
/// let connection = try await AMIConnection.connect(host: "127.0.0.1", port: 5038, on: group.next())
/// _ = try await connection.send(.login(username: "helpline", secret: secret, events: "off"))
/// let status = try await connection.send(.queueStatus())
/// ```
public final class AMIConnection: Sendable {
    /// The channel the connection runs on.
    public let channel: any Channel
    /// The banner line (`Asterisk Call Manager/11.0.0`).
    public let banner: String
    /// This connection's events (those that complete no action), in wire order.
    public let events: AMIEventStream

    private init(channel: any Channel, banner: String, events: AMIEventStream) {
        self.channel = channel
        self.banner = banner
        self.events = events
    }

    /// Connects and waits for the banner.
    ///
    /// - Parameters:
    ///   - prefix: starts every ActionID of this connection, so IDs never repeat across connections.
    ///   - timeout: for the TCP connect and the banner together. Defaults to five seconds.
    ///   - events: where events go; a new stream of 10,000 when nil.
    public static func connect(
        host: String, port: Int, on eventLoop: any EventLoop, prefix: String = "hl",
        limits: AMIFramer.Limits = .init(), timeout: Duration = .seconds(5),
        events: AMIEventStream? = nil, logger: Logger = Logger(label: "ami")
    ) async throws(AMIError) -> AMIConnection {
        let stream = events ?? AMIEventStream()
        return try await connect(host: host, port: port, on: eventLoop, prefix: prefix, limits: limits, timeout: timeout,
                                 hooks: AMIConnectionHooks(event: { message, _ in stream.yield(message) }, batchEnded: { stream.wake() }, closed: { _ in }),
                                 events: stream, logger: logger)
    }

    static func connect(
        host: String, port: Int, on eventLoop: any EventLoop, prefix: String, limits: AMIFramer.Limits,
        timeout: Duration, hooks: AMIConnectionHooks, events: AMIEventStream, logger: Logger
    ) async throws(AMIError) -> AMIConnection {
        let bannerPromise = eventLoop.makePromise(of: String.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(.init(timeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            AMIChannelHandler(prefix: prefix, limits: limits, bannerPromise: bannerPromise, hooks: hooks, logger: logger))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            bannerPromise.fail(error)
            throw AMIError(.connectionClosed, "cannot connect to \(host):\(port): \(error)")
        }
        let timer = eventLoop.scheduleTask(in: .init(timeout)) {
            bannerPromise.fail(AMIError(.timeout, "no AMI banner from \(host):\(port) within \(timeout)"))
        }
        do {
            let banner = try await bannerPromise.futureResult.get()
            timer.cancel()
            return AMIConnection(channel: channel, banner: banner, events: events)
        } catch {
            timer.cancel()
            channel.close(promise: nil)
            if let error = error as? AMIError { throw error }
            throw AMIError(.connectionClosed, "\(error)")
        }
    }

    /// Sends an action and waits for its complete reply (list, command output or OriginateResponse).
    ///
    /// Throws ``AMIError`` with `.actionFailed` for `Response: Error`, `.timeout` after
    /// `timeout` (defaults to ten seconds), `.connectionClosed` (or `.originateOutcomeUnknown`)
    /// when the connection ends first.
    public func send(_ action: AMIAction, timeout: Duration = .seconds(10)) async throws(AMIError) -> AMIResponse {
        let promise = channel.eventLoop.makePromise(of: AMIResponse.self)
        let request = AMIRequest(action: action, deadline: .now() + .init(timeout), promise: promise)
        channel.writeAndFlush(request).whenFailure { error in
            // The handler never saw it (the channel is closed): report that.
            promise.fail(AMIError(.connectionClosed, "\(action.name) was not sent: the connection is closed (\(error))"))
        }
        do {
            return try await promise.futureResult.get()
        } catch let error as AMIError {
            throw error
        } catch {
            throw AMIError(.connectionClosed, "\(error)")
        }
    }

    /// Closes the socket at once (no Logoff).
    public func close() async {
        try? await channel.close()
    }

    /// Sends Logoff, waits up to `timeout` for Goodbye, then closes.
    public func logoff(timeout: Duration = .seconds(2)) async {
        _ = try? await send(.logoff(), timeout: timeout)
        await close()
    }

    /// Completes when the connection has closed.
    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }
}
