import Foundation
public import Logging
import NIOCore
import NIOPosix
public import ServiceLifecycle

/// The daemon's local administration channel: a Unix-domain socket speaking one request line
/// and one reply per connection.
///
/// Protocol: the client sends a command line (`queues`) ending in LF; the daemon answers with
/// one JSON document and closes. An unknown command gets `{"error": "…"}`. Lines over 1 KiB
/// are refused. Access control is the socket file's permissions (0660): only its owner and
/// group can connect. Later commands (`menus reload`) add entries to ``commands``.
public struct ControlServer: Service {
    /// A command: its words after the name in, JSON out.
    public typealias Command = @Sendable ([String]) -> String

    /// The socket path.
    public let path: String
    /// The commands by name.
    public let commands: [String: Command]
    let logger: Logger

    /// A server for `path` with `commands`.
    public init(path: String, commands: [String: Command], logger: Logger) {
        self.path = path
        self.commands = commands
        self.logger = logger
    }

    /// Listens until graceful shutdown or cancellation, then removes the socket file.
    public func run() async throws {
        let commands = self.commands
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ControlHandler(commands: commands))
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        try? FileManager.default.setAttributes([.posixPermissions: 0o660], ofItemAtPath: path)
        logger.info("Control socket listening", metadata: ["control.socket": "\(path)"])
        await withGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
        try? await channel.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Sends one command line to a running daemon and returns its reply.
    public static func request(_ line: String, socketPath: String) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: socketPath) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: line + "\n"))
            var reply = ByteBuffer()
            for try await var chunk in inbound { reply.writeBuffer(&chunk) }
            return reply.readString(length: reply.readableBytes) ?? ""
        }
    }

    /// The JSON text of `value` (keys sorted), or an error reply when it cannot be encoded.
    static func jsonReply(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return errorReply("cannot encode the reply") }
        return String(decoding: data, as: UTF8.self)
    }

    /// The JSON text of an error reply.
    static func errorReply(_ message: String) -> String {
        let data = (try? JSONEncoder().encode(["error": message])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

private final class ControlHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let commands: [String: ControlServer.Command]
    var line = ByteBuffer()

    init(commands: [String: ControlServer.Command]) {
        self.commands = commands
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        line.writeBuffer(&bytes)
        let view = line.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if line.readableBytes > 1024 { reply(ControlServer.errorReply("request longer than 1024 bytes"), context: context) }
            return
        }
        let text = String(decoding: view[view.startIndex..<newline], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let words = text.split(separator: " ").map(String.init)
        guard let name = words.first, let command = commands[name] else {
            let known = commands.keys.sorted().joined(separator: ", ")
            reply(ControlServer.errorReply("unknown command '\(text)'; known: \(known)"), context: context)
            return
        }
        reply(command(Array(words.dropFirst())), context: context)
    }

    private func reply(_ text: String, context: ChannelHandlerContext) {
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text + "\n"))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
