public import AMIClient
import Crypto
import NIOCore
import NIOPosix
public import Synchronization

/// A fake Asterisk AMI server on a real loopback socket that answers with the bytes of the
/// captures: banner, Login (plain and MD5 challenge), Ping, Logoff, QueueStatus, QueueSummary.
/// Tests change ``behaviour`` to make it refuse logins, stop answering Pings, close in the middle
/// of a list, or push captured event streams.
public final class FakeAMIServer: Sendable {
    /// What the server does; change it at any time.
    public struct Behaviour: Sendable {
        /// The secret a Login must match. The captures' lab secret.
        public var secret = "labsecret"
        /// Answer Ping (false simulates a dead link that still holds the socket open).
        public var answerPings = true
        /// Cut the next QueueStatus reply after this many bytes and close the connection.
        public var cutNextQueueStatusAfter: Int?
        /// The reply to QueueStatus (captured, ActionID `lab-2`).
        public var queueStatus: CapturedExchange
        /// Bytes sent once right after the next successful login's reply (then cleared).
        public var afterNextLogin: [UInt8] = []
        /// A recorded event stream sent once per connection after a successful login: right
        /// after the reply to the client's first QueueStatus (a client that resyncs), or 300 ms
        /// after the login when it asks for none. For the AMI benchmarks.
        public var streamAfterLogin: EventStream?
        /// Close the connection right after answering an Originate with "successfully queued".
        public var closeAfterOriginateQueued = false
        /// Send an answered Originate's reply only up to its OriginateResponse (the citizen
        /// answered); the call's later events, its Hangup among them, wait for
        /// ``FakeAMIServer/endHeldCalls(_:)`` (the call goes on until then).
        public var holdCallsAfterAnswer = false
        /// Accept Filter actions (no capture has one: the reply is PROTOCOL.md B3's shape).
        public var acceptFilters = true
        /// Hold successful Login replies until ``FakeAMIServer/releaseHeldReplies()``.
        public var holdLoginReplies = false
        /// How the next Originates end, one per Originate (then success): `success`, `busy`,
        /// `noanswer` or `congestion`, each the captured exchange of that name.
        public var originateOutcomes: [String] = []
        /// Queue members by queue, as QueueAdd, QueueRemove and QueuePause see them: at first
        /// the members of the captured QueueStatus. A queue not here does not exist.
        public var members: [String: Set<String>] = [:]
    }

    /// The captured replies the server speaks.
    public struct Script: Sendable {
        public let banner: [UInt8]
        public let plainLogin: CapturedExchange
        public let failedLogin: CapturedExchange
        public let challenge: CapturedExchange
        public let md5Login: CapturedExchange
        public let wrongKey: CapturedExchange
        public let ping: CapturedExchange
        public let logoff: CapturedExchange
        public let queueStatusAll: CapturedExchange
        public let queueSummary: CapturedExchange
        /// The async Originate that succeeded (reply, the call's events, OriginateResponse).
        public let originate: CapturedExchange
        /// Async Originates that failed: busy (Reason 5), rang out (3), congestion (8).
        public let originateBusy: CapturedExchange
        public let originateNoAnswer: CapturedExchange
        public let originateCongestion: CapturedExchange
        /// QueueStatus for one queue (dept-police, with its waiting caller).
        public let queueStatusOne: CapturedExchange
        /// QueueStatus for a queue that does not exist: Success and an empty list.
        public let queueStatusEmpty: CapturedExchange
        /// QueueAdd: added, already there, no such queue.
        public let queueAdd: CapturedExchange
        public let queueAddAlreadyThere: CapturedExchange
        public let queueAddNoSuchQueue: CapturedExchange
        /// QueueRemove: removed, not there.
        public let queueRemove: CapturedExchange
        public let queueRemoveNotThere: CapturedExchange
        /// QueuePause in one queue with a reason, in every queue, unpause in one queue, in
        /// every queue, and of an interface that is no member.
        public let queuePauseOne: CapturedExchange
        public let queuePauseAll: CapturedExchange
        public let queueUnpauseOne: CapturedExchange
        public let queueUnpauseAll: CapturedExchange
        public let queuePauseNotFound: CapturedExchange
        /// The challenge number in ``challenge``.
        public let challengeValue: String

        /// Loads the captures.
        public init() throws {
            let success = try Capture.load("ami/login-success-banner-logoff.txt")
            let md5 = try Capture.load("ami/login-challenge-md5.txt")
            banner = success.banner
            plainLogin = success.exchange("Login")!
            logoff = success.exchange("Logoff")!
            failedLogin = try Capture.load("ami/login-failure.txt").exchange("Login")!
            challenge = md5.exchange("Challenge")!
            md5Login = md5.exchange("Login")!
            wrongKey = try Capture.load("ami/login-challenge-md5-wrong-key.txt").exchanges.last { $0.action == "Login" }!
            ping = try Capture.load("ami/ping.txt").exchange("Ping")!
            queueStatusAll = try Capture.load("ami/queue-status-all-queues.txt").exchange("QueueStatus")!
            queueSummary = try Capture.load("ami/queue-summary.txt").exchange("QueueSummary")!
            originate = try Capture.load("ami/originate-async-success.txt").exchange("Originate")!
            originateBusy = try Capture.load("ami/originate-async-failure-busy.txt").exchange("Originate")!
            originateNoAnswer = try Capture.load("ami/originate-async-failure-noanswer-timeout.txt").exchange("Originate")!
            originateCongestion = try Capture.load("ami/originate-async-failure-congestion.txt").exchange("Originate")!
            let oneQueue = try Capture.load("ami/queue-status-one-queue.txt").exchanges.filter { $0.action == "QueueStatus" }
            queueStatusOne = oneQueue.first!
            queueStatusEmpty = oneQueue.last!
            // The lab's actions were numbered lab-2 … lab-6, in the order the captures' headers list.
            func numbered(_ file: String) throws -> [CapturedExchange] {
                let exchanges = try Capture.load(file).exchanges
                return (2...6).map { number in exchanges.first { $0.actionID == "lab-\(number)" }! }
            }
            let adds = try numbered("ami/queue-add-remove.txt")
            (queueAdd, queueAddAlreadyThere, queueAddNoSuchQueue, queueRemove, queueRemoveNotThere) = (adds[0], adds[1], adds[2], adds[3], adds[4])
            let pauses = try numbered("ami/queue-pause-unpause.txt")
            (queuePauseOne, queuePauseAll, queueUnpauseOne, queueUnpauseAll, queuePauseNotFound) = (pauses[0], pauses[1], pauses[2], pauses[3], pauses[4])
            let text = String(decoding: challenge.reply, as: UTF8.self)
            challengeValue = text.split(separator: "\r\n").first { $0.hasPrefix("Challenge: ") }.map { String($0.dropFirst(11)) } ?? ""
        }
    }

    /// Events to send a client many times over, as fast as it reads them, then a last message.
    public struct EventStream: Sendable {
        /// The events, as Asterisk sent them (a capture's).
        public var events: [UInt8]
        /// How many copies to send.
        public var copies: Int
        /// Sent after the last copy (`Event: BenchDone` for the benchmark client).
        public var trailer: [UInt8]

        /// A stream of `copies` copies of `events`, then `trailer`.
        public init(events: [UInt8], copies: Int, trailer: [UInt8] = []) {
            self.events = events
            self.copies = copies
            self.trailer = trailer
        }
    }

    /// The captured replies.
    public let script: Script
    /// The behaviour; tests change it.
    public let behaviour: Mutex<Behaviour>
    /// The port it listens on (127.0.0.1).
    public let port: Int
    /// Every action received, in order, as "Name" (with the connection number: "2:QueueStatus").
    public let actions = Mutex<[String]>([])
    /// Connections accepted so far.
    public let connections = Atomic<Int>(0)
    /// Every Originate received, with its headers.
    public let originates = Mutex<[AMIMessage]>([])
    /// Every QueueAdd, QueueRemove and QueuePause received, with its headers.
    public let seatActions = Mutex<[AMIMessage]>([])
    private let listener: any Channel
    private let clients = Mutex<[ObjectIdentifier: any Channel]>([:])
    /// Login replies held back, and whether they have been released (after which none is held:
    /// a Login read while the test releases is answered, not held forever).
    private let held = Mutex<(released: Bool, replies: [(any Channel, [UInt8])])>((false, []))
    /// The rest of each answered call held by ``Behaviour/holdCallsAfterAnswer``, oldest first.
    private let heldCalls = Mutex<[(any Channel, [UInt8])]>([])

    /// Calls whose rest is held: answered and still up.
    public var callsUp: Int { heldCalls.withLock { $0.count } }

    /// Ends the `count` oldest calls held up (all when nil): sends the rest of their captured
    /// events, their channels' Hangup among them.
    public func endHeldCalls(_ count: Int? = nil) {
        let ended = heldCalls.withLock { calls -> [(any Channel, [UInt8])] in
            let taken = Array(calls.prefix(count ?? calls.count))
            calls.removeFirst(taken.count)
            return taken
        }
        for (channel, bytes) in ended { channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil) }
    }

    /// Sends the Login replies held back by ``Behaviour/holdLoginReplies``, and every later one at once.
    public func releaseHeldReplies() {
        let replies = held.withLock { held in
            held.released = true
            defer { held.replies.removeAll() }
            return held.replies
        }
        for (channel, bytes) in replies {
            channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
        }
    }

    /// Starts listening on 127.0.0.1, on `requested` or (0) an ephemeral port.
    public init(port requested: Int = 0) async throws {
        let script = try Script()
        self.script = script
        var initial = Behaviour(queueStatus: script.queueStatusAll)
        initial.members = Self.members(of: script.queueStatusAll)
        let behaviour = Mutex(initial)
        self.behaviour = behaviour
        let shared = Shared()
        listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FakeAMIHandler(server: shared.server!))
                }
            }
            .bind(host: "127.0.0.1", port: requested).get()
        port = listener.localAddress!.port!
        shared.server = self
    }

    /// The queues and members of a QueueStatus reply (`QueueParams` and `QueueMember` events).
    static func members(of exchange: CapturedExchange) -> [String: Set<String>] {
        var members: [String: Set<String>] = [:]
        for block in String(decoding: exchange.reply, as: UTF8.self).components(separatedBy: "\r\n\r\n") {
            let headers = Dictionary(block.split(separator: "\r\n").compactMap { line -> (String, String)? in
                guard let colon = line.range(of: ": ") else { return nil }
                return (String(line[..<colon.lowerBound]), String(line[colon.upperBound...]))
            }, uniquingKeysWith: { first, _ in first })
            guard let queue = headers["Queue"] else { continue }
            if headers["Event"] == "QueueParams" { members[queue, default: []] = members[queue, default: []] }
            if headers["Event"] == "QueueMember", let location = headers["Location"] { members[queue, default: []].insert(location) }
        }
        return members
    }

    /// A captured seat action's reply for `message`: the response with the ActionID, then its
    /// events once per queue in `queues`, with the captured queue, interface, member name and
    /// pause reason replaced by the request's.
    func seatReply(_ exchange: CapturedExchange, _ message: AMIMessage, queues: [String]) -> [UInt8] {
        let reply = exchange.reply(actionID: message["ActionID"] ?? "")
        let end = firstMessageEnd(reply)
        let response = Array(reply.prefix(end))
        var events = Array(reply.dropFirst(end))
        let text = String(decoding: events, as: UTF8.self)
        func value(_ header: String) -> String? {
            text.components(separatedBy: "\r\n").first { $0.hasPrefix("\(header): ") }.map { String($0.dropFirst(header.count + 2)) }
        }
        if let captured = value("Interface"), let interface = message["Interface"] {
            events = replaceAll(Array(captured.utf8), with: Array(interface.utf8), in: events)
        }
        if let captured = value("MemberName") {
            let name = message["MemberName"] ?? message["Interface"] ?? captured
            events = replaceAll(Array("MemberName: \(captured)\r\n".utf8), with: Array("MemberName: \(name)\r\n".utf8), in: events)
        }
        if let captured = value("PausedReason") {
            events = replaceAll(Array("PausedReason: \(captured)\r\n".utf8), with: Array("PausedReason: \(message["Reason"] ?? "")\r\n".utf8), in: events)
        }
        guard let capturedQueue = value("Queue") else { return response }
        var out = response
        for queue in queues {
            out += replaceAll(Array(capturedQueue.utf8), with: Array(queue.utf8), in: events)
        }
        return out
    }

    /// Writes `stream` to `channel`: blocks of copies of about 4 MB, each written once the one
    /// before it has been (so a slow reader holds the server back instead of filling memory).
    static func send(_ stream: EventStream, on channel: any Channel) async {
        guard !stream.events.isEmpty else { return }
        let perBlock = max(1, min(stream.copies, (1 << 22) / stream.events.count))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(perBlock * stream.events.count)
        for _ in 0..<perBlock { bytes += stream.events }
        let block = ByteBuffer(bytes: bytes)
        var sent = 0
        do {
            while sent < stream.copies {
                let copies = min(perBlock, stream.copies - sent)
                try await channel.writeAndFlush(copies == perBlock ? block : block.getSlice(at: 0, length: copies * stream.events.count)!).get()
                sent += copies
            }
            if !stream.trailer.isEmpty { try await channel.writeAndFlush(ByteBuffer(bytes: stream.trailer)).get() }
        } catch {
            // The client went away: nothing more to send.
        }
    }

    /// Where `needle` first stands in `bytes`.
    static func range(of needle: [UInt8], in bytes: [UInt8]) -> Range<Int>? {
        guard !needle.isEmpty, bytes.count >= needle.count else { return nil }
        for start in 0...(bytes.count - needle.count) where bytes[start..<(start + needle.count)].elementsEqual(needle) {
            return start..<(start + needle.count)
        }
        return nil
    }

    /// The channel uniqueids a captured reply names (`Uniqueid: astlab-1795329082.90`), each once.
    static func uniqueids(in bytes: [UInt8]) -> [String] {
        var seen: [String] = []
        for line in String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n") {
            guard let colon = line.range(of: "Uniqueid: ") else { continue }
            let value = String(line[colon.upperBound...])
            if value.hasPrefix("astlab-"), !seen.contains(value) { seen.append(value) }
        }
        return seen
    }

    /// Sends bytes to every connected client.
    public func push(_ bytes: [UInt8]) {
        for channel in clients.withLock({ Array($0.values) }) {
            channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
        }
    }

    /// Closes every client connection at once (an abrupt close, no Shutdown event).
    public func dropClients() {
        for channel in clients.withLock({ Array($0.values) }) { channel.close(promise: nil) }
    }

    /// Number of clients connected now.
    public var connectedClients: Int { clients.withLock { $0.count } }

    /// Stops listening and closes every client.
    public func stop() async {
        dropClients()
        try? await listener.close()
    }

    func added(_ channel: any Channel) {
        _ = connections.add(1, ordering: .relaxed)
        clients.withLock { $0[ObjectIdentifier(channel)] = channel }
    }

    func removed(_ channel: any Channel) {
        _ = clients.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
        // A call held up on a connection that closed is gone with it.
        heldCalls.withLock { calls in calls.removeAll { $0.0 === channel } }
    }

    /// The replies to one client message, and whether to close afterwards.
    func answer(_ message: AMIMessage, on channel: any Channel) -> (bytes: [UInt8], close: Bool) {
        let (bytes, close) = reply(to: message)
        if (message["Action"] ?? "").lowercased() == "originate", !close, behaviour.withLock({ $0.holdCallsAfterAnswer }),
           let answered = Self.range(of: Array("Event: OriginateResponse\r\n".utf8), in: bytes) {
            let end = answered.lowerBound + firstMessageEnd(Array(bytes[answered.lowerBound...]))
            if Self.range(of: Array("Response: Success\r\n".utf8), in: Array(bytes[answered.lowerBound..<end])) != nil {
                heldCalls.withLock { $0.append((channel, Array(bytes[end...]))) }
                return (Array(bytes[..<end]), false)
            }
        }
        if (message["Action"] ?? "").lowercased() == "login", !close, behaviour.withLock({ $0.holdLoginReplies }) {
            let kept = held.withLock { held -> Bool in
                guard !held.released else { return false }
                held.replies.append((channel, bytes))
                return true
            }
            if kept { return ([], false) }
        }
        return (bytes, close)
    }

    private func reply(to message: AMIMessage) -> (bytes: [UInt8], close: Bool) {
        let name = message["Action"] ?? ""
        let id = message["ActionID"] ?? ""
        actions.withLock { $0.append(name) }
        return behaviour.withLock { behaviour -> ([UInt8], Bool) in
            switch name.lowercased() {
            case "challenge":
                return (script.challenge.reply(actionID: id), false)
            case "login":
                if let key = message["Key"] {
                    let expected = AMIAction.md5Key(challenge: script.challengeValue, secret: behaviour.secret)
                    guard key == expected else { return (script.wrongKey.reply(actionID: id), true) }
                    defer { behaviour.afterNextLogin = [] }
                    return (script.md5Login.reply(actionID: id) + behaviour.afterNextLogin, false)
                }
                guard message["Secret"] == behaviour.secret else { return (script.failedLogin.reply(actionID: id), true) }
                defer { behaviour.afterNextLogin = [] }
                return (script.plainLogin.reply(actionID: id) + behaviour.afterNextLogin, false)
            case "ping":
                return behaviour.answerPings ? (script.ping.reply(actionID: id), false) : ([], false)
            case "logoff":
                return (script.logoff.reply(actionID: id), true)
            case "queuestatus":
                let reply = behaviour.queueStatus.reply(actionID: id)
                if let cut = behaviour.cutNextQueueStatusAfter {
                    behaviour.cutNextQueueStatusAfter = nil
                    return (Array(reply.prefix(cut)), true)
                }
                return (reply, false)
            case "originate":
                let outcome = behaviour.originateOutcomes.isEmpty ? "success" : behaviour.originateOutcomes.removeFirst()
                originates.withLock { $0.append(message) }
                let exchange = switch outcome {
                case "busy": script.originateBusy
                case "noanswer": script.originateNoAnswer
                case "congestion": script.originateCongestion
                default: script.originate
                }
                // Each call its own channel: the captured uniqueids get the Originate's number.
                let number = originates.withLock { $0.count }
                var reply = exchange.reply(actionID: id)
                for captured in Self.uniqueids(in: reply) {
                    // Whole header values only: `…90` must not change inside `…901`.
                    reply = replaceAll(Array(": \(captured)\r\n".utf8), with: Array(": \(captured)-\(number)\r\n".utf8), in: reply)
                }
                if behaviour.closeAfterOriginateQueued {
                    // Only the "Originate successfully queued" reply, then the link drops.
                    let end = firstMessageEnd(reply)
                    return (Array(reply.prefix(end)), true)
                }
                return (reply, false)
            case "filter":
                // Not in any capture; Asterisk's action_filter answers Success or an Error.
                let text = behaviour.acceptFilters
                    ? "Response: Success\r\nActionID: \(id)\r\nMessage: Filter Added Successfully\r\n\r\n"
                    : "Response: Error\r\nActionID: \(id)\r\nMessage: Permission denied\r\n\r\n"
                return (Array(text.utf8), false)
            case "queuesummary":
                return (script.queueSummary.reply(actionID: id), false)
            case "queueadd":
                seatActions.withLock { $0.append(message) }
                let queue = message["Queue"] ?? "", interface = message["Interface"] ?? ""
                guard behaviour.members[queue] != nil else { return (seatReply(script.queueAddNoSuchQueue, message, queues: []), false) }
                guard behaviour.members[queue]?.insert(interface).inserted == true else {
                    return (seatReply(script.queueAddAlreadyThere, message, queues: []), false)
                }
                return (seatReply(script.queueAdd, message, queues: [queue]), false)
            case "queueremove":
                seatActions.withLock { $0.append(message) }
                let queue = message["Queue"] ?? "", interface = message["Interface"] ?? ""
                guard behaviour.members[queue]?.remove(interface) != nil else { return (seatReply(script.queueRemoveNotThere, message, queues: []), false) }
                return (seatReply(script.queueRemove, message, queues: [queue]), false)
            case "queuepause":
                seatActions.withLock { $0.append(message) }
                let interface = message["Interface"] ?? ""
                let queues = message["Queue"].map { [$0] } ?? behaviour.members.keys.sorted()
                let memberOf = queues.filter { behaviour.members[$0]?.contains(interface) == true }
                guard !memberOf.isEmpty else { return (seatReply(script.queuePauseNotFound, message, queues: []), false) }
                let paused = message["Paused"]?.lowercased() == "true"
                let exchange = switch (paused, message["Queue"] != nil) {
                case (true, true): script.queuePauseOne
                case (true, false): script.queuePauseAll
                case (false, true): script.queueUnpauseOne
                case (false, false): script.queueUnpauseAll
                }
                return (seatReply(exchange, message, queues: memberOf), false)
            default:
                // Asterisk's text for an unknown action (PROTOCOL.md B4).
                let text = "Response: Error\r\nActionID: \(id)\r\nMessage: Invalid/unknown command: \(name). Use Action: ListCommands to show available commands.\r\n\r\n"
                return (Array(text.utf8), false)
            }
        }
    }
}

/// The length of the first AMI message in `bytes` (through its blank line), or all of them.
public func firstMessageEnd(_ bytes: [UInt8]) -> Int {
    let blank: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A]
    var index = 0
    while index + 4 <= bytes.count {
        if bytes[index..<(index + 4)].elementsEqual(blank) { return index + 4 }
        index += 1
    }
    return bytes.count
}

private final class Shared: @unchecked Sendable {
    // Set once, before the first connection can be accepted.
    var server: FakeAMIServer?
}

private final class FakeAMIHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let server: FakeAMIServer
    var framer = AMIFramer(banner: false)
    var pending = ByteBuffer()
    /// Whether this connection's stream (``FakeAMIServer/Behaviour/streamAfterLogin``) has started.
    var streamed = false

    init(server: FakeAMIServer) {
        self.server = server
    }

    func channelActive(context: ChannelHandlerContext) {
        server.added(context.channel)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: server.script.banner)), promise: nil)
        context.fireChannelActive()
    }

    /// Starts this connection's stream once; called on the channel's event loop, so its first
    /// write follows any reply written before it.
    func startStream(_ stream: FakeAMIServer.EventStream, on channel: any Channel) {
        guard !streamed, channel.isActive else { return }
        streamed = true
        Task { await FakeAMIServer.send(stream, on: channel) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        server.removed(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        pending.writeBuffer(&bytes)
        while let message = try? framer.next(from: &pending) {
            let (reply, close) = server.answer(message, on: context.channel)
            if !reply.isEmpty { context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: reply)), promise: nil) }
            if let stream = server.behaviour.withLock({ $0.streamAfterLogin }), !streamed, !close {
                switch (message["Action"] ?? "").lowercased() {
                case "queuestatus":
                    startStream(stream, on: context.channel)
                case "login":
                    let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
                    let channel = context.channel
                    context.eventLoop.scheduleTask(in: .milliseconds(300)) { handler.value.startStream(stream, on: channel) }
                default:
                    break
                }
            }
            if close {
                context.close(promise: nil)
                return
            }
        }
    }
}
