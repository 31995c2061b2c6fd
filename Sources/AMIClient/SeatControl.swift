import Foundation

/// Logs agents' seats into and out of queues and pauses them, through AMI `QueueAdd`,
/// `QueueRemove` and `QueuePause`; used by the HTTP API (`/api/v1/seats`) and by the seat's
/// own phone (the `/seat` FastAGI script and its menu).
///
/// A seat is an Asterisk queue member interface, `PJSIP/1001`. The live state learns each
/// change from Asterisk's events (`QueueMemberAdded`, `QueueMemberRemoved`,
/// `QueueMemberPause`), not from the replies, so what routing sees is what Asterisk did.
///
/// ```swift
/// let seats = SeatControl(clients: daemon.amiClients, board: daemon.board, defaultPBX: "pbx1")
/// let results = try await seats.pause(seat: "PJSIP/1001", reason: "break")
/// ```
public struct SeatControl: Sendable {
    /// The outcome of one AMI action on one queue.
    public struct Result: Codable, Sendable, Equatable {
        /// The queue; nil for a pause in every queue of the seat.
        public var queue: String?
        /// Whether Asterisk did it.
        public var ok: Bool
        /// Asterisk's message (`Added interface to queue`, `Unable to add interface: Already there` …).
        public var message: String

        /// An outcome.
        public init(queue: String?, ok: Bool, message: String) {
            self.queue = queue
            self.ok = ok
            self.message = message
        }
    }

    /// Why a seat action was not sent at all.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// `invalid` (a bad argument) or `unavailable` (no such PBX, or not connected).
        public var kind: Kind
        /// What is wrong.
        public var message: String

        /// The kinds of problem.
        public enum Kind: String, Sendable {
            case invalid, unavailable
        }

        public var description: String { message }
    }

    /// One seat with its live state in every queue, per PBX.
    public struct Seat: Codable, Sendable, Equatable {
        /// The PBX.
        public var pbx: String
        /// The queue member interface (`PJSIP/1001`).
        public var interface: String
        /// The member name Asterisk reports.
        public var name: String
        /// The device side: `free`, `on call`, `ringing`, `unavailable` …
        public var state: String
        /// Its queues, with whether it is paused in each and why.
        public var queues: [Membership]
    }

    /// A seat's place in one queue.
    public struct Membership: Codable, Sendable, Equatable {
        /// The queue.
        public var queue: String
        /// Paused in it.
        public var paused: Bool
        /// The reason given when it was paused (`break`, `training` …).
        public var pausedReason: String
        /// Calls it has taken from this queue.
        public var callsTaken: Int

        /// A membership.
        public init(queue: String, paused: Bool, pausedReason: String, callsTaken: Int) {
            self.queue = queue
            self.paused = paused
            self.pausedReason = pausedReason
            self.callsTaken = callsTaken
        }
    }

    let clients: [String: AMIClient]
    let board: LiveStateBoard
    let defaultPBX: String

    /// Seat control through `clients` (one per AMI endpoint), reading seats from `board`.
    public init(clients: [AMIClient], board: LiveStateBoard, defaultPBX: String) {
        self.clients = Dictionary(clients.map { ($0.configuration.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.board = board
        self.defaultPBX = defaultPBX
    }

    /// The seat interface of a channel name: `PJSIP/1001-0000002a` → `PJSIP/1001`; nil for a
    /// channel that is not a seat's (a Local channel, an empty name).
    public static func seat(ofChannel channel: String) -> String? {
        guard let slash = channel.firstIndex(of: "/"), !channel.hasPrefix("Local/") else { return nil }
        guard let dash = channel.lastIndex(of: "-"), dash > slash else { return channel.isEmpty ? nil : channel }
        return String(channel[..<dash])
    }

    /// Checks a seat interface: `TECH/resource`, printable, no spaces, at most 80 characters.
    public static func validate(seat: String) throws(Problem) {
        let parts = seat.split(separator: "/", maxSplits: 1)
        guard seat.count <= 80, parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
            seat.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 })
        else {
            throw Problem(kind: .invalid, message: "'\(seat)' is not a seat interface like PJSIP/1001 (technology/resource, no spaces)")
        }
    }

    /// Checks a pause reason: 1 to 40 letters, digits, spaces, `-` or `_`.
    public static func validate(reason: String) throws(Problem) {
        guard (1...40).contains(reason.count), reason.allSatisfy({ $0.isLetter || $0.isNumber || $0 == " " || $0 == "-" || $0 == "_" }) else {
            throw Problem(kind: .invalid, message: "the reason must be 1 to 40 letters, digits, spaces, - or _ (like break, training, meeting), not '\(reason)'")
        }
    }

    static func validate(queue: String) throws(Problem) {
        guard (1...80).contains(queue.count), queue.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw Problem(kind: .invalid, message: "'\(queue)' is not a queue name (letters, digits, -, _ or .)")
        }
    }

    func client(_ pbx: String?) throws(Problem) -> AMIClient {
        let name = pbx ?? defaultPBX
        guard let client = clients[name] else {
            let known = clients.keys.sorted()
            throw Problem(kind: .unavailable, message: known.isEmpty ? "no AMI endpoint is configured (ami.endpoints)" : "'\(name)' is not an AMI endpoint; the endpoints are: \(known.joined(separator: ", "))")
        }
        guard client.connection != nil else { throw Problem(kind: .unavailable, message: "\(name): not connected to AMI (reconnecting)") }
        return client
    }

    func send(_ client: AMIClient, _ action: AMIAction, queue: String?) async -> Result {
        do {
            let response = try await client.send(action)
            return Result(queue: queue, ok: true, message: response.text ?? "Success")
        } catch {
            // Asterisk's own words when it answered; else why there was no answer.
            return Result(queue: queue, ok: false, message: error.response?["Message"] ?? error.message)
        }
    }

    /// Logs `seat` into each of `queues` (`QueueAdd`, unpaused), one result per queue.
    public func login(seat: String, queues: [String], pbx: String? = nil, memberName: String? = nil, penalty: Int? = nil) async throws(Problem) -> [Result] {
        try Self.validate(seat: seat)
        guard !queues.isEmpty else { throw Problem(kind: .invalid, message: "name at least one queue to log the seat into") }
        for queue in queues { try Self.validate(queue: queue) }
        if let penalty, !(0...100).contains(penalty) { throw Problem(kind: .invalid, message: "the penalty must be 0 to 100, not \(penalty)") }
        let client = try client(pbx)
        var results: [Result] = []
        for queue in queues {
            results.append(await send(client, .queueAdd(queue: queue, interface: seat, penalty: penalty, paused: false, memberName: memberName), queue: queue))
        }
        return results
    }

    /// Logs `seat` out of `queues` (`QueueRemove`); nil: every queue the live state shows it in.
    public func logout(seat: String, queues: [String]? = nil, pbx: String? = nil) async throws(Problem) -> [Result] {
        try Self.validate(seat: seat)
        for queue in queues ?? [] { try Self.validate(queue: queue) }
        let client = try client(pbx)
        let targets = queues ?? memberships(of: seat, pbx: client.configuration.name).map(\.queue)
        guard !targets.isEmpty else { throw Problem(kind: .invalid, message: "\(seat) is in no queue now") }
        var results: [Result] = []
        for queue in targets {
            results.append(await send(client, .queueRemove(queue: queue, interface: seat), queue: queue))
        }
        return results
    }

    /// Pauses `seat` with `reason` (or unpauses it when `paused` is false) in `queue`, or in
    /// every queue it is in when `queue` is nil (`QueuePause`).
    public func pause(seat: String, paused: Bool = true, reason: String? = nil, queue: String? = nil, pbx: String? = nil) async throws(Problem) -> Result {
        try Self.validate(seat: seat)
        if let reason { try Self.validate(reason: reason) }
        if let queue { try Self.validate(queue: queue) }
        if paused, reason == nil { throw Problem(kind: .invalid, message: "give a reason for the pause (break, training, meeting …)") }
        let client = try client(pbx)
        return await send(client, .queuePause(interface: seat, paused: paused, queue: queue, reason: paused ? reason : nil), queue: queue)
    }

    /// The queues `seat` is in on `pbx`, from the live state.
    public func memberships(of seat: String, pbx: String) -> [Membership] {
        guard let state = board.snapshot().pbxs[pbx] else { return [] }
        return state.queues.values.sorted { $0.name < $1.name }.compactMap { queue in
            queue.members[seat].map { Membership(queue: queue.name, paused: $0.paused, pausedReason: $0.pausedReason, callsTaken: $0.callsTaken) }
        }
    }

    /// Every seat of every PBX with its queues, by PBX and interface.
    public func seats(now: Double) -> [Seat] {
        let report = QueuesReport(snapshot: board.snapshot(), now: now)
        var seats: [String: Seat] = [:]
        for queue in report.queues {
            for seat in queue.seats {
                let key = seat.pbx + "\u{0}" + seat.interface
                var entry = seats[key] ?? Seat(pbx: seat.pbx, interface: seat.interface, name: seat.name, state: seat.state, queues: [])
                entry.queues.append(Membership(queue: queue.name, paused: seat.paused, pausedReason: seat.pausedReason, callsTaken: seat.callsTaken))
                seats[key] = entry
            }
        }
        return seats.values.sorted { ($0.pbx, $0.interface) < ($1.pbx, $1.interface) }
    }
}
