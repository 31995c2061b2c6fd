// ami-bench-server: a fast fake AMI server for the AMI benchmark.
//
// Accepts one client at a time: sends the banner, answers a plain Login (checking the
// secret) and a QueueStatus if one follows, then writes a recorded event stream N times and
// `Event: BenchDone`, as fast as the socket takes it. Plain blocking sockets: the server must cost less than the client.
//
//   ami-bench-server --port 5039 --repeat 2000 [--capture PATH] [--username U] [--secret S] [--once]
import AMIBenchSupport
import BenchSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

var port = 5039
var repeatCount = 1000
var capturePath = defaultCapturePath
var username = "helpline"
var secret = "labsecret"
var once = false
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--port": port = Int(arguments.popFirst() ?? "") ?? port
    case "--repeat": repeatCount = Int(arguments.popFirst() ?? "") ?? repeatCount
    case "--capture": capturePath = arguments.popFirst() ?? capturePath
    case "--username": username = arguments.popFirst() ?? username
    case "--secret": secret = arguments.popFirst() ?? secret
    case "--once": once = true
    default:
        writeLine("usage: ami-bench-server --port P --repeat N [--capture PATH] [--username U] [--secret S] [--once]", to: 2)
        exit(64)
    }
}
let recorded = recordedEventsOrExit(capturePath: capturePath, tool: "ami-bench-server")
// One large block of many copies, written with few system calls.
let copiesPerBlock = max(1, min(repeatCount, (1 << 22) / recorded.bytes.count))
var block: [UInt8] = []
for _ in 0..<copiesPerBlock { block += recorded.bytes }

let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
var yes: Int32 = 1
setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
var address = sockaddr_in()
address.sin_family = sa_family_t(AF_INET)
address.sin_port = in_port_t(UInt16(port).bigEndian)
address.sin_addr.s_addr = inet_addr("127.0.0.1")
let bound = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
}
guard bound == 0, listen(listener, 16) == 0 else {
    writeLine("ami-bench-server: cannot listen on 127.0.0.1:\(port)", to: 2)
    exit(71)
}
writeLine("ami-bench-server: 127.0.0.1:\(port), \(recorded.events) events per copy, \(repeatCount) copies, \(recorded.events * repeatCount + 1) events per client", to: 2)

func sendAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let written = send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            if written <= 0 { return false }
            offset += written
        }
        return true
    }
}

/// Reads one AMI message (through the blank line) and returns its text.
func readMessage(_ descriptor: Int32) -> String? {
    var bytes: [UInt8] = []
    var byte: UInt8 = 0
    while true {
        guard recv(descriptor, &byte, 1, 0) == 1 else { return nil }
        bytes.append(byte)
        if bytes.count >= 4 && bytes.suffix(4) == [0x0D, 0x0A, 0x0D, 0x0A] { return String(decoding: bytes, as: UTF8.self) }
    }
}

func header(_ name: String, in message: String) -> String? {
    for line in message.split(separator: "\r\n") where line.lowercased().hasPrefix(name.lowercased() + ": ") {
        return String(line.dropFirst(name.count + 2))
    }
    return nil
}

repeat {
    let client = accept(listener, nil, nil)
    if client < 0 { continue }
    _ = sendAll(client, Array("Asterisk Call Manager/11.0.0\r\n".utf8))
    guard let login = readMessage(client) else { close(client); continue }
    let id = header("ActionID", in: login) ?? ""
    guard header("Action", in: login)?.lowercased() == "login", header("Username", in: login) == username, header("Secret", in: login) == secret else {
        _ = sendAll(client, Array("Response: Error\r\nActionID: \(id)\r\nMessage: Authentication failed\r\n\r\n".utf8))
        close(client)
        continue
    }
    _ = sendAll(client, Array("Response: Success\r\nActionID: \(id)\r\nMessage: Authentication accepted\r\n\r\n".utf8))
    // A client that resyncs (the AMIClient library) asks for QueueStatus right after login:
    // answer with an empty list, shaped as Asterisk answers it for a queue that does not exist
    // (queue-status-one-queue.txt). A client that asks nothing gets the stream after 300 ms.
    var waiting = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
    if poll(&waiting, 1, 300) == 1, let request = readMessage(client), header("Action", in: request)?.lowercased() == "queuestatus" {
        let qid = header("ActionID", in: request) ?? ""
        let reply = "Response: Success\r\nActionID: \(qid)\r\nEventList: start\r\nMessage: Queue status will follow\r\n\r\n"
            + "Event: QueueStatusComplete\r\nActionID: \(qid)\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"
        _ = sendAll(client, Array(reply.utf8))
    }
    var sent = 0
    var ok = true
    while sent < repeatCount && ok {
        let copies = min(copiesPerBlock, repeatCount - sent)
        ok = copies == copiesPerBlock ? sendAll(client, block) : sendAll(client, Array(block.prefix(copies * recorded.bytes.count)))
        sent += copies
    }
    _ = sendAll(client, Array("Event: BenchDone\r\n\r\n".utf8))
    // Wait for the client to close (it logs off or just closes).
    var sink = [UInt8](repeating: 0, count: 4096)
    while recv(client, &sink, sink.count, 0) > 0 {}
    close(client)
} while !once
