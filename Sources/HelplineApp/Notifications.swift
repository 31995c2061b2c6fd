import Foundation
public import Store
import YAMLSupport
import Yams
public import TimeSupport

/// How the daemon notifies citizens and departments when a ticket is resolved: the SMS gateway,
/// the departments' webhooks, and how the outbox sender delivers them.
///
/// An SMS is queued on resolution only when `notifications.sms` is configured; a webhook only
/// for a department listed under `notifications.webhooks`. Without the section nothing is queued.
public struct NotificationConfiguration: Sendable {
    /// The SMS gateway; nil: no SMS is queued.
    public var sms: SMSGateway?
    /// The portal to post a resolution to, by department id.
    public var webhooks: [String: Webhook] = [:]
    /// How often the sender looks for due messages when it found none. Defaults to 1 s.
    public var pollInterval: Duration = .seconds(1)
    /// At most this many messages are sent at once. Defaults to 8.
    public var concurrency = 8
    /// On shutdown, how long messages being sent may take before they are abandoned (they stay
    /// pending and are sent again after a restart). Defaults to 10 s.
    public var shutdownTimeout: Duration = .seconds(10)

    /// Nothing configured: nothing queued.
    public init() {}

    /// True when a resolution queues anything at all.
    public var isEnabled: Bool { sms != nil || !webhooks.isEmpty }
}

/// How messages to one receiver are delivered and retried.
public struct DeliveryPolicy: Sendable, Hashable {
    /// The time one attempt may take, from connecting to the end of the answer. Defaults to 10 s.
    public var timeout: Duration = .seconds(10)
    /// Attempts before a message is dead. Defaults to 8.
    public var maximumAttempts = 8
    /// The delay before the second attempt; it doubles with each further attempt. Defaults to 30 s.
    public var backoffBase: Duration = .seconds(30)
    /// The longest delay between attempts. Defaults to 1 h.
    public var backoffCap: Duration = .seconds(3600)

    /// The defaults.
    public init() {}

    /// The wait after each failed attempt: `base × 2^(attempt−1)`, capped, of which a random
    /// half is taken off ("equal jitter"), so that many messages failing together do not come
    /// back together.
    public var backoff: ExponentialBackoff { ExponentialBackoff(base: backoffBase, cap: backoffCap) }
}

/// An HTTP header value, given in the file or read from the environment when the file is loaded.
public struct HeaderValue: Sendable, Hashable {
    /// The header's name.
    public var name: String
    /// Its value (secrets from `headers_env` included; never printed).
    public var value: String
}

/// The SMS gateway: one HTTP request per message.
public struct SMSGateway: Sendable {
    /// The URL; it may hold placeholders (percent-encoded when filled in), for gateways that take
    /// the message in the query string.
    public var url: String
    /// The HTTP method. Defaults to POST.
    public var method = "POST"
    /// Headers sent with every request (besides `Content-Type` and `Idempotency-Key`).
    public var headers: [HeaderValue] = []
    /// The request body with placeholders; empty: no body.
    public var body = #"{"to":"${to}","message":"${message}","ticket":"${ticket}","language":"${language}","reference":"${idempotency_key}"}"#
    /// The body's content type. Placeholders are JSON-escaped when it names JSON, percent-encoded
    /// when it is `application/x-www-form-urlencoded`, and put in as they are otherwise.
    public var contentType = "application/json"
    /// The text per language, with `${ticket}` replaced by the ticket number.
    public var messages: [String: String] = SMSGateway.defaultMessages
    /// The language whose text is sent when the ticket's language has none. Defaults to `en`.
    public var fallbackLanguage = "en"
    /// Timeouts and retries.
    public var delivery = DeliveryPolicy()

    /// The shipped texts (a deployment overrides or adds languages under `messages`).
    public static let defaultMessages = [
        "en": "Helpline: your complaint ${ticket} has been resolved. Thank you!",
        "hi": "हेल्पलाइन: आपकी शिकायत ${ticket} का समाधान कर दिया गया है। धन्यवाद!",
        "vi": "Tổng đài 1022 thông báo, kiến nghị của ông (bà) đã được giải quyết. Xin cảm ơn!",
    ]

    /// A gateway at `url` with the defaults.
    public init(url: String) {
        self.url = url
    }

    /// The text for a ticket in `language`, its number filled in.
    public func message(language: String, ticket: String) -> String {
        let template = messages[language] ?? messages[fallbackLanguage] ?? SMSGateway.defaultMessages["en"]!
        return Template.fill(template, ["ticket": ticket], escape: .none)
    }
}

/// A department's portal, which receives a JSON document for each resolution.
public struct Webhook: Sendable {
    /// Where to POST.
    public var url: String
    /// Headers sent with every request (besides `Content-Type` and `Idempotency-Key`).
    public var headers: [HeaderValue] = []
    /// Timeouts and retries.
    public var delivery = DeliveryPolicy()

    /// A webhook at `url` with the defaults.
    public init(url: String) {
        self.url = url
    }
}

/// `${name}` placeholders in gateway templates.
enum Template {
    static let smsPlaceholders: Set<String> = ["to", "ticket", "language", "message", "idempotency_key"]

    enum Escape {
        case none, json, percent
    }

    /// `template` with each `${name}` replaced by its value, escaped (``Placeholders``: the
    /// loader refused unknown names, so none is left empty here).
    static func fill(_ template: String, _ values: [String: String], escape: Escape) -> String {
        Placeholders.expand(template) { name in values[name].map { Self.escape($0, escape) } }
    }

    static func escape(_ value: String, _ escape: Escape) -> String {
        switch escape {
        case .none:
            return value
        case .percent:
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
        case .json:
            var output = ""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": output += "\\\""
                case "\\": output += "\\\\"
                case "\n": output += "\\n"
                case "\r": output += "\\r"
                case "\t": output += "\\t"
                case _ where scalar.value < 0x20: output += String(format: "\\u%04x", scalar.value)
                default: output.unicodeScalars.append(scalar)
                }
            }
            return output
        }
    }
}

// MARK: - What a resolution queues

/// The payload of an SMS in the outbox: the parts the body template needs. The text is fixed
/// when the ticket is resolved; the gateway's URL, headers and body template are applied when
/// it is sent (so secrets never reach the database).
struct SMSPayload: Codable, Sendable, Hashable {
    var ticket: String
    var language: String
    var message: String
}

/// The JSON document a department's portal receives when one of its tickets is resolved.
struct WebhookPayload: Codable, Sendable, Hashable {
    var event: String
    var ticket: String
    var department: String
    var category: String?
    var district: String?
    var level: String
    var status: String
    var resolvedAt: String
    var note: String?
    var idempotencyKey: String

    enum CodingKeys: String, CodingKey {
        case event, ticket, department, category, district, level, status, note
        case resolvedAt = "resolved_at"
        case idempotencyKey = "idempotency_key"
    }
}

extension NotificationConfiguration {
    /// The policy the store applies to ticket changes: on a resolution, an SMS to the caller
    /// (when the gateway is configured and the ticket has a caller number) and a webhook to the
    /// department's portal (when it has one). Keys are `resolve-<ticket>-<event id>-sms` and
    /// `…-webhook`: unique per resolution, so a ticket resolved again after a reopening notifies again.
    public var policy: NotificationPolicy {
        let sms = sms
        let webhooks = webhooks
        return NotificationPolicy { change in
            guard case .resolve = change.action else { return [] }
            let ticket = change.ticket
            let prefix = "resolve-\(ticket.number)-\(change.eventID)"
            var messages: [OutboxMessage] = []
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if let sms, !ticket.callerNumber.isEmpty {
                let payload = SMSPayload(ticket: ticket.number, language: ticket.language, message: sms.message(language: ticket.language, ticket: ticket.number))
                if let data = try? encoder.encode(payload) {
                    messages.append(OutboxMessage(kind: .sms, destination: ticket.callerNumber, payload: String(decoding: data, as: UTF8.self), idempotencyKey: prefix + "-sms"))
                }
            }
            if let webhook = webhooks[ticket.department] {
                let key = prefix + "-webhook"
                let payload = WebhookPayload(
                    event: "ticket.resolved", ticket: ticket.number, department: ticket.department, category: ticket.category,
                    district: ticket.district, level: ticket.level.rawValue, status: ticket.status.rawValue,
                    resolvedAt: ISO8601DateFormatter().string(from: change.at), note: change.note, idempotencyKey: key)
                if let data = try? encoder.encode(payload) {
                    messages.append(OutboxMessage(kind: .webhook, destination: webhook.url, payload: String(decoding: data, as: UTF8.self), idempotencyKey: key))
                }
            }
            return messages
        }
    }
}

// MARK: - Reading the section

extension YAMLReader {
    static let notificationKeys = ["sms", "webhooks", "poll_interval", "concurrency", "shutdown_timeout"]
    static let smsKeys = ["url", "method", "headers", "headers_env", "body", "content_type", "messages", "fallback_language"] + deliveryKeys
    static let webhookKeys = ["url", "headers", "headers_env"] + deliveryKeys
    static let deliveryKeys = ["timeout", "max_attempts", "backoff_base", "backoff_cap"]

    /// The `notifications` section.
    func notifications(_ node: Node, environment: [String: String], resolveSecrets: Bool) throws(YAMLProblem) -> NotificationConfiguration {
        var configuration = NotificationConfiguration()
        try mapping(node, path: "notifications") { key, value throws(YAMLProblem) in
            let path = "notifications." + key
            switch key {
            case "sms": configuration.sms = try smsGateway(value, path: path, environment: environment, resolveSecrets: resolveSecrets)
            case "webhooks":
                try mapping(value, path: path) { department, entry throws(YAMLProblem) in
                    if department.isEmpty { throw error(entry, "\(path): a department id must not be empty") }
                    configuration.webhooks[department] = try webhook(entry, path: path + "." + department, environment: environment, resolveSecrets: resolveSecrets)
                }
            case "poll_interval": configuration.pollInterval = try positiveDuration(value, path: path)
            case "concurrency": configuration.concurrency = try integer(value, path: path, in: 1...256)
            case "shutdown_timeout": configuration.shutdownTimeout = try duration(value, path: path)
            default: throw unknownKey(value, path: path, known: Self.notificationKeys)
            }
        }
        return configuration
    }

    private func keyedFields(_ node: Node, path: String, known: [String]) throws(YAMLProblem) -> [String: Node] {
        var fields: [String: Node] = [:]
        try mapping(node, path: path) { key, value throws(YAMLProblem) in
            guard known.contains(key) else { throw unknownKey(value, path: path + "." + key, known: known) }
            fields[key] = value
        }
        return fields
    }

    private func smsGateway(_ node: Node, path: String, environment: [String: String], resolveSecrets: Bool) throws(YAMLProblem) -> SMSGateway {
        let fields = try keyedFields(node, path: path, known: Self.smsKeys)
        guard let urlNode = fields["url"] else { throw error(node, "\(path) needs 'url' (the SMS gateway's HTTP address)") }
        var gateway = SMSGateway(url: try httpURL(urlNode, path: path + ".url", allowPlaceholders: true))
        if let value = fields["method"] {
            let method = try nonEmptyString(value, path: path + ".method").uppercased()
            guard ["GET", "POST", "PUT", "PATCH"].contains(method) else { throw error(value, "\(path).method must be GET, POST, PUT or PATCH, not '\(method)'") }
            gateway.method = method
        }
        gateway.headers = try headers(fields, path: path, environment: environment, resolveSecrets: resolveSecrets)
        if let value = fields["content_type"] { gateway.contentType = try nonEmptyString(value, path: path + ".content_type") }
        if let value = fields["body"] {
            gateway.body = try string(value, path: path + ".body")
            try checkPlaceholders(value, gateway.body, path: path + ".body", allowed: Template.smsPlaceholders)
        }
        if let value = fields["messages"] {
            try mapping(value, path: path + ".messages") { language, text throws(YAMLProblem) in
                let message = try nonEmptyString(text, path: "\(path).messages.\(language)")
                try checkPlaceholders(text, message, path: "\(path).messages.\(language)", allowed: ["ticket"])
                gateway.messages[language] = message
            }
        }
        if let value = fields["fallback_language"] {
            let language = try nonEmptyString(value, path: path + ".fallback_language")
            guard gateway.messages[language] != nil else { throw error(value, "\(path).fallback_language: no message is given for '\(language)'") }
            gateway.fallbackLanguage = language
        }
        gateway.delivery = try delivery(fields, path: path)
        return gateway
    }

    private func webhook(_ node: Node, path: String, environment: [String: String], resolveSecrets: Bool) throws(YAMLProblem) -> Webhook {
        if node.scalar != nil { return Webhook(url: try httpURL(node, path: path, allowPlaceholders: false)) }  // `water: https://…`
        let fields = try keyedFields(node, path: path, known: Self.webhookKeys)
        guard let urlNode = fields["url"] else { throw error(node, "\(path) needs 'url' (the department portal's HTTP address)") }
        var webhook = Webhook(url: try httpURL(urlNode, path: path + ".url", allowPlaceholders: false))
        webhook.headers = try headers(fields, path: path, environment: environment, resolveSecrets: resolveSecrets)
        webhook.delivery = try delivery(fields, path: path)
        return webhook
    }

    private func delivery(_ fields: [String: Node], path: String) throws(YAMLProblem) -> DeliveryPolicy {
        var policy = DeliveryPolicy()
        if let value = fields["timeout"] { policy.timeout = try positiveDuration(value, path: path + ".timeout") }
        if let value = fields["max_attempts"] { policy.maximumAttempts = try integer(value, path: path + ".max_attempts", in: 1...1000) }
        if let value = fields["backoff_base"] { policy.backoffBase = try positiveDuration(value, path: path + ".backoff_base") }
        if let value = fields["backoff_cap"] { policy.backoffCap = try positiveDuration(value, path: path + ".backoff_cap") }
        if policy.backoffCap < policy.backoffBase, let value = fields["backoff_cap"] ?? fields["backoff_base"] {
            throw error(value, "\(path).backoff_cap must not be shorter than \(path).backoff_base")
        }
        return policy
    }

    /// `headers` (name: value) and `headers_env` (name: environment variable holding the value,
    /// for secrets such as an API token; read when the file is loaded, never printed).
    private func headers(_ fields: [String: Node], path: String, environment: [String: String], resolveSecrets: Bool) throws(YAMLProblem) -> [HeaderValue] {
        var headers: [HeaderValue] = []
        func add(_ name: String, _ value: String, at node: Node, path: String) throws(YAMLProblem) {
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }) else {
                throw error(node, "\(path): '\(name)' is not a valid header name")
            }
            guard !value.contains("\r"), !value.contains("\n") else { throw error(node, "\(path): a header value must be one line") }
            if ["content-type", "idempotency-key", "content-length", "host"].contains(name.lowercased()) {
                throw error(node, "\(path): \(name) is set by Helpline itself")
            }
            if headers.contains(where: { $0.name.lowercased() == name.lowercased() }) {
                throw error(node, "\(path): the header \(name) is given twice")
            }
            headers.append(HeaderValue(name: name, value: value))
        }
        if let node = fields["headers"] {
            try mapping(node, path: path + ".headers") { name, value throws(YAMLProblem) in
                try add(name, try string(value, path: "\(path).headers.\(name)"), at: value, path: "\(path).headers.\(name)")
            }
        }
        if let node = fields["headers_env"] {
            try mapping(node, path: path + ".headers_env") { name, value throws(YAMLProblem) in
                let variable = try nonEmptyString(value, path: "\(path).headers_env.\(name)")
                var secret = ""
                if resolveSecrets {
                    guard let found = environment[variable], !found.isEmpty else {
                        throw error(value, "\(path).headers_env.\(name): the environment variable \(variable) is not set or empty")
                    }
                    secret = found
                }
                try add(name, secret, at: value, path: "\(path).headers_env.\(name)")
            }
        }
        return headers
    }

    private func httpURL(_ node: Node, path: String, allowPlaceholders: Bool) throws(YAMLProblem) -> String {
        let text = try nonEmptyString(node, path: path)
        if allowPlaceholders { try checkPlaceholders(node, text, path: path, allowed: Template.smsPlaceholders) }
        let probe = allowPlaceholders ? Template.fill(text, Dictionary(uniqueKeysWithValues: Template.smsPlaceholders.map { ($0, "x") }), escape: .percent) : text
        guard let url = URL(string: probe), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host?.isEmpty == false else {
            throw error(node, "\(path) must be an http:// or https:// URL, not '\(text)'")
        }
        return text
    }

    private func checkPlaceholders(_ node: Node, _ text: String, path: String, allowed: Set<String>) throws(YAMLProblem) {
        guard let names = Placeholders.names(in: text) else { throw error(node, "\(path): a '${' is not closed by '}'") }
        for name in names where !allowed.contains(name) {
            throw error(node, "\(path): unknown placeholder ${\(name)}; expected one of: \(allowed.sorted().map { "${\($0)}" }.joined(separator: ", "))")
        }
    }
}
