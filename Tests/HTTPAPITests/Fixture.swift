import AGIServer
import AGITestSupport
import AMIClient
import Foundation
import HTTPAPI
import HelplineDomain
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Routing
import Store
import Synchronization
import Testing
import AsteriskFakes

/// Call flows whose menus, directory and reload outcomes a test sets.
final class FakeCallFlows: CallFlowsControl {
    struct State {
        var menus = ["feedback", "inbound"]
        var directory: Directory?
        var problems: [String] = []
        var reloads = 0
    }

    let state: Mutex<State>

    init(directory: Directory?) {
        state = Mutex(State(directory: directory))
    }

    var menuNames: [String] { state.withLock { $0.menus } }
    var directory: Directory? { state.withLock { $0.directory } }

    func reloadMenusAndDirectory() -> ReloadOutcome { reload() }
    func reloadDirectoryOnly() -> ReloadOutcome { reload() }

    private func reload() -> ReloadOutcome {
        state.withLock { state in
            state.reloads += 1
            return ReloadOutcome(reloaded: state.problems.isEmpty, menus: state.menus, problems: state.problems, notes: [])
        }
    }
}

/// A role's token as a test uses it.
enum Caller: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case administrator, monitor, waterL1, waterL2, roadsL1, intake, anonymous

    var secret: String { "secret-\(rawValue)" }
    var testDescription: String { rawValue }

    var headers: HTTPFields {
        self == .anonymous ? [:] : [.authorization: "Bearer \(secret)"]
    }

    static let tokens: [APIToken] = [
        APIToken(name: "admin-1", secret: Caller.administrator.secret, role: .administrator),
        APIToken(name: "monitoring", secret: Caller.monitor.secret, role: .monitor),
        APIToken(name: "desk-water-l1", secret: Caller.waterL1.secret, role: .officer(department: "water", level: .l1)),
        APIToken(name: "desk-water-l2", secret: Caller.waterL2.secret, role: .officer(department: "water", level: .l2)),
        APIToken(name: "desk-roads-l1", secret: Caller.roadsL1.secret, role: .officer(department: "roads", level: .l1)),
        APIToken(name: "web-portal", secret: Caller.intake.secret, role: .intake),
    ]
}

/// A temporary database, the sample routing directory, a live PBX and the API's router over them.
struct Fixture: Sendable {
    let folder: URL
    let store: TicketStore
    let board: LiveStateBoard
    let flows: FakeCallFlows
    let registry: PrometheusCollectorRegistry
    let logs: RecordingLogHandler
    let configuration: HTTPAPIServer.Configuration
    let dependencies: HTTPAPIDependencies
    /// The fixed time every request sees.
    static let now = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21 14:13:20 UTC

    static func directory() throws -> Directory {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return try DirectoryLoader.load(contentsOf: url.appendingPathComponent("deploy/directory.yaml").path)
    }

    init(endpoints: [String] = ["pbx1"], directory: Bool = true, metrics: Bool = true, configure: (inout HTTPAPIServer.Configuration) -> Void = { _ in }) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("helpline-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = TicketStore(database: try HelplineDatabase(path: folder.appendingPathComponent("helpline.sqlite").path))
        board = LiveStateBoard()
        var pbx = PBXState(name: "pbx1", staleSince: nil)
        var queue = QueueState(name: "water-l1")
        queue.strategy = "leastrecent"
        queue.members["Local/agent1@seats"] = QueueMember(interface: "Local/agent1@seats", name: "Agent One")
        queue.callers = [QueueCaller(uniqueid: "1.1", channel: "PJSIP/trunk-1", position: 1, callerIDNumber: "9876501234", callerIDName: "Citizen", joinedAt: Self.now.timeIntervalSince1970 - 42)]
        pbx.queues["water-l1"] = queue
        board.publish(pbx)
        flows = FakeCallFlows(directory: directory ? try Self.directory() : nil)
        registry = PrometheusCollectorRegistry()
        logs = RecordingLogHandler()
        var configuration = HTTPAPIServer.Configuration()
        configuration.tokens = Caller.tokens
        configure(&configuration)
        self.configuration = configuration
        let board = self.board
        dependencies = HTTPAPIDependencies(
            store: store, board: board, amiEndpoints: endpoints, callFlows: flows,
            liveLoad: { _ in LiveLoad(queues: [:], asOf: Self.now) }, defaultPBX: "pbx1", metrics: metrics ? registry : nil, now: { Self.now },
            notifications: Self.sms)
    }

    /// An SMS to the citizen for every resolution, as a configured `notifications.sms` queues.
    static let sms = NotificationPolicy { change in
        guard case .resolve = change.action else { return [] }
        return [OutboxMessage(kind: .sms, destination: change.ticket.callerNumber, payload: "resolved \(change.ticket.number)", idempotencyKey: "sms-\(change.eventID)")]
    }

    func remove() {
        try? FileManager.default.removeItem(at: folder)
    }

    var router: Router<APIRequestContext> { APIRouter.build(configuration: configuration, dependencies: dependencies) }

    /// Runs `body` against the router in memory (HummingbirdTesting's `.router`).
    func test<T: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        defer { remove() }
        let app = Application(router: router, logger: logs.logger(label: "http"))
        return try await app.test(.router) { client in try await body(client) }
    }

    /// A ticket of `department`, assigned to its L1 officer, due three days after it was made.
    @discardableResult
    func ticket(department: String = "water", caller: String = "9876543210", createdAt: Date = Fixture.now.addingTimeInterval(-3600), uniqueid: String? = nil) async throws -> Ticket {
        let officer = department == "water" ? "l1-water-01" : "l1-\(department)"
        let created = try await store.createTicket(
            NewTicket(source: .ivr, callerNumber: caller, language: "en", district: "01", department: department, category: department == "water" ? "water-supply" : "pothole",
                      descriptionRecording: "/var/spool/asterisk/helpline/\(uniqueid ?? "x").wav", callUniqueid: uniqueid, officer: officer,
                      dueAt: createdAt.addingTimeInterval(72 * 3600)),
            actor: "ivr", at: createdAt)
        return created.ticket
    }

    /// A ticket escalated to L2 (resolved twice at L1, the citizen dissatisfied twice).
    func escalatedTicket() async throws -> Ticket {
        let ticket = try await ticket()
        for round in 0..<2 {
            try await store.apply(.resolve, to: ticket.number, actor: "test", at: Self.now.addingTimeInterval(-1800))
            try await store.apply(.feedback(satisfied: false), to: ticket.number, actor: "ivr", officer: round == 1 ? "l2-water" : nil, at: Self.now.addingTimeInterval(-1700))
        }
        return try #require(try await store.ticket(number: ticket.number))
    }
}

extension TestResponse {
    /// The body as JSON.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }

    /// The body as text.
    var text: String { String(buffer: body) }

    /// The error code of a JSON error body.
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
}

/// A JSON body.
func jsonBody(_ object: [String: Any]) -> ByteBuffer {
    ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
}

let jsonHeaders: HTTPFields = [.contentType: "application/json"]

func + (a: HTTPFields, b: HTTPFields) -> HTTPFields {
    var fields = a
    fields.append(contentsOf: b)
    return fields
}
