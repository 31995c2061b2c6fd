import AsyncHTTPClient
import Foundation
public import Logging
import Metrics
import NIOCore
public import ServiceLifecycle
public import Store
import TimeSupport

/// Delivers the outbox: SMS through the gateway and webhooks to department portals, over HTTP.
///
/// Each round claims the due messages (pending, next attempt now or earlier, oldest first, at
/// most ``NotificationConfiguration/concurrency``) in one short transaction, sends them
/// concurrently with no transaction open, and records each outcome:
///
/// | the receiver answers | the message |
/// |---|---|
/// | 2xx | is sent |
/// | 408, 429, 5xx, a timeout, a connection error | is tried again after a capped exponential backoff with jitter (`Retry-After` is honoured up to the cap), and is dead once it has had `max_attempts` attempts |
/// | any other status (3xx, 4xx): the request itself is wrong | is dead at once; an administrator fixes the cause and runs `helpline outbox retry` |
///
/// Every attempt carries the header `Idempotency-Key` with the message's key. A message being
/// sent when the daemon stopped is sent again after a restart, with the same key, once its
/// claim (twice the timeout plus 5 s) runs out: delivery is at least once, and exactly once on the
/// receiver's side when it drops a repeated key.
///
/// On graceful shutdown the sender claims nothing more; messages being sent get
/// ``NotificationConfiguration/shutdownTimeout`` to finish, and are then abandoned (still pending).
public final class OutboxSender: Service, Sendable {
    private let store: any OutboxStore
    private let configuration: NotificationConfiguration
    private let logger: Logger
    private let random: @Sendable () -> Double
    private let metrics: OutboxMetrics

    /// A sender for `store`'s outbox. `random` (0…1) picks the jitter of each retry delay.
    public init(store: any OutboxStore, configuration: NotificationConfiguration, logger: Logger, random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.random = random
        self.metrics = OutboxMetrics()
    }

    /// Sends until graceful shutdown (then lets the messages in flight finish, up to the
    /// shutdown timeout) or cancellation; shuts its HTTP client down before returning.
    public func run() async throws {
        // Redirects are not followed: a gateway that moved is a configuration to fix (dead, below).
        let httpConfiguration = HTTPClient.Configuration(redirectConfiguration: .disallow, connectionPool: .init(idleTimeout: .seconds(60)))
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration)
        logger.info("Outbox sender started", metadata: ["sms": "\(configuration.sms != nil)", "webhooks": "\(configuration.webhooks.keys.sorted().joined(separator: ","))"])
        let shutdownTimeout = configuration.shutdownTimeout
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.loop(client: client) }
            group.addTask {
                // Returns at graceful shutdown (throws, and so ends this task, when cancelled).
                guard (try? await gracefulShutdown()) != nil else { return }
                try? await Task.sleep(for: shutdownTimeout)
            }
            // Either the loop ended (shutdown, messages finished) or the deadline passed: end both.
            await group.next()
            group.cancelAll()
        }
        do {
            try await client.shutdown()
        } catch {
            logger.warning("The outbox sender's HTTP client did not shut down cleanly", metadata: ["error": "\(error)"])
        }
        logger.info("Outbox sender stopped")
    }

    private func loop(client: HTTPClient) async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let sent: Int
            do {
                sent = try await round(client: client)
            } catch {
                logger.error("The outbox could not be read or updated; trying again", metadata: ["error": "\(error)"])
                sent = 0
            }
            if sent == 0 {
                let interval = configuration.pollInterval
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            }
        }
    }

    /// One round: claims the due messages, sends them and records the outcomes; returns how many
    /// it claimed.
    @discardableResult
    func round(client: HTTPClient) async throws -> Int {
        metrics.depth.record(try await store.pendingOutboxCount())
        let longest = ([configuration.sms?.delivery.timeout] + configuration.webhooks.values.map { $0.delivery.timeout }).compactMap { $0 }.max() ?? .seconds(10)
        let batch = try await store.claimDueOutbox(limit: configuration.concurrency, lease: longest * 2 + .seconds(5), at: Date())
        guard !batch.isEmpty else { return 0 }
        await withTaskGroup(of: Void.self) { group in
            for entry in batch {
                group.addTask { await self.deliver(entry, client: client) }
            }
        }
        return batch.count
    }

    private func deliver(_ entry: OutboxEntry, client: HTTPClient) async {
        let metadata: Logger.Metadata = ["outbox": "\(entry.id)", "kind": "\(entry.kind.rawValue)", "key": "\(entry.idempotencyKey)", "attempt": "\(entry.attempts)"]
        let request: OutboxRequest
        do {
            request = try OutboxRequest(entry: entry, configuration: configuration)
        } catch {
            // Nothing can deliver it as configured now (the gateway or webhook was removed).
            await finish(entry, .permanent(error.description), policy: DeliveryPolicy(), metadata: metadata)
            return
        }
        let outcome: DeliveryOutcome
        do {
            var http = HTTPClientRequest(url: request.url)
            http.method = .init(rawValue: request.method)
            for header in request.headers { http.headers.add(name: header.name, value: header.value) }
            http.headers.replaceOrAdd(name: "Idempotency-Key", value: entry.idempotencyKey)
            if let body = request.body {
                http.headers.replaceOrAdd(name: "Content-Type", value: request.contentType)
                http.body = .bytes(ByteBuffer(string: body))
            }
            let timeout = TimeAmount.nanoseconds(Int64(request.policy.timeout.seconds * 1e9))
            let deadline = NIODeadline.now() + timeout
            let response = try await client.execute(http, deadline: deadline, logger: nil)
            let bodyText = (try? await response.body.collect(upTo: 2048)).map { String(buffer: $0) } ?? ""
            outcome = DeliveryOutcome.classify(status: Int(response.status.code), reason: response.status.reasonPhrase, body: bodyText, retryAfter: response.headers.first(name: "Retry-After"))
        } catch {
            outcome = .retry("\(Self.describe(error))", retryAfter: nil)
        }
        await finish(entry, outcome, policy: request.policy, metadata: metadata)
    }

    private func finish(_ entry: OutboxEntry, _ outcome: DeliveryOutcome, policy: DeliveryPolicy, metadata: Logger.Metadata) async {
        let dimensions = [("kind", entry.kind.rawValue)]
        do {
            switch outcome {
            case .sent:
                try await store.recordSent(entry.id, at: Date())
                Counter(label: "outbox_sent_total", dimensions: dimensions).increment()
                logger.debug("Outbox message sent", metadata: metadata)
            case .retry(let reason, let retryAfter) where entry.attempts < policy.maximumAttempts:
                var delay = policy.backoff.delay(afterFailure: entry.attempts, jitter: random())
                if let retryAfter { delay = max(delay, min(retryAfter, policy.backoffCap)) }
                try await store.recordFailure(entry.id, error: reason, retryAt: Date().addingTimeInterval(delay.seconds), at: Date())
                Counter(label: "outbox_failed_total", dimensions: dimensions).increment()
                logger.info("Outbox message not delivered; will retry", metadata: metadata.merging(["error": "\(reason)", "retry_in": "\(delay)"]) { $1 })
            case .retry(let reason, _), .permanent(let reason):
                var why = reason
                if case .retry = outcome { why += " (after \(entry.attempts) attempts)" }
                try await store.recordFailure(entry.id, error: why, retryAt: nil, at: Date())
                Counter(label: "outbox_failed_total", dimensions: dimensions).increment()
                Counter(label: "outbox_dead_total", dimensions: dimensions).increment()
                logger.warning("Outbox message dead; fix the cause and run helpline outbox retry", metadata: metadata.merging(["error": "\(why)"]) { $1 })
            }
        } catch {
            // The attempt's outcome is lost; the claim runs out and the message is tried again.
            logger.error("Outbox outcome could not be stored", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "timed out"
            case .cancelled: return "abandoned (shutdown)"
            default: return "\(error)"
            }
        }
        if error is CancellationError { return "abandoned (shutdown)" }
        return "\(error)"
    }
}

/// The outcome of one attempt.
enum DeliveryOutcome: Sendable, Equatable {
    case sent
    case retry(String, retryAfter: Duration?)
    case permanent(String)

    /// What an HTTP answer means for the message.
    static func classify(status: Int, reason: String, body: String, retryAfter: String?) -> DeliveryOutcome {
        let summary = "HTTP \(status) \(reason)" + (body.isEmpty ? "" : ": " + String(body.prefix(200)).replacingOccurrences(of: "\n", with: " "))
        switch status {
        case 200..<300: return .sent
        case 408, 429, 500..<600: return .retry(summary, retryAfter: retryAfter.flatMap(Int.init).map { .seconds(max($0, 0)) })
        default: return .permanent(summary)
        }
    }
}

/// The HTTP request for one outbox entry, from its payload and the current configuration.
struct OutboxRequest: Sendable {
    var url: String
    var method: String
    var headers: [HeaderValue]
    var contentType: String
    var body: String?
    var policy: DeliveryPolicy

    struct Unsendable: Error, CustomStringConvertible {
        var description: String
    }

    init(entry: OutboxEntry, configuration: NotificationConfiguration) throws(Unsendable) {
        switch entry.kind {
        case .sms:
            guard let gateway = configuration.sms else { throw Unsendable(description: "notifications.sms is not configured") }
            guard let payload = try? JSONDecoder().decode(SMSPayload.self, from: Data(entry.payload.utf8)) else {
                throw Unsendable(description: "the SMS payload is not readable")
            }
            let values = ["to": entry.destination, "ticket": payload.ticket, "language": payload.language, "message": payload.message, "idempotency_key": entry.idempotencyKey]
            let type = gateway.contentType.lowercased()
            let escape: Template.Escape = type.contains("json") ? .json : type.contains("x-www-form-urlencoded") ? .percent : .none
            url = Template.fill(gateway.url, values, escape: .percent)
            method = gateway.method
            headers = gateway.headers
            contentType = gateway.contentType
            body = gateway.body.isEmpty ? nil : Template.fill(gateway.body, values, escape: escape)
            policy = gateway.delivery
        case .webhook:
            let department = (try? JSONDecoder().decode(WebhookPayload.self, from: Data(entry.payload.utf8)))?.department
            let webhook = department.flatMap { configuration.webhooks[$0] } ?? configuration.webhooks.values.first { $0.url == entry.destination }
            url = entry.destination
            method = "POST"
            headers = webhook?.headers ?? []
            contentType = "application/json"
            body = entry.payload
            policy = webhook?.delivery ?? DeliveryPolicy()
        }
    }
}

/// The sender's metrics.
struct OutboxMetrics: Sendable {
    /// Messages pending (due or waiting for a retry), as of the last round.
    let depth = Gauge(label: "outbox_depth")
}
