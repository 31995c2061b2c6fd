import AMIClient
import ArgumentParser
import Foundation
import HelplineApp
import HelplineDomain
import Logging
import NIOCore
import Store
import AsteriskFakes

/// `helpline demo`: the whole product in one command, for a newcomer.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the daemon on a temporary database and run a few scripted calls through it.",
        discussion: """
            Run it from the repository folder (it uses the shipped menus/ and deploy/directory.yaml). \
            It starts the FastAGI server on a free loopback port with a fresh database in a temporary \
            folder, plays four calls the way Asterisk would (a complaint registered and queued, its \
            status asked, a complaint when no seat is logged in, a feedback call), prints each call, \
            the tickets and why each call went where it went, then removes the folder. No PBX is needed.
            """)

    @Option(name: .long, help: ArgumentHelp("The menu folder.", valueName: "dir"))
    var menus = "menus"

    @Option(name: .long, help: ArgumentHelp("The routing directory.", valueName: "file"))
    var directory = "deploy/directory.yaml"

    func run() async throws {
        guard FileManager.default.fileExists(atPath: menus), FileManager.default.fileExists(atPath: directory) else {
            fail("helpline demo needs the shipped \(menus)/ and \(directory): run it from the repository folder, or give --menus and --directory", code: 66)
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("helpline-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = HelplineConfiguration()
        configuration.databasePath = folder.appendingPathComponent("helpline.sqlite").path
        configuration.menusFolder = menus
        configuration.directoryPath = directory
        configuration.defaultPBX = "pbx1"
        configuration.agi.port = 0
        var logger = Logger(label: "helpline-demo")
        logger.logLevel = .warning
        let daemon: HelplineDaemon
        do {
            daemon = try HelplineDaemon(configuration: configuration, logger: logger)
        } catch {
            fail("the demo daemon cannot start: \(error)", code: 73)
        }
        // pbx1 as its AMI link would report it: every queue staffed with two free seats.
        daemon.board.publish(Self.pbx(emptyQueues: []))

        let (addresses, continuation) = AsyncStream.makeStream(of: SocketAddress.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await daemon.agiServer.run { continuation.yield($0) } }
            var iterator = addresses.makeAsyncIterator()
            guard let address = await iterator.next() else { fail("the demo FastAGI server did not start", code: 70) }
            print("Helpline demo: FastAGI on \(address), database \(configuration.databasePath)\n")

            let first = try await Self.call("1. A citizen registers a complaint: English (2), complaint (1), no water (1), district 01.",
                                            CallPlayer(keyGroups: ["2", "1", "1", "01"], uniqueid: "demo-1"), script: "inbound", address)
            let number = first["HELPLINE_TICKET"] ?? ""
            _ = try await Self.call("2. Another caller asks the status of complaint \(number): English (2), status (2), the number and #.",
                                    CallPlayer(keyGroups: ["2", "2", number + "#"], caller: "9123456780", uniqueid: "demo-2"), script: "inbound", address)
            daemon.board.publish(Self.pbx(emptyQueues: ["water-l1", "water-overflow"]))
            _ = try await Self.call("3. No water seat is logged in now: a complaint about a leaking pipe (2) gets a callback promise.",
                                    CallPlayer(keyGroups: ["2", "1", "2", "02"], caller: "9988776655", uniqueid: "demo-3"), script: "inbound", address)
            try await daemon.store.apply(.resolve, to: number, actor: "l1-water-01", note: "supply restored on 22 Nov")
            _ = try await Self.call("4. The department resolves \(number); the feedback call: the citizen is not satisfied (2).",
                                    CallPlayer(keyGroups: ["2"], uniqueid: "demo-4"), script: "feedback?ticket=\(number)", address)

            print("Tickets now:")
            for department in ["water"] {
                for ticket in try await daemon.store.tickets(department: department) {
                    print("  \(ticket.number)  \(ticket.department)/\(ticket.category ?? "-")  district \(ticket.district ?? "-")  \(ticket.status.rawValue) at \(ticket.level.rawValue)  officer \(ticket.assignedOfficer ?? "-")")
                }
            }
            print("Callbacks owed: " + (try await daemon.store.pendingCallbacks()).map { "\($0.callerNumber) (\($0.reason))" }.joined(separator: ", "))
            print("\nTry next: helpline serve, then helpline call --digits 2,1,1,01; helpline tickets show N; helpline routing explain N.")
            daemon.agiServer.beginGracefulShutdown()
            try await group.waitForAll()
        }
    }

    /// Plays one call and prints it; returns the channel variables it set.
    static func call(_ title: String, _ player: CallPlayer, script: String, _ address: SocketAddress) async throws -> [String: String] {
        print(title)
        let (events, variables) = try await player.run(script: script, to: address)
        let shown = events.filter {
            switch $0 {
            case .other, .set: false
            default: true
            }
        }
        for event in shown { print("    \(event)") }
        if let action = variables["HELPLINE_ACTION"] {
            print("  → to the dialplan: \(action) \(variables["HELPLINE_QUEUE"] ?? "") at priority \(variables["HELPLINE_PRIORITY"] ?? "0")" + (variables["HELPLINE_TICKET"].map { ", ticket \($0)" } ?? ""))
        }
        print("")
        return variables
    }

    /// pbx1's live state: every queue of the sample directory with two free seats, except `emptyQueues`.
    static func pbx(emptyQueues: Set<String>) -> PBXState {
        var state = PBXState(name: "pbx1", staleSince: nil)
        for name in ["water-l1", "water-overflow", "roads-l1", "health-l1", "control-room", "helpline-general"] {
            var queue = QueueState(name: name)
            queue.talkTime = 150
            if !emptyQueues.contains(name) {
                for seat in 1...2 {
                    let member = QueueMember(interface: "PJSIP/\(name)-\(seat)", status: .notInUse)
                    queue.members[member.interface] = member
                }
            }
            state.queues[name] = queue
        }
        return state
    }
}
