public import AGIServer
public import AMIClient
import Foundation
public import HTTPAPI
import HelplineDomain
public import Logging
import Store
public import YAMLSupport
import Yams

/// The daemon's configuration: what `helpline serve` reads from its YAML file.
///
/// Every key is optional; a missing file means all defaults. Durations are a number of seconds
/// or a string with a unit (`"250ms"`, `"5s"`, `"2m"`). Unknown keys and wrong types are errors
/// reported as `FILE:LINE:COLUMN: message`.
///
/// ```yaml
/// agi:
///   listen: 0.0.0.0:4573
///   allow: [10.20.0.11, 127.0.0.1]
/// database:
///   path: /var/lib/helpline/helpline.sqlite
/// log:
///   level: info
/// ami:
///   endpoints:
///     - name: pbx1
///       host: 10.20.0.11
///       username: helpline
///       secret_env: HELPLINE_AMI_SECRET
/// control:
///   socket: /run/helpline/control.sock
/// notifications:
///   sms:
///     url: https://sms.example.net/send
///     headers_env: {Authorization: HELPLINE_SMS_AUTHORIZATION}
///   webhooks:
///     water: https://portal.water.example.gov/helpline/resolved
/// ```
public struct HelplineConfiguration: Sendable {
    /// The FastAGI server. Defaults to ``AGIServer/Configuration``'s defaults (127.0.0.1:4573, loopback peers only).
    public var agi = AGIServer.Configuration()
    /// The SQLite database file. Defaults to `helpline.sqlite` in the working directory.
    public var databasePath = "helpline.sqlite"
    /// The lowest log level written. Defaults to `info`.
    public var logLevel: Logger.Level = .info
    /// The AMI endpoints (one connection each). Defaults to none.
    public var amiEndpoints: [AMIClient.Configuration] = []
    /// The queue_log file of each AMI endpoint that names one (`ami.endpoints[].queue_log`), by
    /// endpoint name: the daemon follows it, so that the daily report has the queue calls of
    /// times its AMI link was down. Defaults to none.
    public var queueLogs: [String: String] = [:]
    /// The Unix-domain socket `helpline queues` talks to. Defaults to `helpline.sock` in the working directory.
    public var controlSocketPath = "helpline.sock"
    /// The folder of call-flow files. Defaults to `menus` in the working directory (the shipped flows).
    public var menusFolder = "menus"
    /// Asterisk's sounds folder, to check every prompt has a recording at start; nil: not checked.
    public var soundsFolder: String?
    /// The routing directory file. Defaults to `deploy/directory.yaml` in the working directory (the sample).
    public var directoryPath = "deploy/directory.yaml"
    /// The PBX calls come from when the FastAGI script does not say (`/inbound?pbx=NAME`).
    /// Defaults to the first AMI endpoint's name, else `pbx1`.
    public var defaultPBX: String?
    /// The SMS gateway and department webhooks a resolution notifies. Defaults to none: nothing
    /// is queued until `notifications.sms` (or a webhook) is configured.
    public var notifications = NotificationConfiguration()
    /// The HTTP API: address, bearer tokens, limits. Defaults to ``HTTPAPIServer/Configuration``'s
    /// defaults (127.0.0.1:8080, no tokens).
    public var http = HTTPAPIServer.Configuration()
    /// Feedback calls and callbacks: how they are placed. Defaults to none: nothing is dialled.
    public var outbound: OutboundConfiguration?

    /// All defaults.
    public init() {}

    /// Reads a configuration from YAML text; `file` names it in error messages. `environment`
    /// supplies the variables `secret_env` names (the process environment by default); with
    /// `resolveSecrets: false` they are not read (for tools that only need other settings).
    public init(yaml: String, file: String, environment: [String: String]? = nil, resolveSecrets: Bool = true) throws(ConfigurationError) {
        self.init()
        let reader = ConfigurationReader(file: file)
        guard let root = try reader.compose(yaml) else { return }  // an empty file: all defaults
        var reading = Reading(configuration: self, environment: environment ?? ProcessInfo.processInfo.environment, resolveSecrets: resolveSecrets)
        try reader.read(root, path: "", into: &reading, Self.sections)
        self = reading.configuration
        if let outbound, let outboundNode = reading.outboundNode {
            // Calls are originated through an AMI connection: it must be one of the endpoints.
            let names = amiEndpoints.map(\.name)
            let pbx = outbound.pbx ?? defaultPBX ?? names.first
            guard let pbx, names.contains(pbx) else {
                throw reader.error(
                    outboundNode,
                    names.isEmpty ? "outbound needs an AMI endpoint to place calls through (ami.endpoints)"
                        : "outbound.pbx '\(pbx ?? "")' is not an AMI endpoint; the endpoints are: \(names.joined(separator: ", "))")
            }
        }
    }

    /// The configuration being read, with what the reading of its sections needs.
    struct Reading {
        var configuration: HelplineConfiguration
        let environment: [String: String]
        let resolveSecrets: Bool
        /// Where `outbound` was, for an error about its PBX.
        var outboundNode: Node?
    }

    /// Every key of the file, as the path a problem names (`agi.listen`, `ami.endpoints[].host`,
    /// `notifications.sms.url`, `outbound.max_attempts`): what the documentation's tables and
    /// `deploy/helpline.yaml` are checked against.
    public static var keyPaths: [String] {
        var paths: [String] = []
        func add(_ prefix: String, _ keys: [String]) { paths += keys.map { prefix + "." + $0 } }
        add("agi", agiKeys.names)
        add("database", databaseKeys.names)
        add("log", logKeys.names)
        add("ami", amiKeys.names)
        add("ami.endpoints[]", ConfigurationReader.amiKeys)
        add("control", controlKeys.names)
        add("menus", menusKeys.names)
        add("routing", routingKeys.names)
        add("notifications", ConfigurationReader.notificationKeys)
        add("notifications.sms", ConfigurationReader.smsKeys)
        add("notifications.webhooks.*", ConfigurationReader.webhookKeys)
        add("http", httpKeys.names)
        add("http.tokens[]", ConfigurationReader.tokenKeys)
        add("outbound", ConfigurationReader.outboundKeys)
        return paths
    }

    /// The file's sections.
    static let sections = ConfigurationKeys<Reading>([
        ("agi", { reading, reader, node, path throws(ConfigurationError) in try reader.read(node, path: path, into: &reading.configuration.agi, agiKeys) }),
        ("database", { reading, reader, node, path throws(ConfigurationError) in try reader.read(node, path: path, into: &reading.configuration, databaseKeys) }),
        ("log", { reading, reader, node, path throws(ConfigurationError) in try reader.read(node, path: path, into: &reading.configuration, logKeys) }),
        ("ami", { reading, reader, node, path throws(ConfigurationError) in try reader.read(node, path: path, into: &reading, amiKeys) }),
        ("control", { reading, reader, node, path throws(ConfigurationError) in try reader.read(node, path: path, into: &reading.configuration, controlKeys) }),
        ("menus", { reading, reader, node, path throws(ConfigurationError) in try reader.read(node, path: path, into: &reading.configuration, menusKeys) }),
        ("routing", { reading, reader, node, path throws(ConfigurationError) in try reader.read(node, path: path, into: &reading.configuration, routingKeys) }),
        ("notifications", { reading, reader, node, _ throws(ConfigurationError) in
            reading.configuration.notifications = try reader.notifications(node, environment: reading.environment, resolveSecrets: reading.resolveSecrets)
        }),
        ("http", { reading, reader, node, path throws(ConfigurationError) in try reader.read(node, path: path, into: &reading.configuration.http, httpKeys) }),
        ("outbound", { reading, reader, node, _ throws(ConfigurationError) in
            reading.configuration.outbound = try reader.outbound(node)
            reading.outboundNode = node
        }),
    ])

    static let agiKeys = ConfigurationKeys<AGIServer.Configuration>([
        ("listen", { agi, reader, node, path throws(ConfigurationError) in (agi.host, agi.port) = try reader.hostPort(node, path: path) }),
        ("allow", { agi, reader, node, path throws(ConfigurationError) in agi.allowList = try reader.peerRules(node, path: path, example: "10.20.0.0/16") }),
        ("max_sessions", { agi, reader, node, path throws(ConfigurationError) in agi.maximumSessions = try reader.integer(node, path: path, in: 1...1_000_000) }),
        ("backlog", { agi, reader, node, path throws(ConfigurationError) in agi.backlog = try reader.integer(node, path: path, in: 1...65_535) }),
        ("environment_timeout", { agi, reader, node, path throws(ConfigurationError) in agi.environmentTimeout = try reader.duration(node, path: path) }),
        ("reply_timeout", { agi, reader, node, path throws(ConfigurationError) in agi.replyTimeout = try reader.duration(node, path: path) }),
        ("drain_timeout", { agi, reader, node, path throws(ConfigurationError) in agi.drainTimeout = try reader.duration(node, path: path) }),
        ("linger_timeout", { agi, reader, node, path throws(ConfigurationError) in agi.lingerTimeout = try reader.duration(node, path: path) }),
        ("max_line_length", { agi, reader, node, path throws(ConfigurationError) in agi.maximumLineLength = try reader.integer(node, path: path, in: 1024...1_048_576) }),
        ("max_environment_keys", { agi, reader, node, path throws(ConfigurationError) in agi.maximumEnvironmentKeys = try reader.integer(node, path: path, in: 32...100_000) }),
    ])

    static let databaseKeys = ConfigurationKeys<HelplineConfiguration>([
        ("path", { configuration, reader, node, path throws(ConfigurationError) in
            configuration.databasePath = try reader.string(node, path: path)
            if configuration.databasePath.isEmpty { throw reader.error(node, "\(path) must not be empty") }
        }),
    ])

    static let logKeys = ConfigurationKeys<HelplineConfiguration>([
        ("level", { configuration, reader, node, path throws(ConfigurationError) in configuration.logLevel = try reader.logLevel(node, path: path) }),
    ])

    static let amiKeys = ConfigurationKeys<Reading>([
        ("endpoints", { reading, reader, node, path throws(ConfigurationError) in
            for (index, item) in try reader.sequence(node, path: path).enumerated() {
                let (endpoint, queueLog) = try reader.amiEndpoint(item, path: "\(path)[\(index)]", environment: reading.environment, resolveSecrets: reading.resolveSecrets)
                if reading.configuration.amiEndpoints.contains(where: { $0.name == endpoint.name }) {
                    throw reader.error(item, "\(path)[\(index)].name: '\(endpoint.name)' is used by an earlier endpoint")
                }
                reading.configuration.amiEndpoints.append(endpoint)
                if let queueLog { reading.configuration.queueLogs[endpoint.name] = queueLog }
            }
        }),
    ])

    static let controlKeys = ConfigurationKeys<HelplineConfiguration>([
        ("socket", { configuration, reader, node, path throws(ConfigurationError) in configuration.controlSocketPath = try reader.nonEmptyString(node, path: path) }),
    ])

    static let menusKeys = ConfigurationKeys<HelplineConfiguration>([
        ("folder", { configuration, reader, node, path throws(ConfigurationError) in configuration.menusFolder = try reader.nonEmptyString(node, path: path) }),
        ("sounds", { configuration, reader, node, path throws(ConfigurationError) in configuration.soundsFolder = try reader.nonEmptyString(node, path: path) }),
    ])

    static let routingKeys = ConfigurationKeys<HelplineConfiguration>([
        ("directory", { configuration, reader, node, path throws(ConfigurationError) in configuration.directoryPath = try reader.nonEmptyString(node, path: path) }),
        ("pbx", { configuration, reader, node, path throws(ConfigurationError) in configuration.defaultPBX = try reader.nonEmptyString(node, path: path) }),
    ])

    static let httpKeys = ConfigurationKeys<HTTPAPIServer.Configuration>([
        ("listen", { http, reader, node, path throws(ConfigurationError) in (http.host, http.port) = try reader.hostPort(node, path: path) }),
        ("max_body_size", { http, reader, node, path throws(ConfigurationError) in http.maxBodySize = try reader.integer(node, path: path, in: 1024...16_777_216) }),
        ("failed_auth_per_minute", { http, reader, node, path throws(ConfigurationError) in http.failedAuthenticationsPerMinute = try reader.integer(node, path: path, in: 1...10_000) }),
        ("trusted_proxies", { http, reader, node, path throws(ConfigurationError) in http.trustedProxies = try reader.peerRules(node, path: path, example: "127.0.0.1 or 10.0.0.0/8") }),
        ("tokens", { http, reader, node, path throws(ConfigurationError) in
            for (index, item) in try reader.sequence(node, path: path).enumerated() {
                let token = try reader.apiToken(item, path: "\(path)[\(index)]")
                if http.tokens.contains(where: { $0.name == token.name }) {
                    throw reader.error(item, "\(path)[\(index)].name: '\(token.name)' is used by an earlier token")
                }
                if http.tokens.contains(where: { $0.sha256 == token.sha256 }) {
                    throw reader.error(item, "\(path)[\(index)].sha256: an earlier token has the same hash; give every token its own secret")
                }
                http.tokens.append(token)
            }
        }),
        ("recordings", { http, reader, node, path throws(ConfigurationError) in http.recordingsFolder = try reader.nonEmptyString(node, path: path) }),
        ("session_lifetime", { http, reader, node, path throws(ConfigurationError) in
            http.sessionLifetime = try reader.duration(node, path: path)
            if http.sessionLifetime < .seconds(60) { throw reader.error(node, "\(path) must be at least a minute") }
        }),
    ])
}

/// The keys of one mapping of the configuration file, each with how its value is read: the
/// one place a key is named. The reader refuses any other key (naming these), and
/// ``HelplineConfiguration/keyPaths`` lists them for the documentation checks.
struct ConfigurationKeys<Target>: Sendable {
    /// Reads one key's value into the target; `path` is the key's full path.
    typealias Read = @Sendable (inout Target, ConfigurationReader, Node, _ path: String) throws(ConfigurationError) -> Void

    /// The keys in the order the documentation lists them, each with its reader.
    let entries: [(key: String, read: Read)]

    init(_ entries: [(key: String, read: Read)]) {
        self.entries = entries
    }

    /// The keys.
    var names: [String] { entries.map(\.key) }
}

extension ConfigurationReader {
    /// Reads the mapping `node` at `path` into `target` through `keys`; any other key is an
    /// error that lists the known ones.
    func read<Target>(_ node: Node, path: String, into target: inout Target, _ keys: ConfigurationKeys<Target>) throws(ConfigurationError) {
        try mapping(node, path: path) { key, value throws(ConfigurationError) in
            let full = path.isEmpty ? key : path + "." + key
            guard let entry = keys.entries.first(where: { $0.key == key }) else { throw unknownKey(value, path: full, known: keys.names) }
            try entry.read(&target, self, value, full)
        }
    }

    /// A list of IP addresses and CIDR blocks (`agi.allow`, `http.trusted_proxies`).
    func peerRules(_ node: Node, path: String, example: String) throws(ConfigurationError) -> [AGIPeerRule] {
        try sequence(node, path: path).map { item throws(ConfigurationError) in
            let text = try string(item, path: path)
            guard let rule = AGIPeerRule(text) else {
                throw error(item, "\(path): '\(text)' is not an IP address or CIDR block (like \(example))")
            }
            return rule
        }
    }
}

extension ConfigurationReader {
    static let amiKeys = [
        "name", "host", "port", "username", "secret", "secret_env", "md5_login", "events", "filters", "keepalive_interval",
        "keepalive_timeout", "action_timeout", "reconnect_max_delay", "reconciliation_interval", "queue_log",
    ]

    /// One `ami.endpoints` entry. The secret comes from `secret` or from the environment variable
    /// `secret_env` names; it is never part of an error message. Returns the endpoint and the
    /// path of its queue_log, when it names one.
    func amiEndpoint(_ node: Node, path: String, environment: [String: String], resolveSecrets: Bool) throws(ConfigurationError) -> (AMIClient.Configuration, queueLog: String?) {
        var fields: [String: Node] = [:]
        try mapping(node, path: path) { key, value throws(ConfigurationError) in
            guard Self.amiKeys.contains(key) else { throw unknownKey(value, path: path + "." + key, known: Self.amiKeys) }
            fields[key] = value
        }
        func required(_ key: String) throws(ConfigurationError) -> String {
            guard let value = fields[key] else { throw error(node, "\(path) needs '\(key)'") }
            let text = try string(value, path: path + "." + key)
            if text.isEmpty { throw error(value, "\(path).\(key) must not be empty") }
            return text
        }
        let secret: String
        switch (fields["secret"], fields["secret_env"]) {
        case (let value?, nil):
            secret = try string(value, path: path + ".secret")
        case (nil, let value?):
            let name = try string(value, path: path + ".secret_env")
            if !resolveSecrets {
                secret = ""
                break
            }
            guard let found = environment[name], !found.isEmpty else {
                throw error(value, "\(path).secret_env: the environment variable \(name) is not set or empty")
            }
            secret = found
        case (.some, .some):
            throw error(node, "\(path): give either 'secret' or 'secret_env', not both")
        case (nil, nil):
            throw error(node, "\(path) needs 'secret' or 'secret_env' (the name of an environment variable holding it)")
        }
        var configuration = AMIClient.Configuration(name: try required("name"), host: try required("host"), username: try required("username"), secret: secret)
        if let value = fields["port"] { configuration.port = try integer(value, path: path + ".port", in: 1...65_535) }
        if let value = fields["md5_login"] { configuration.md5Login = try boolean(value, path: path + ".md5_login") }
        if let value = fields["events"] { configuration.events = try string(value, path: path + ".events") }
        if let value = fields["filters"] {
            configuration.filters = try sequence(value, path: path + ".filters").map { item throws(ConfigurationError) in
                try string(item, path: path + ".filters")
            }
        }
        if let value = fields["keepalive_interval"] { configuration.keepaliveInterval = try positiveDuration(value, path: path + ".keepalive_interval") }
        if let value = fields["keepalive_timeout"] { configuration.keepaliveTimeout = try positiveDuration(value, path: path + ".keepalive_timeout") }
        if let value = fields["action_timeout"] { configuration.actionTimeout = try positiveDuration(value, path: path + ".action_timeout") }
        if let value = fields["reconnect_max_delay"] { configuration.reconnectMaximumDelay = try positiveDuration(value, path: path + ".reconnect_max_delay") }
        if let value = fields["reconciliation_interval"] {
            let interval = try duration(value, path: path + ".reconciliation_interval")
            configuration.reconciliationInterval = interval == .zero ? nil : interval
        }
        let queueLog = try fields["queue_log"].map { value throws(ConfigurationError) in try nonEmptyString(value, path: path + ".queue_log") }
        return (configuration, queueLog)
    }

    static let tokenKeys = ["name", "sha256", "role", "department", "level"]

    /// One `http.tokens` entry: a name, the SHA-256 of the token (never the token itself) and a
    /// role; an officer's also a department and a level.
    func apiToken(_ node: Node, path: String) throws(ConfigurationError) -> APIToken {
        var fields: [String: Node] = [:]
        try mapping(node, path: path) { key, value throws(ConfigurationError) in
            guard Self.tokenKeys.contains(key) else { throw unknownKey(value, path: path + "." + key, known: Self.tokenKeys) }
            fields[key] = value
        }
        func required(_ key: String) throws(ConfigurationError) -> (String, Node) {
            guard let value = fields[key] else { throw error(node, "\(path) needs '\(key)'") }
            let text = try string(value, path: path + "." + key)
            if text.isEmpty { throw error(value, "\(path).\(key) must not be empty") }
            return (text, value)
        }
        let (name, _) = try required("name")
        let (hash, hashNode) = try required("sha256")
        let (roleName, roleNode) = try required("role")
        let role: APIRole
        switch roleName {
        case "administrator", "monitor", "intake":
            for key in ["department", "level"] where fields[key] != nil {
                throw error(fields[key]!, "\(path).\(key) is for officers only; a token with the role \(roleName) sees every department")
            }
            role = roleName == "administrator" ? .administrator : roleName == "monitor" ? .monitor : .intake
        case "officer":
            let (department, _) = try required("department")
            let (levelText, levelNode) = try required("level")
            guard let level = TicketLevel(rawValue: levelText.uppercased()) else {
                throw error(levelNode, "\(path).level must be L1 or L2; not '\(levelText)'")
            }
            role = .officer(department: department, level: level)
        default:
            throw error(roleNode, "\(path).role must be administrator, monitor, officer or intake; not '\(roleName)'")
        }
        guard let token = APIToken(name: name, sha256: hash, role: role) else {
            throw error(hashNode, "\(path).sha256 must be 64 hexadecimal digits, the SHA-256 of the token (helpline tokens hash prints it); never the token itself")
        }
        return token
    }

    func positiveDuration(_ node: Node, path: String) throws(ConfigurationError) -> Duration {
        let value = try duration(node, path: path)
        if value <= .zero { throw error(node, "\(path) must be more than zero") }
        return value
    }

}

/// A configuration problem, with the place in the file it was found (1-based line and column).
public typealias ConfigurationError = YAMLProblem

/// Walks a composed YAML tree with precise errors (the reader shared by every YAML file).
typealias ConfigurationReader = YAMLReader

extension YAMLReader {
    func hostPort(_ node: Node, path: String) throws(ConfigurationError) -> (String, Int) {
        let text = try string(node, path: path)
        guard let parsed = parseHostPort(text) else {
            throw error(node, "\(path) must be HOST:PORT (like 127.0.0.1:4573 or [::1]:4573), not '\(text)'")
        }
        return parsed
    }

    func logLevel(_ node: Node, path: String) throws(ConfigurationError) -> Logger.Level {
        let text = try string(node, path: path)
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw error(node, "\(path) must be one of trace, debug, info, notice, warning, error, critical; not '\(text)'")
        }
        return level
    }
}

/// Parses `host:port`, `[v6]:port` into its parts; the port must be 0…65535.
public func parseHostPort(_ text: String) -> (String, Int)? {
    var host: Substring
    var portText: Substring
    if text.hasPrefix("[") {
        guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
        host = text[text.index(after: text.startIndex)..<close]
        portText = text[text.index(close, offsetBy: 2)...]
    } else {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        host = text[..<colon]
        portText = text[text.index(after: colon)...]
        if host.contains(":") { return nil }  // bare IPv6 needs brackets
    }
    guard !host.isEmpty, let port = Int(portText), (0...65_535).contains(port) else { return nil }
    return (String(host), port)
}
