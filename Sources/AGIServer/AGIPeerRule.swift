public import NIOCore

/// One entry of the server's allow-list: an address or a CIDR block (`127.0.0.1`,
/// `10.20.0.0/16`, `::1`, `fd00::/8`). FastAGI has no authentication, so only peers that
/// match an entry may open sessions.
public struct AGIPeerRule: Sendable, Hashable, CustomStringConvertible {
    let bytes: [UInt8]
    let prefixLength: Int
    /// The rule as written.
    public let description: String

    /// Parses `address` or `address/prefix`. Returns `nil` when it is neither.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = try? SocketAddress(ipAddress: String(parts[0]), port: 0), let bytes = address.addressBytes else { return nil }
        let maximum = bytes.count * 8
        var prefix = maximum
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...maximum).contains(value) else { return nil }
            prefix = value
        }
        self.bytes = bytes
        self.prefixLength = prefix
        self.description = text
    }

    /// The loopback addresses, `127.0.0.0/8` and `::1`: the default allow-list.
    public static let loopback: [AGIPeerRule] = [AGIPeerRule("127.0.0.0/8")!, AGIPeerRule("::1")!]

    /// Whether `address` falls inside this rule (IPv4-mapped IPv6 peers match IPv4 rules).
    public func matches(_ address: SocketAddress) -> Bool {
        guard var peer = address.addressBytes else { return false }
        if peer.count == 16, bytes.count == 4, peer[0..<10].allSatisfy({ $0 == 0 }), peer[10] == 0xFF, peer[11] == 0xFF {
            peer = Array(peer[12..<16])
        }
        guard peer.count == bytes.count else { return false }
        var remaining = prefixLength
        var index = 0
        while remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if peer[index] & mask != bytes[index] & mask { return false }
            remaining -= bits
            index += 1
        }
        return true
    }
}

extension SocketAddress {
    /// The raw address bytes: 4 for IPv4, 16 for IPv6, `nil` for Unix sockets.
    var addressBytes: [UInt8]? {
        switch self {
        case .v4(let address):
            return withUnsafeBytes(of: address.address.sin_addr) { Array($0) }
        case .v6(let address):
            return withUnsafeBytes(of: address.address.sin6_addr) { Array($0) }
        case .unixDomainSocket:
            return nil
        }
    }
}
