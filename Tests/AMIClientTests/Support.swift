import AGITestSupport
@testable import AMIClient
import NIOCore
import AsteriskFakes

/// Frames bytes into messages, feeding them `chunk` bytes at a time (all at once when nil).
func frame(_ bytes: [UInt8], chunk: Int? = nil, banner: Bool = true, limits: AMIFramer.Limits = .init()) throws -> [AMIMessage] {
    var framer = AMIFramer(limits: limits, banner: banner)
    var buffer = ByteBuffer()
    var messages: [AMIMessage] = []
    let size = chunk ?? max(bytes.count, 1)
    var offset = 0
    while offset < bytes.count {
        let end = min(offset + size, bytes.count)
        buffer.writeBytes(bytes[offset..<end])
        offset = end
        while let message = try framer.next(from: &buffer) { messages.append(message) }
    }
    if buffer.readableBytes > 0 { throw Leftover(count: buffer.readableBytes) }
    return messages
}

struct Leftover: Error { var count: Int }

func frame(_ text: String, chunk: Int? = nil, banner: Bool = true, limits: AMIFramer.Limits = .init()) throws -> [AMIMessage] {
    try frame(Array(text.utf8), chunk: chunk, banner: banner, limits: limits)
}

/// The events Asterisk sent in a capture (all connections), in order, without the banner or replies.
func capturedEvents(_ name: String) throws -> [AMIMessage] {
    try Capture.load("ami/" + name).connectionsFromAsterisk.flatMap { try frame($0) }.filter { $0.kind == .event }
}
