import Foundation
import Store
import HelplineDomain
import Testing

@testable import HelplineApp
import TimeSupport

@Suite struct NotificationConfigurationTests {
    @Test func withoutTheSectionNothingIsQueued() throws {
        let configuration = try HelplineConfiguration(yaml: "log:\n  level: info\n", file: "n.yaml")
        #expect(configuration.notifications.sms == nil)
        #expect(configuration.notifications.webhooks.isEmpty)
        #expect(!configuration.notifications.isEnabled)
        #expect(configuration.notifications.policy.messages(Self.resolution()).isEmpty)
    }

    @Test func readsEveryKeyWithDefaultsForTheRest() throws {
        let yaml = """
            notifications:
              poll_interval: 250ms
              concurrency: 4
              shutdown_timeout: 5s
              sms:
                url: "https://sms.example.net/send?to=${to}&text=${message}"
                method: get
                headers: {X-Account: "1022"}
                headers_env: {Authorization: SMS_AUTH}
                body: ""
                content_type: application/x-www-form-urlencoded
                messages:
                  vi: "Kiến nghị ${ticket} đã được giải quyết."
                  ta: "புகார் ${ticket} தீர்க்கப்பட்டது"
                fallback_language: hi
                timeout: 5s
                max_attempts: 3
                backoff_base: 10s
                backoff_cap: 10m
              webhooks:
                water: https://portal.water.example.gov/resolved
                roads:
                  url: https://roads.example.gov/hook
                  headers_env: {X-Token: ROADS_TOKEN}
                  max_attempts: 20
            """
        let configuration = try HelplineConfiguration(yaml: yaml, file: "n.yaml", environment: ["SMS_AUTH": "Basic abc", "ROADS_TOKEN": "t0k"])
        let notifications = configuration.notifications
        #expect(notifications.pollInterval == .milliseconds(250))
        #expect(notifications.concurrency == 4)
        #expect(notifications.shutdownTimeout == .seconds(5))
        let sms = try #require(notifications.sms)
        #expect(sms.url == "https://sms.example.net/send?to=${to}&text=${message}")
        #expect(sms.method == "GET")
        #expect(sms.headers == [HeaderValue(name: "X-Account", value: "1022"), HeaderValue(name: "Authorization", value: "Basic abc")])
        #expect(sms.body.isEmpty)
        #expect(sms.contentType == "application/x-www-form-urlencoded")
        #expect(sms.message(language: "vi", ticket: "1000002") == "Kiến nghị 1000002 đã được giải quyết.")
        #expect(sms.message(language: "ta", ticket: "1000002") == "புகார் 1000002 தீர்க்கப்பட்டது")
        #expect(sms.message(language: "en", ticket: "1000002") == "Helpline: your complaint 1000002 has been resolved. Thank you!", "defaults stay for the languages not given")
        #expect(sms.message(language: "xx", ticket: "1000002").contains("1000002"), "hi is the fallback")
        #expect(sms.message(language: "xx", ticket: "1000002").hasPrefix("हेल्पलाइन"))
        #expect(sms.delivery.timeout == .seconds(5))
        #expect(sms.delivery.maximumAttempts == 3)
        #expect(sms.delivery.backoffBase == .seconds(10))
        #expect(sms.delivery.backoffCap == .seconds(600))
        #expect(notifications.webhooks["water"]?.url == "https://portal.water.example.gov/resolved")
        #expect(notifications.webhooks["water"]?.delivery == DeliveryPolicy())
        #expect(notifications.webhooks["roads"]?.headers == [HeaderValue(name: "X-Token", value: "t0k")])
        #expect(notifications.webhooks["roads"]?.delivery.maximumAttempts == 20)

        // Tools that only queue read the file without the secrets.
        let unresolved = try HelplineConfiguration(yaml: yaml, file: "n.yaml", environment: [:], resolveSecrets: false)
        #expect(unresolved.notifications.sms?.headers.last == HeaderValue(name: "Authorization", value: ""))
    }

    @Test func theDefaultsAreTheDocumentedOnes() throws {
        let configuration = try HelplineConfiguration(yaml: "notifications:\n  sms:\n    url: http://127.0.0.1:9000/sms\n", file: "n.yaml")
        let sms = try #require(configuration.notifications.sms)
        #expect(sms.method == "POST")
        #expect(sms.contentType == "application/json")
        #expect(sms.delivery.timeout == .seconds(10))
        #expect(sms.delivery.maximumAttempts == 8)
        #expect(sms.delivery.backoffBase == .seconds(30))
        #expect(sms.delivery.backoffCap == .seconds(3600))
        #expect(sms.message(language: "vi", ticket: "1") == "Tổng đài 1022 thông báo, kiến nghị của ông (bà) đã được giải quyết. Xin cảm ơn!")
        #expect(configuration.notifications.pollInterval == .seconds(1))
        #expect(configuration.notifications.isEnabled)
    }

    @Test(arguments: [
        ("notifications:\n  smss: {}\n", "bad.yaml:2:3: unknown key 'notifications.smss'; expected one of: sms, webhooks"),
        ("notifications:\n  sms: {}\n", "bad.yaml:2:8: notifications.sms needs 'url'"),
        ("notifications:\n  sms:\n    url: ftp://x\n", "bad.yaml:3:10: notifications.sms.url must be an http:// or https:// URL, not 'ftp://x'"),
        ("notifications:\n  sms:\n    url: http://g\n    methd: GET\n", "bad.yaml:4:5: unknown key 'notifications.sms.methd'"),
        ("notifications:\n  sms:\n    url: http://g\n    method: DELETE\n", "bad.yaml:4:13: notifications.sms.method must be GET, POST, PUT or PATCH"),
        ("notifications:\n  sms:\n    url: http://g\n    body: '{\"t\":\"${text}\"}'\n", "bad.yaml:4:11: notifications.sms.body: unknown placeholder ${text}; expected one of: ${idempotency_key}, ${language}, ${message}, ${ticket}, ${to}"),
        ("notifications:\n  sms:\n    url: http://g\n    body: 'to=${to'\n", "bad.yaml:4:11: notifications.sms.body: a '${' is not closed"),
        ("notifications:\n  sms:\n    url: http://g\n    headers_env: {Authorization: NOT_SET_ANYWHERE}\n",
         "bad.yaml:4:34: notifications.sms.headers_env.Authorization: the environment variable NOT_SET_ANYWHERE is not set or empty"),
        ("notifications:\n  sms:\n    url: http://g\n    headers: {Content-Type: text/plain}\n", "bad.yaml:4:29: notifications.sms.headers.Content-Type: Content-Type is set by Helpline itself"),
        ("notifications:\n  sms:\n    url: http://g\n    max_attempts: 0\n", "bad.yaml:4:19: notifications.sms.max_attempts must be between 1 and 1000, not 0"),
        ("notifications:\n  sms:\n    url: http://g\n    timeout: soon\n", "bad.yaml:4:14: notifications.sms.timeout must be a duration"),
        ("notifications:\n  sms:\n    url: http://g\n    backoff_base: 1m\n    backoff_cap: 10s\n", "bad.yaml:5:18: notifications.sms.backoff_cap must not be shorter than notifications.sms.backoff_base"),
        ("notifications:\n  sms:\n    url: http://g\n    messages: {vi: \"kiến nghị ${number}\"}\n", "bad.yaml:4:20: notifications.sms.messages.vi: unknown placeholder ${number}; expected one of: ${ticket}"),
        ("notifications:\n  sms:\n    url: http://g\n    fallback_language: ta\n", "bad.yaml:4:24: notifications.sms.fallback_language: no message is given for 'ta'"),
        ("notifications:\n  webhooks:\n    water: {headers: {X: y}}\n", "bad.yaml:3:12: notifications.webhooks.water needs 'url'"),
        ("notifications:\n  webhooks:\n    water: portal.example\n", "bad.yaml:3:12: notifications.webhooks.water must be an http:// or https:// URL"),
        ("notifications:\n  concurrency: 0\n", "bad.yaml:2:16: notifications.concurrency must be between 1 and 256"),
    ])
    func reportsEachProblemWithItsPlace(yaml: String, expected: String) {
        do {
            _ = try HelplineConfiguration(yaml: yaml, file: "bad.yaml", environment: [:])
            Issue.record("accepted \(yaml)")
        } catch {
            #expect(error.description.hasPrefix(expected), "\(error.description)")
        }
    }

    @Test func aSecretHeaderNeverAppearsInAnError() {
        let yaml = "notifications:\n  sms:\n    url: http://g\n    headers_env: {Authorization: SMS_AUTH}\n    timeout: x\n"
        do {
            _ = try HelplineConfiguration(yaml: yaml, file: "s.yaml", environment: ["SMS_AUTH": "hunter2"])
            Issue.record("accepted")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test func backoffDoublesUpToItsCapWithJitterOfHalf() {
        var policy = DeliveryPolicy()
        policy.backoffBase = .seconds(30)
        policy.backoffCap = .seconds(3600)
        #expect(policy.backoff.delay(afterFailure: 1, jitter: 1) == .seconds(30))
        #expect(policy.backoff.delay(afterFailure: 1, jitter: 0) == .seconds(15))
        #expect(policy.backoff.delay(afterFailure: 2, jitter: 1) == .seconds(60))
        #expect(policy.backoff.delay(afterFailure: 5, jitter: 1) == .seconds(480))
        #expect(policy.backoff.delay(afterFailure: 8, jitter: 1) == .seconds(3600), "30 × 2^7 = 3840 s, capped")
        #expect(policy.backoff.delay(afterFailure: 500, jitter: 0.5) == .seconds(2700))
        for attempt in 1...20 {
            let delay = policy.backoff.delay(afterFailure: attempt, jitter: Double.random(in: 0...1))
            #expect(delay >= .seconds(15) && delay <= .seconds(3600))
        }
    }

    @Test(arguments: [
        (200, "sent"), (202, "sent"), (204, "sent"),
        (408, "retry"), (429, "retry"), (500, "retry"), (502, "retry"), (503, "retry"),
        (301, "dead"), (400, "dead"), (401, "dead"), (403, "dead"), (404, "dead"), (422, "dead"),
    ])
    func classifiesAnswers(status: Int, expected: String) {
        let outcome = DeliveryOutcome.classify(status: status, reason: "X", body: "", retryAfter: nil)
        switch outcome {
        case .sent: #expect(expected == "sent")
        case .retry: #expect(expected == "retry")
        case .permanent: #expect(expected == "dead")
        }
    }

    @Test func theRequestFillsTheTemplatesEscapedForTheirPlace() throws {
        var gateway = SMSGateway(url: "https://sms.example.net/send?to=${to}&ref=${idempotency_key}")
        gateway.body = #"{"to":"${to}","text":"${message}"}"#
        var configuration = NotificationConfiguration()
        configuration.sms = gateway
        let messages = configuration.policy.messages(Self.resolution())
        let message = try #require(messages.first)
        #expect(message.idempotencyKey == "resolve-1000002-42-sms")
        let entry = try Self.entry(message)
        let request = try OutboxRequest(entry: entry, configuration: configuration)
        #expect(request.url == "https://sms.example.net/send?to=%2B84%20901%20234%20567&ref=resolve-1000002-42-sms")
        let body = try #require(try JSONSerialization.jsonObject(with: Data((request.body ?? "").utf8)) as? [String: String])
        #expect(body["text"] == "Tổng đài 1022 thông báo, kiến nghị của ông (bà) đã được giải quyết. Xin cảm ơn!")
        #expect(body["to"] == "+84 901 234 567")

        configuration.sms?.contentType = "application/x-www-form-urlencoded"
        configuration.sms?.body = "to=${to}&text=${message}"
        let form = try OutboxRequest(entry: entry, configuration: configuration)
        #expect(form.body?.hasPrefix("to=%2B84%20901%20234%20567&text=T%E1%BB%95ng") == true, "\(form.body ?? "")")
    }

    static func resolution() -> TicketChange {
        let ticket = Ticket(
            id: 7, number: "1000002", createdAt: Date(), updatedAt: Date(), source: .ivr, callerNumber: "+84 901 234 567", callerName: nil,
            language: "vi", district: "07", department: "water", category: nil, descriptionRecording: nil, descriptionText: nil,
            status: .resolved, level: .l1, reopenCount: 0, assignedOfficer: "l1", dueAt: nil, resolvedAt: Date(), closedAt: nil,
            callUniqueid: nil, duplicateOf: nil)
        return TicketChange(action: .resolve, ticket: ticket, eventID: 42, note: "fixed", at: Date())
    }

    static func entry(_ message: OutboxMessage) throws -> OutboxEntry {
        OutboxEntry(id: 1, kind: message.kind, ticketID: 7, destination: message.destination, payload: message.payload, idempotencyKey: message.idempotencyKey, attempts: 1)
    }
}
