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
        let environment = environment ?? ProcessInfo.processInfo.environment
        let reader = ConfigurationReader(file: file)
        guard let root = try reader.compose(yaml) else { return }  // an empty file: all defaults
        var outboundNode: Node?
        try reader.mapping(root, path: "") { key, value throws(ConfigurationError) in
            switch key {
            case "agi":
                try reader.mapping(value, path: "agi") { key, value throws(ConfigurationError) in
                    let path = "agi." + key
                    switch key {
                    case "listen":
                        let (host, port) = try reader.hostPort(value, path: path)
                        agi.host = host
                        agi.port = port
                    case "allow":
                        agi.allowList = try reader.sequence(value, path: path).map { item throws(ConfigurationError) in
                            let text = try reader.string(item, path: path)
                            guard let rule = AGIPeerRule(text) else {
                                throw reader.error(item, "\(path): '\(text)' is not an IP address or CIDR block (like 10.20.0.0/16)")
                            }
                            return rule
                        }
                    case "max_sessions": agi.maximumSessions = try reader.integer(value, path: path, in: 1...1_000_000)
                    case "backlog": agi.backlog = try reader.integer(value, path: path, in: 1...65_535)
                    case "environment_timeout": agi.environmentTimeout = try reader.duration(value, path: path)
                    case "reply_timeout": agi.replyTimeout = try reader.duration(value, path: path)
                    case "drain_timeout": agi.drainTimeout = try reader.duration(value, path: path)
                    case "linger_timeout": agi.lingerTimeout = try reader.duration(value, path: path)
                    case "max_line_length": agi.maximumLineLength = try reader.integer(value, path: path, in: 1024...1_048_576)
                    case "max_environment_keys": agi.maximumEnvironmentKeys = try reader.integer(value, path: path, in: 32...100_000)
                    default:
                        throw reader.unknownKey(value, path: path, known: ["listen", "allow", "max_sessions", "backlog", "environment_timeout", "reply_timeout", "drain_timeout", "linger_timeout", "max_line_length", "max_environment_keys"])
                    }
                }
            case "database":
                try reader.mapping(value, path: "database") { key, value throws(ConfigurationError) in
                    switch key {
                    case "path":
                        databasePath = try reader.string(value, path: "database.path")
                        if databasePath.isEmpty { throw reader.error(value, "database.path must not be empty") }
                    default:
                        throw reader.unknownKey(value, path: "database." + key, known: ["path"])
                    }
                }
            case "log":
                try reader.mapping(value, path: "log") { key, value throws(ConfigurationError) in
                    switch key {
                    case "level": logLevel = try reader.logLevel(value, path: "log.level")
                    default: throw reader.unknownKey(value, path: "log." + key, known: ["level"])
                    }
                }
            case "ami":
                try reader.mapping(value, path: "ami") { key, value throws(ConfigurationError) in
                    switch key {
                    case "endpoints":
                        for (index, item) in try reader.sequence(value, path: "ami.endpoints").enumerated() {
                            let endpoint = try reader.amiEndpoint(item, path: "ami.endpoints[\(index)]", environment: environment, resolveSecrets: resolveSecrets)
                            if amiEndpoints.contains(where: { $0.name == endpoint.name }) {
                                throw reader.error(item, "ami.endpoints[\(index)].name: '\(endpoint.name)' is used by an earlier endpoint")
                            }
                            amiEndpoints.append(endpoint)
                        }
                    default:
                        throw reader.unknownKey(value, path: "ami." + key, known: ["endpoints"])
                    }
                }
            case "control":
                try reader.mapping(value, path: "control") { key, value throws(ConfigurationError) in
                    switch key {
                    case "socket": controlSocketPath = try reader.nonEmptyString(value, path: "control.socket")
                    default: throw reader.unknownKey(value, path: "control." + key, known: ["socket"])
                    }
                }
            case "menus":
                try reader.mapping(value, path: "menus") { key, value throws(ConfigurationError) in
                    switch key {
                    case "folder": menusFolder = try reader.nonEmptyString(value, path: "menus.folder")
                    case "sounds": soundsFolder = try reader.nonEmptyString(value, path: "menus.sounds")
                    default: throw reader.unknownKey(value, path: "menus." + key, known: ["folder", "sounds"])
                    }
                }
            case "routing":
                try reader.mapping(value, path: "routing") { key, value throws(ConfigurationError) in
                    switch key {
                    case "directory": directoryPath = try reader.nonEmptyString(value, path: "routing.directory")
                    case "pbx": defaultPBX = try reader.nonEmptyString(value, path: "routing.pbx")
                    default: throw reader.unknownKey(value, path: "routing." + key, known: ["directory", "pbx"])
                    }
                }
            case "notifications":
                notifications = try reader.notifications(value, environment: environment, resolveSecrets: resolveSecrets)
            case "http":
                try reader.mapping(value, path: "http") { key, value throws(ConfigurationError) in
                    let path = "http." + key
                    switch key {
                    case "listen":
                        let (host, port) = try reader.hostPort(value, path: path)
                        http.host = host
                        http.port = port
                    case "max_body_size": http.maxBodySize = try reader.integer(value, path: path, in: 1024...16_777_216)
                    case "failed_auth_per_minute": http.failedAuthenticationsPerMinute = try reader.integer(value, path: path, in: 1...10_000)
                    case "trusted_proxies":
                        http.trustedProxies = try reader.sequence(value, path: path).map { item throws(ConfigurationError) in
                            let text = try reader.string(item, path: path)
                            guard let rule = AGIPeerRule(text) else {
                                throw reader.error(item, "\(path): '\(text)' is not an IP address or CIDR block (like 127.0.0.1 or 10.0.0.0/8)")
                            }
                            return rule
                        }
                    case "tokens":
                        for (index, item) in try reader.sequence(value, path: path).enumerated() {
                            let token = try reader.apiToken(item, path: "http.tokens[\(index)]")
                            if http.tokens.contains(where: { $0.name == token.name }) {
                                throw reader.error(item, "http.tokens[\(index)].name: '\(token.name)' is used by an earlier token")
                            }
                            if http.tokens.contains(where: { $0.sha256 == token.sha256 }) {
                                throw reader.error(item, "http.tokens[\(index)].sha256: an earlier token has the same hash; give every token its own secret")
                            }
                            http.tokens.append(token)
                        }
                    case "recordings": http.recordingsFolder = try reader.nonEmptyString(value, path: path)
                    case "session_lifetime":
                        http.sessionLifetime = try reader.duration(value, path: path)
                        if http.sessionLifetime < .seconds(60) { throw reader.error(value, "\(path) must be at least a minute") }
                    default:
                        throw reader.unknownKey(
                            value, path: path,
                            known: ["listen", "max_body_size", "failed_auth_per_minute", "trusted_proxies", "tokens", "recordings", "session_lifetime"])
                    }
                }
            case "outbound":
                outbound = try reader.outbound(value)
                outboundNode = value
            default:
                throw reader.unknownKey(value, path: key, known: ["agi", "database", "log", "ami", "control", "menus", "routing", "notifications", "http", "outbound"])
            }
        }
        if let outbound, let outboundNode {
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
}

extension ConfigurationReader {
    static let amiKeys = [
        "name", "host", "port", "username", "secret", "secret_env", "md5_login", "events", "filters", "keepalive_interval",
        "keepalive_timeout", "action_timeout", "reconnect_max_delay", "reconciliation_interval",
    ]

    /// One `ami.endpoints` entry. The secret comes from `secret` or from the environment variable
    /// `secret_env` names; it is never part of an error message.
    func amiEndpoint(_ node: Node, path: String, environment: [String: String], resolveSecrets: Bool) throws(ConfigurationError) -> AMIClient.Configuration {
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
        return configuration
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
