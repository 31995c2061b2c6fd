// ami-bench-client: end-to-end AMI benchmark over loopback.
//
// Logs in to an AMI server (plain Login), then runs every event through the AMIClient
// library's AMIFramer and the LiveState reducer (PBXState.apply) on one event-loop thread,
// until an event named BenchDone arrives; prints the events counted and events/s.
//
//   ami-bench-client --host 127.0.0.1 --port 5039 --username helpline --secret labsecret
import AMIClient
import BenchSupport
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

var host = "127.0.0.1"
var port = 5039
var username = "helpline"
var secret = ""
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--host": host = arguments.popFirst() ?? host
    case "--port": port = Int(arguments.popFirst() ?? "") ?? port
    case "--username": username = arguments.popFirst() ?? username
    case "--secret": secret = arguments.popFirst() ?? secret
    default:
        writeLine("usage: ami-bench-client --host H --port P --username U --secret S", to: 2)
        exit(64)
    }
}

struct Result: Sendable {
    var events: Int
    var seconds: Double
    var queues: Int
    var members: Int
    var loginFailed: String?
}

/// The whole client: framing and reduction inside channelRead, no hop per event.
final class BenchHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var framer = AMIFramer()
    var buffer: ByteBuffer?
    var state = PBXState(name: "bench", staleSince: nil)
    var events = 0
    var started: UInt64 = 0
    var loggedIn = false
    let login: AMIAction
    let done: EventLoopPromise<Result>

    init(login: AMIAction, done: EventLoopPromise<Result>) {
        self.login = login
        self.done = done
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer == nil || buffer!.readableBytes == 0 { buffer = incoming } else { buffer!.writeBuffer(&incoming) }
        do {
            while let message = try framer.next(from: &buffer!) {
                switch message.kind {
                case .banner:
                    var out = context.channel.allocator.buffer(capacity: 128)
                    try login.encode(actionID: "bench-1", into: &out)
                    context.writeAndFlush(wrapOutboundOut(out), promise: nil)
                case .response:
                    guard message.nameIs("Success") else {
                        done.succeed(Result(events: 0, seconds: 0, queues: 0, members: 0, loginFailed: message["Message"] ?? message.first))
                        context.close(promise: nil)
                        return
                    }
                    loggedIn = true
                    started = DispatchTimeLike.now()
                case .event:
                    events += 1
                    if message.nameIs("BenchDone") {
                        let seconds = Double(DispatchTimeLike.now() - started) / 1e9
                        done.succeed(Result(events: events, seconds: seconds, queues: state.queues.count,
                                            members: state.queues.values.reduce(0) { $0 + $1.members.count }))
                        context.close(promise: nil)
                        return
                    }
                    state.apply(message, now: 0)
                case .other:
                    break
                }
            }
        } catch {
            done.fail(error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.fail(AMIError(.connectionClosed, "closed before BenchDone after \(events) events"))
    }
}

enum DispatchTimeLike {
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let loop = group.next()
let done = loop.makePromise(of: Result.self)
let login = AMIAction.login(username: username, secret: secret, events: "on")
do {
    _ = try await ClientBootstrap(group: loop)
        .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 65_536, maximum: 262_144))
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(BenchHandler(login: login, done: done))
            }
        }
        .connect(host: host, port: port).get()
    let result = try await done.futureResult.get()
    if let failed = result.loginFailed {
        writeLine("ami-bench-client: login refused: \(failed)", to: 2)
        exit(77)
    }
    let rate = Double(result.events) / result.seconds
    writeLine("events \(result.events)  seconds \(String(format: "%.3f", result.seconds))  events/s \(Int(rate))  (queues \(result.queues), members \(result.members))")
} catch {
    writeLine("ami-bench-client: \(error)", to: 2)
    exit(1)
}
try? await group.shutdownGracefully()
