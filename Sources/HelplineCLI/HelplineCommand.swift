import AMIClient
import ArgumentParser
import Foundation
import HTTPAPI
import HelplineDomain
import HelplineApp
import Logging
import Metrics
import Prometheus
import YAMLSupport

/// `helpline`: the helpline daemon and its administration commands.
@main
struct HelplineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "helpline",
        abstract: "The software side of a public grievance helpline on Asterisk.",
        version: HelplineDaemon.version,
        subcommands: [Serve.self, Config.self, Queues.self, Db.self, Tickets.self, Outbox.self, Campaigns.self, RoutingCommand.self, Menus.self, QueueLogCommand.self, Call.self, Prompts.self, Demo.self, Tokens.self, Users.self])
}

/// `helpline config`: configuration tools for administrators.
struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with the configuration file.",
        subcommands: [Check.self])

    /// `helpline config check FILE`: validates a configuration file without starting anything.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a configuration file; print what it sets, or each problem as FILE:LINE:COLUMN.",
            discussion: "Exit status 0 when the file is valid, 78 when it is not, 64 when it cannot be read.")

        @Argument(help: ArgumentHelp("The YAML configuration file.", valueName: "file"))
        var file: String

        func run() async throws {
            let configuration = try loadConfiguration(file)
            let agi = configuration.agi
            print("""
                \(file): ok
                  agi.listen       \(agi.host.contains(":") ? "[\(agi.host)]" : agi.host):\(agi.port)
                  agi.allow        \(agi.allowList.map(\.description).joined(separator: ", "))
                  agi.max_sessions \(agi.maximumSessions)
                  database.path    \(configuration.databasePath)
                  log.level        \(configuration.logLevel)
                  control.socket   \(configuration.controlSocketPath)
                  http.listen      \(configuration.http.host.contains(":") ? "[\(configuration.http.host)]" : configuration.http.host):\(configuration.http.port)
                """)
            let notifications = configuration.notifications
            // Header values (secrets among them) are never printed, only their names.
            print("  notifications    sms \(notifications.sms.map { "\($0.method) \($0.url)\($0.headers.isEmpty ? "" : " (headers \($0.headers.map(\.name).joined(separator: ", ")))")" } ?? "off (no SMS is queued)")")
            if !notifications.webhooks.isEmpty {
                print("  notifications    webhooks \(notifications.webhooks.keys.sorted().joined(separator: ", "))")
            }
            for token in configuration.http.tokens {
                // The name and role only: the hash stays in the file.
                print("  http.token       \(token.name) (\(token.role))")
            }
            for endpoint in configuration.amiEndpoints {
                // The secret is never printed.
                print("  ami.endpoint     \(endpoint.name) \(endpoint.username)@\(endpoint.host):\(endpoint.port) (\(endpoint.md5Login ? "MD5 login" : "plain login"), events \(endpoint.events))")
                if let queueLog = configuration.queueLogs[endpoint.name] { print("  ami.queue_log    \(endpoint.name) follows \(queueLog)") }
            }
            for note in configuration.outbound?.notes ?? [] { print("note: \(note)") }
        }
    }
}

/// Reads and validates a configuration file; exits 64 (unreadable) or 78 (invalid) with a
/// precise message on standard error.
func loadConfiguration(_ path: String, resolveSecrets: Bool = true) throws -> HelplineConfiguration {
    let text: String
    do {
        text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
        throw ValidationError("cannot read the configuration file '\(path)': \(error.localizedDescription)")
    }
    do {
        return try HelplineConfiguration(yaml: text, file: path, resolveSecrets: resolveSecrets)
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(78)  // EX_CONFIG
    }
}

/// `helpline serve`: runs the daemon.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon: the FastAGI server and the services behind it.",
        discussion: """
            With no --config the embedded defaults apply: FastAGI on 127.0.0.1:4573 for loopback \
            peers, the HTTP API on 127.0.0.1:8080, database helpline.sqlite in the working directory, \
            log level info. Flags override \
            the file. SIGTERM or SIGINT stops accepting calls and lets running sessions finish.
            """)

    @Option(name: .long, help: ArgumentHelp("YAML configuration file (see deploy/helpline.yaml).", valueName: "file"))
    var config: String?

    @Option(name: .customLong("agi-listen"), help: ArgumentHelp("Address for FastAGI, HOST:PORT (default 127.0.0.1:4573).", valueName: "host:port"))
    var agiListen: String?

    @Option(name: .customLong("http-listen"), help: ArgumentHelp("Address for the HTTP API, HOST:PORT (default 127.0.0.1:8080).", valueName: "host:port"))
    var httpListen: String?

    @Option(name: .long, help: ArgumentHelp("SQLite database file (default helpline.sqlite).", valueName: "path"))
    var database: String?

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace, debug, info, notice, warning, error or critical (default info).", valueName: "level"))
    var logLevel: String?

    func validate() throws {
        if let agiListen, parseHostPort(agiListen) == nil {
            throw ValidationError("--agi-listen must be HOST:PORT (like 127.0.0.1:4573 or [::1]:4573), not '\(agiListen)'")
        }
        if let httpListen, parseHostPort(httpListen) == nil {
            throw ValidationError("--http-listen must be HOST:PORT (like 127.0.0.1:8080 or [::1]:8080), not '\(httpListen)'")
        }
        if let logLevel, Logger.Level(rawValue: logLevel.lowercased()) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical; not '\(logLevel)'")
        }
        if let database, database.isEmpty {
            throw ValidationError("--database must not be empty")
        }
    }

    func run() async throws {
        var configuration = HelplineConfiguration()
        if let config { configuration = try loadConfiguration(config) }
        if let agiListen, let (host, port) = parseHostPort(agiListen) {
            configuration.agi.host = host
            configuration.agi.port = port
        }
        if let httpListen, let (host, port) = parseHostPort(httpListen) {
            configuration.http.host = host
            configuration.http.port = port
        }
        if let database { configuration.databasePath = database }
        if let logLevel, let level = Logger.Level(rawValue: logLevel.lowercased()) { configuration.logLevel = level }

        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        // Every metric of the process (FastAGI, AMI, HTTP) goes to this registry; /metrics shows it.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "helpline")
        let daemon: HelplineDaemon
        do {
            daemon = try HelplineDaemon(configuration: configuration, metrics: registry, logger: logger)
        } catch let error as YAMLProblems {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            logger.critical("Helpline cannot start: the call flows or the routing directory have problems (fix them, check with helpline menus check and helpline routing check)")
            throw ExitCode(78)  // EX_CONFIG
        } catch {
            logger.critical("Helpline cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(73)  // EX_CANTCREAT
        }
        try await daemon.run()
    }
}

/// `helpline queues`: the live queue and seat state of a running daemon.
struct Queues: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the live state of every queue and seat, from the running daemon.",
        discussion: """
            Asks the daemon over its control socket (control.socket in the configuration, default \
            helpline.sock in the daemon's working directory). A PBX whose AMI link is down is shown as \
            STALE with the time it went down; its figures are the last known ones.
            """)

    @OptionGroup var control: ControlSocketOptions

    @Flag(name: .long, help: "Print the daemon's JSON instead of the table.")
    var json = false

    func run() async throws {
        let reply = try await control.request("queues")
        if json {
            print(reply, terminator: reply.hasSuffix("\n") ? "" : "\n")
            return
        }
        guard let report = try? JSONDecoder().decode(QueuesReport.self, from: Data(reply.utf8)) else {
            FileHandle.standardError.write(Data("error: the daemon answered: \(reply)\n".utf8))
            throw ExitCode(70)  // EX_SOFTWARE
        }
        print(report.render(now: Date().timeIntervalSince1970), terminator: "")
    }
}

/// How the administration commands reach a running daemon: its control socket.
struct ControlSocketOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The daemon's control socket (default: control.socket from --config, else helpline.sock).", valueName: "path"))
    var socket: String?

    @Option(name: .long, help: ArgumentHelp("The daemon's YAML configuration, to find its control socket.", valueName: "file"))
    var config: String?

    /// Sends one command line and returns the daemon's answer; exits 69 when it cannot be reached.
    func request(_ command: String) async throws -> String {
        var path = socket ?? "helpline.sock"
        if socket == nil, let config { path = try loadConfiguration(config, resolveSecrets: false).controlSocketPath }
        do {
            return try await ControlServer.request(command, socketPath: path)
        } catch {
            FileHandle.standardError.write(Data("error: cannot reach the helpline daemon at \(path): \(error). Is `helpline serve` running, and is this its control socket?\n".utf8))
            throw ExitCode(69)  // EX_UNAVAILABLE
        }
    }
}

/// `helpline tokens`: bearer tokens for the HTTP API.
struct Tokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make bearer tokens for the HTTP API.",
        subcommands: [Hash.self, New.self])

    /// `helpline tokens hash`: the SHA-256 of a token read from standard input.
    struct Hash: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the SHA-256 of a token read from standard input (for http.tokens[].sha256).",
            discussion: "Reads one line; a trailing line break is not part of the token. Example: printf %s \"$TOKEN\" | helpline tokens hash")

        func run() async throws {
            let input = FileHandle.standardInput.readDataToEndOfFile()
            var token = String(decoding: input, as: UTF8.self)
            while token.hasSuffix("\n") || token.hasSuffix("\r") { token.removeLast() }
            guard !token.isEmpty else { throw ValidationError("no token on standard input") }
            print(APIToken.hash(token))
        }
    }

    /// `helpline tokens new`: a random token and its hash.
    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a random token (32 bytes, URL-safe base64) and print it with its SHA-256.",
            discussion: "Give the token to its user; put only the hash in the configuration.")

        func run() async throws {
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            let token = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            print("token:  \(token)")
            print("sha256: \(APIToken.hash(token))")
        }
    }
}
