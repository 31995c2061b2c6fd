import Foundation
import HelplineApp
import HelplineDomain
import Logging
import NIOCore
import ServiceLifecycle
import Store
import Testing

extension Integration {
    /// The outbox sender against a real HTTP gateway on loopback, over a real SQLite file.
    @Suite(.serialized) struct OutboxSenderTests {
        /// Short timeouts and backoffs so that a test takes a second or two.
        static func configuration(gateway: TestGateway, maxAttempts: Int = 8, extra: String = "") throws -> HelplineConfiguration {
            let yaml = """
                notifications:
                  poll_interval: 20ms
                  shutdown_timeout: 2s
                  sms:
                    url: \(gateway.url)/send
                    headers: {X-Account: helpline-test}
                    headers_env: {Authorization: TEST_SMS_AUTHORIZATION}
                    body: '{"to":"${to}","text":"${message}","lang":"${language}","ticket":"${ticket}","ref":"${idempotency_key}"}'
                    messages:
                      vi: "Tổng đài 1022 thông báo, kiến nghị số ${ticket} của ông (bà) đã được giải quyết. Xin cảm ơn!"
                    timeout: 300ms
                    max_attempts: \(maxAttempts)
                    backoff_base: 30ms
                    backoff_cap: 120ms
                  webhooks:
                    water:
                      url: \(gateway.url)/portal/water
                      timeout: 300ms
                      backoff_base: 30ms
                      backoff_cap: 120ms
                \(extra)
                """
            return try HelplineConfiguration(yaml: yaml, file: "test.yaml", environment: ["TEST_SMS_AUTHORIZATION": "Bearer s3cret"])
        }

        static func resolveTickets(_ count: Int, store: TicketStore, policy: NotificationPolicy, department: String = "water") async throws -> [String] {
            var numbers: [String] = []
            for index in 0..<count {
                let ticket = try await store.createTicket(
                    NewTicket(source: .ivr, callerNumber: "+84 90 123 45\(index)\(index)", language: index % 2 == 0 ? "vi" : "en", district: "07", department: department, callUniqueid: "outbox-\(UUID().uuidString)", officer: "l1"),
                    actor: "ivr").ticket
                try await store.apply(.resolve, to: ticket.number, actor: "l1", note: "fixed \"quickly\"", notifications: policy)
                numbers.append(ticket.number)
            }
            return numbers
        }

        /// Runs the sender as the daemon does (in a service group) until `done` holds, then shuts it down gracefully.
        static func runSender(store: TicketStore, configuration: NotificationConfiguration, until done: @escaping @Sendable () async throws -> Bool) async throws {
            let sender = OutboxSender(store: store, configuration: configuration, logger: Logger(label: "outbox-test"))
            let group = ServiceGroup(configuration: .init(services: [.init(service: sender)], logger: Logger(label: "outbox-test")))
            let running = Task { try await group.run() }
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline, !(try await done()) {
                try await Task.sleep(for: .milliseconds(20))
            }
            await group.triggerGracefulShutdown()
            try await running.value
        }

        static func temporaryStore() throws -> (URL, TicketStore) {
            let directory = try HelplineServeTests.temporaryDirectory()
            return (directory, TicketStore(database: try HelplineDatabase(path: directory.appendingPathComponent("helpline.sqlite").path)))
        }

        @Test func everyMessageIsDeliveredOncePerKeyThroughFailuresAndTimeouts() async throws {
            // By turns, for every key: a 500, then an answer held past the client's timeout
            // (the gateway delivered, the sender never heard), a 429, then success.
            let gateway = try await TestGateway.start { _, attempt in
                switch attempt {
                case 1: .status(500)
                case 2: .hold(.seconds(1))
                case 3: .status(429, headers: ["Retry-After": "0"])
                default: .status(200)
                }
            }
            let (directory, store) = try Self.temporaryStore()
            defer { try? FileManager.default.removeItem(at: directory) }
            let configuration = try Self.configuration(gateway: gateway)
            let numbers = try await Self.resolveTickets(5, store: store, policy: configuration.notifications.policy)
            #expect(try await store.pendingOutboxCount() == 10, "an SMS and a webhook per resolution")

            try await Self.runSender(store: store, configuration: configuration.notifications) {
                try await store.outbox(status: .sent).count == 10
            }
            try await gateway.stop()

            let sent = try await store.outbox(status: .sent)
            #expect(sent.count == 10)
            #expect(sent.allSatisfy { $0.attempts == 4 && $0.lastError == nil && $0.sentAt != nil })
            let keys = Set(sent.map(\.idempotencyKey))
            #expect(gateway.deliveries == Dictionary(uniqueKeysWithValues: keys.map { ($0, 1) }), "each key delivered exactly once")
            #expect(gateway.attempts == Dictionary(uniqueKeysWithValues: keys.map { ($0, 4) }))

            // What the gateway received: the configured request, the key in a header.
            let sms = try #require(gateway.requests.first { $0.uri == "/send" && $0.body.contains(numbers[0]) })
            #expect(sms.method == "POST")
            #expect(sms.headers["authorization"] == "Bearer s3cret")
            #expect(sms.headers["x-account"] == "helpline-test")
            #expect(sms.headers["content-type"] == "application/json")
            let key = try #require(sms.key)
            #expect(key.hasPrefix("resolve-\(numbers[0])-") && key.hasSuffix("-sms"))
            let body = try #require(try JSONSerialization.jsonObject(with: Data(sms.body.utf8)) as? [String: String])
            #expect(body["to"] == "+84 90 123 4500")
            #expect(body["text"] == "Tổng đài 1022 thông báo, kiến nghị số \(numbers[0]) của ông (bà) đã được giải quyết. Xin cảm ơn!")
            #expect(body["lang"] == "vi")
            #expect(body["ref"] == key)
            let english = try #require(gateway.requests.first { $0.uri == "/send" && $0.body.contains(numbers[1]) })
            #expect(english.body.contains("your complaint \(numbers[1]) has been resolved"))

            let webhook = try #require(gateway.requests.first { $0.uri == "/portal/water" && $0.body.contains(numbers[0]) })
            let document = try #require(try JSONSerialization.jsonObject(with: Data(webhook.body.utf8)) as? [String: Any])
            #expect(document["event"] as? String == "ticket.resolved")
            #expect(document["note"] as? String == "fixed \"quickly\"")
            #expect(document["department"] as? String == "water")
            #expect(webhook.headers["idempotency-key"] == document["idempotency_key"] as? String)
            #expect(webhook.headers["authorization"] == nil, "the SMS gateway's secret never goes to a portal")
        }

        @Test func aMessageIsDeadAfterItsAttemptsOrAtOnceWhenRefused() async throws {
            // The gateway fails every SMS to one number, and refuses (400) the other number's.
            let gateway = try await TestGateway.start { _, _ in .status(503) }
            let refusing = try await TestGateway.start { _, _ in .status(400) }
            let (directory, store) = try Self.temporaryStore()
            defer { try? FileManager.default.removeItem(at: directory) }
            let configuration = try Self.configuration(gateway: gateway, maxAttempts: 3)
            _ = try await Self.resolveTickets(1, store: store, policy: configuration.notifications.policy, department: "roads")
            var refusingConfiguration = configuration.notifications
            refusingConfiguration.sms?.url = refusing.url + "/send"

            try await Self.runSender(store: store, configuration: configuration.notifications) {
                try await store.outbox(status: .dead).count == 1
            }
            let dead = try #require(try await store.outbox(status: .dead).first)
            #expect(dead.attempts == 3)
            #expect(dead.lastError?.hasPrefix("HTTP 503") == true, "\(dead.lastError ?? "")")
            #expect(dead.lastError?.contains("after 3 attempts") == true)
            #expect(gateway.attempts[dead.idempotencyKey] == 3, "no attempt after the last")
            #expect(gateway.deliveries.isEmpty)

            // Retried by an administrator, sent to a gateway that refuses it: dead at the first answer.
            #expect(try await store.retryOutbox(ids: [dead.id]).map(\.result) == [.requeued])
            try await Self.runSender(store: store, configuration: refusingConfiguration) {
                try await store.outbox(status: .dead).count == 1
            }
            let refused = try #require(try await store.outbox(status: .dead).first)
            #expect(refused.attempts == 1)
            #expect(refused.lastError?.hasPrefix("HTTP 400") == true, "\(refused.lastError ?? "")")
            #expect(refusing.attempts[dead.idempotencyKey] == 1)
            try await gateway.stop()
            try await refusing.stop()
        }

        @Test func aRestartResumesPendingMessagesFromTheSameFile() async throws {
            // Down for the first daemon, up for the second.
            let up = Locked(false)
            let gateway = try await TestGateway.start { _, _ in up.withLock { $0 } ? .status(202) : .status(502) }
            let (directory, store) = try Self.temporaryStore()
            defer { try? FileManager.default.removeItem(at: directory) }
            let configuration = try Self.configuration(gateway: gateway)
            _ = try await Self.resolveTickets(3, store: store, policy: configuration.notifications.policy, department: "roads")

            try await Self.runSender(store: store, configuration: configuration.notifications) {
                gateway.requests.count >= 6
            }
            let pending = try await store.outbox(status: .pending)
            #expect(pending.count == 3)
            #expect(pending.allSatisfy { $0.attempts >= 2 && $0.lastError?.hasPrefix("HTTP 502") == true })

            // A new process: a new store and sender over the same file.
            up.withLock { $0 = true }
            let reopened = TicketStore(database: try HelplineDatabase(path: directory.appendingPathComponent("helpline.sqlite").path))
            try await Self.runSender(store: reopened, configuration: configuration.notifications) {
                try await reopened.outbox(status: .sent).count == 3
            }
            try await gateway.stop()
            #expect(try await reopened.pendingOutboxCount() == 0)
            #expect(gateway.deliveries.count == 3)
            #expect(gateway.deliveries.values.allSatisfy { $0 == 1 })
        }
    }
}
