// ami-bench-client: end-to-end AMI benchmark over loopback.
//
// Logs in to an AMI server (plain Login), then runs every event through the AMIClient
// library's AMIFramer and the LiveState reducer (PBXState.apply) on one event-loop thread,
// until an event named BenchDone arrives; prints the events counted and events/s.
//
// --via-client runs the daemon's path instead: the AMIClient class (login, QueueStatus
// resync, the live-state tracker publishing to a LiveStateBoard, the event stream), with
// this program reading the client's event stream until BenchDone.
//
//   ami-bench-client --host 127.0.0.1 --port 5039 --username helpline --secret labsecret [--via-client]
import AMIClient
import BenchSupport
import Logging
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
var viaClient = false
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--host": host = arguments.popFirst() ?? host
    case "--port": port = Int(arguments.popFirst() ?? "") ?? port
    case "--username": username = arguments.popFirst() ?? username
    case "--secret": secret = arguments.popFirst() ?? secret
    case "--via-client": viaClient = true
    default:
        writeLine("usage: ami-bench-client --host H --port P --username U --secret S [--via-client]", to: 2)
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

/// The daemon's path: AMIClient with its tracker and board, events read from its stream.
func runViaClient(host: String, port: Int, username: String, secret: String) async throws -> Result {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var configuration = AMIClient.Configuration(name: "bench", host: host, port: port, username: username, secret: secret)
    configuration.md5Login = false
    configuration.events = "on"
    configuration.reconciliationInterval = nil
    configuration.keepaliveInterval = .seconds(600)
    configuration.eventBufferCapacity = 100_000_000  // count every event: drop none
    let board = LiveStateBoard()
    let client = AMIClient(configuration: configuration, board: board, eventLoopGroup: group, logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
    let result = try await withThrowingTaskGroup(of: Result?.self) { tasks in
        tasks.addTask {
            try await client.run()
            return nil
        }
        tasks.addTask {
            var events = 0
            var started: UInt64 = 0
            for await message in client.events {
                if events == 0 { started = DispatchTimeLike.now() }
                events += 1
                if message.nameIs("BenchDone") {
                    let seconds = Double(DispatchTimeLike.now() - started) / 1e9
                    let pbx = board.snapshot().pbxs["bench"]
                    return Result(events: events, seconds: seconds, queues: pbx?.queues.count ?? 0,
                                  members: pbx?.queues.values.reduce(0) { $0 + $1.members.count } ?? 0)
                }
            }
            return nil
        }
        var found: Result?
        for try await value in tasks {
            if let value {
                found = value
                await client.shutdown()
            }
        }
        return found
    }
    try? await group.shutdownGracefully()
    guard let result else { throw AMIError(.connectionClosed, "the client ended before BenchDone") }
    return result
}

do {
    let result: Result
    if viaClient {
        result = try await runViaClient(host: host, port: port, username: username, secret: secret)
    } else {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let done = loop.makePromise(of: Result.self)
        let login = AMIAction.login(username: username, secret: secret, events: "on")
        _ = try await ClientBootstrap(group: loop)
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 65_536, maximum: 262_144))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(BenchHandler(login: login, done: done))
                }
            }
            .connect(host: host, port: port).get()
        result = try await done.futureResult.get()
        try? await group.shutdownGracefully()
    }
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
