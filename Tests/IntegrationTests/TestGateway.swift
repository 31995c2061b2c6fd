import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP/1.1 server on loopback playing an SMS gateway or a department portal.
///
/// Each request is answered as `behaviour` says for its idempotency key and attempt number. The
/// gateway honours the key the way a real one should: it delivers a message the first time it
/// accepts it (a 2xx answer, or an answer it holds back past the client's timeout: the gateway
/// did its work, the client never heard) and drops every later request with that key.
final class TestGateway: Sendable {
    /// How to answer one request.
    enum Reply: Sendable {
        /// Answer at once with this status (delivering the message when it is 2xx).
        case status(Int, headers: [String: String] = [:])
        /// Deliver the message, but answer 200 only after this delay.
        case hold(TimeAmount)
    }

    /// A request as received.
    struct Request: Sendable {
        var method: String
        var uri: String
        var headers: [String: String]
        var body: String
        var key: String? { headers["idempotency-key"] }
    }

    private struct State {
        var requests: [Request] = []
        var attempts: [String: Int] = [:]
        var deliveries: [String: Int] = [:]
    }

    private let state = Mutex(State())
    private let behaviour: @Sendable (_ key: String, _ attempt: Int) -> Reply
    private let channel: any Channel

    /// The port it listens on, on 127.0.0.1.
    var port: Int { channel.localAddress?.port ?? 0 }
    /// Its base URL.
    var url: String { "http://127.0.0.1:\(port)" }

    private init(channel: any Channel, behaviour: @escaping @Sendable (String, Int) -> Reply) {
        self.channel = channel
        self.behaviour = behaviour
    }

    /// Starts a gateway on a free loopback port.
    static func start(behaviour: @escaping @Sendable (_ key: String, _ attempt: Int) -> Reply) async throws -> TestGateway {
        let box = Locked<TestGateway?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    let gateway = box.withLock { $0 }!
                    try channel.pipeline.syncOperations.addHandler(GatewayHandler(gateway: gateway))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let gateway = TestGateway(channel: channel, behaviour: behaviour)
        box.withLock { $0 = gateway }
        return gateway
    }

    /// Stops listening.
    func stop() async throws {
        try await channel.close()
    }

    /// Every request received, in order.
    var requests: [Request] { state.withLock { $0.requests } }
    /// How many times each key was delivered (at most once, if the gateway works).
    var deliveries: [String: Int] { state.withLock { $0.deliveries } }
    /// How many requests each key came with.
    var attempts: [String: Int] { state.withLock { $0.attempts } }

    fileprivate func received(_ request: Request) -> Reply {
        let key = request.key ?? "(none)"
        return state.withLock { state in
            state.requests.append(request)
            state.attempts[key, default: 0] += 1
            let reply = behaviour(key, state.attempts[key]!)
            let accepted: Bool
            switch reply {
            case .status(let code, _): accepted = (200..<300).contains(code)
            case .hold: accepted = true
            }
            // Honouring the key: a repeat is acknowledged but not delivered again.
            if accepted, state.deliveries[key] == nil { state.deliveries[key] = 1 }
            return reply
        }
    }
}

private final class GatewayHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let gateway: TestGateway
    // Touched only on the channel's event loop.
    private var head: HTTPRequestHead?
    private var body = ""

    init(gateway: TestGateway) {
        self.gateway = gateway
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = ""
        case .body(let buffer):
            body += String(buffer: buffer)
        case .end:
            guard let head else { return }
            var headers: [String: String] = [:]
            for (name, value) in head.headers { headers[name.lowercased()] = value }
            let reply = gateway.received(TestGateway.Request(method: head.method.rawValue, uri: head.uri, headers: headers, body: body))
            switch reply {
            case .status(let code, let extra):
                respond(context: context, status: code, headers: extra)
            case .hold(let delay):
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: delay) {
                    let context = loopBound.value
                    guard context.channel.isActive else { return }
                    self.respond(context: context, status: 200, headers: [:])
                }
            }
        }
    }

    private func respond(context: ChannelHandlerContext, status: Int, headers extra: [String: String]) {
        var headers = HTTPHeaders()
        let text = "{\"status\":\(status)}"
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: "\(text.utf8.count)")
        for (name, value) in extra { headers.add(name: name, value: value) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

/// A value behind a lock that closures can share (a `Mutex` cannot be captured by them).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<T: Sendable>(_ body: (inout Value) -> T) -> T {
        mutex.withLock { body(&$0) }
    }
}
