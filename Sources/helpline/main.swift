import ArgumentParser
import Foundation
import Helpline
import Logging

/// `helpline`: the helpline daemon and its administration commands.
@main
struct HelplineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "helpline",
        abstract: "The software side of a public grievance helpline on Asterisk.",
        version: HelplineDaemon.version,
        subcommands: [Serve.self])
}

/// `helpline serve`: runs the daemon.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon: the FastAGI server and the services behind it.",
        discussion: """
            With no --config the embedded defaults apply: FastAGI on 127.0.0.1:4573 for loopback \
            peers, database helpline.sqlite in the working directory, log level info. Flags override \
            the file. SIGTERM or SIGINT stops accepting calls and lets running sessions finish.
            """)

    @Option(name: .long, help: ArgumentHelp("YAML configuration file (see deploy/helpline.yaml).", valueName: "file"))
    var config: String?

    @Option(name: .customLong("agi-listen"), help: ArgumentHelp("Address for FastAGI, HOST:PORT (default 127.0.0.1:4573).", valueName: "host:port"))
    var agiListen: String?

    @Option(name: .long, help: ArgumentHelp("SQLite database file (default helpline.sqlite).", valueName: "path"))
    var database: String?

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace, debug, info, notice, warning, error or critical (default info).", valueName: "level"))
    var logLevel: String?

    func validate() throws {
        if let agiListen, parseHostPort(agiListen) == nil {
            throw ValidationError("--agi-listen must be HOST:PORT (like 127.0.0.1:4573 or [::1]:4573), not '\(agiListen)'")
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
        if let config {
            let text: String
            do {
                text = try String(contentsOfFile: config, encoding: .utf8)
            } catch {
                throw ValidationError("cannot read the configuration file '\(config)': \(error.localizedDescription)")
            }
            do {
                configuration = try HelplineConfiguration(yaml: text, file: config)
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(78)  // EX_CONFIG
            }
        }
        if let agiListen, let (host, port) = parseHostPort(agiListen) {
            configuration.agi.host = host
            configuration.agi.port = port
        }
        if let database { configuration.databasePath = database }
        if let logLevel, let level = Logger.Level(rawValue: logLevel.lowercased()) { configuration.logLevel = level }

        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "helpline")
        let daemon: HelplineDaemon
        do {
            daemon = try HelplineDaemon(configuration: configuration, logger: logger)
        } catch {
            logger.critical("Helpline cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(73)  // EX_CANTCREAT
        }
        try await daemon.run()
    }
}
