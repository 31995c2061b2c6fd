import AMIClient
import AsteriskFakes
import Foundation
@testable import HelplineApp
import Logging
import Store

/// The fake AMI server with an `AMIClient` logged in to it and its live state resynced, and a
/// store on a real SQLite file in a fresh folder: what the outbound and seat tests start from.
struct ConnectedPBX: Sendable {
    let server: FakeAMIServer
    let client: AMIClient
    let board: LiveStateBoard
    let store: TicketStore

    /// Runs `body` with a connected PBX; the client is shut down and the folder removed after.
    static func run<T: Sendable>(_ body: @Sendable (ConnectedPBX) async throws -> T) async throws -> T {
        let server = try await FakeAMIServer()
        let board = LiveStateBoard()
        let client = AMIClient(
            configuration: .init(name: "pbx1", host: "127.0.0.1", port: server.port, username: "helpline", secret: "labsecret"),
            board: board, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await client.run() }
        defer {
            running.cancel()
            Task { await client.shutdown() }
        }
        try await waitUntil { board.snapshot().pbxs["pbx1"]?.staleSince == nil && client.connection != nil }
        let folder = try Integration.HelplineServeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TicketStore(database: try HelplineDatabase(path: folder.appendingPathComponent("h.sqlite").path))
        return try await body(ConnectedPBX(server: server, client: client, board: board, store: store))
    }

    /// Passes every `Hangup` of the client's events to `scheduler`, as the daemon's event
    /// handler does (an answered call holds its channel until then); cancel the task to stop.
    func forwardHangups(to scheduler: OutboundScheduler) -> Task<Void, Never> {
        let client = client
        return Task { for await event in client.events where event.nameIs("Hangup") { scheduler.channelHungUp(uniqueid: event["Uniqueid"] ?? "") } }
    }
}
