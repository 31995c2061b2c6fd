import AGIServer
import Foundation
import HTTPAPI
import HelplineDomain
import IVR
import Testing

@testable import HelplineApp

@Suite struct ConfigurationTests {
    @Test func noFileAndAnEmptyFileMeanTheDocumentedDefaults() throws {
        for configuration in [HelplineConfiguration(), try HelplineConfiguration(yaml: "", file: "empty.yaml"), try HelplineConfiguration(yaml: "# only a comment\n", file: "c.yaml")] {
            #expect(configuration.agi.host == "127.0.0.1")
            #expect(configuration.agi.port == 4573)
            #expect(configuration.agi.allowList == AGIPeerRule.loopback)
            #expect(configuration.agi.maximumSessions == 4000)
            #expect(configuration.agi.environmentTimeout == .seconds(5))
            #expect(configuration.agi.replyTimeout == .seconds(120))
            #expect(configuration.agi.drainTimeout == .seconds(30))
            #expect(configuration.databasePath == "helpline.sqlite")
            #expect(configuration.logLevel == .info)
            #expect(configuration.http.host == "127.0.0.1")
            #expect(configuration.http.port == 8080)
            #expect(configuration.http.tokens.isEmpty)
            #expect(configuration.http.maxBodySize == 65_536)
            #expect(configuration.http.failedAuthenticationsPerMinute == 10)
            #expect(configuration.http.trustedProxies == AGIPeerRule.loopback)
            #expect(configuration.http.sessionLifetime == .seconds(8 * 3600))
            #expect(configuration.http.recordingsFolder == nil)
            #expect(configuration.http.soundsFolder == "/var/lib/asterisk/sounds")
        }
    }

    /// The desk plays a recording only from `http.recordings`: the sample's folder must hold
    /// what the shipped menus record (relative to Asterisk's sounds folder).
    @Test func theSampleRecordingsFolderHoldsWhatTheShippedMenusRecord() throws {
        let (url, configuration) = try Self.shippedSample(secret: "x")
        let recordings = try #require(configuration.http.recordingsFolder)
        let sounds = configuration.soundsFolder ?? configuration.http.soundsFolder
        let library = try MenuLibrary.load(folder: url.appendingPathComponent("menus").path)
        var folders: [String] = []
        for menu in library.menus.values {
            for node in menu.nodes.values {
                if case .record(let record) = node.kind { folders.append(record.folder) }
            }
        }
        #expect(!folders.isEmpty)
        for folder in folders {
            let absolute = folder.hasPrefix("/") ? folder : sounds + "/" + folder
            #expect(absolute == recordings || absolute.hasPrefix(recordings + "/"), "\(folder) is outside http.recordings (\(recordings))")
        }
    }

    /// The repository's folder and `deploy/helpline.yaml` read with `secret` as the AMI secret.
    static func shippedSample(secret: String) throws -> (repository: URL, configuration: HelplineConfiguration) {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let path = url.appendingPathComponent("deploy/helpline.yaml").path
        let configuration = try HelplineConfiguration(
            yaml: String(contentsOfFile: path, encoding: .utf8), file: path, environment: ["HELPLINE_AMI_SECRET": secret])
        return (url, configuration)
    }

    @Test func readsTheShippedSample() throws {
        let (_, configuration) = try Self.shippedSample(secret: "from-the-environment")
        #expect(configuration.amiEndpoints.count == 1)
        let endpoint = try #require(configuration.amiEndpoints.first)
        #expect(endpoint.name == "pbx1")
        #expect(endpoint.host == "10.20.0.11")
        #expect(endpoint.port == 5038)
        #expect(endpoint.secret == "from-the-environment")
        #expect(endpoint.md5Login)
        #expect(endpoint.keepaliveTimeout == .seconds(5))
        #expect(endpoint.reconciliationInterval == .seconds(300))
        #expect(configuration.controlSocketPath == "/run/helpline/control.sock")
        #expect(configuration.agi.host == "0.0.0.0")
        #expect(configuration.agi.port == 4573)
        #expect(configuration.agi.allowList.map(\.description) == ["10.20.0.11", "10.20.0.12", "127.0.0.1"])
        #expect(configuration.databasePath == "/var/lib/helpline/helpline.sqlite")
        let sms = try #require(configuration.notifications.sms)
        #expect(sms.url == "https://sms.example.net/api/v1/messages")
        #expect(sms.message(language: "vi", ticket: "1000002") == "Tổng đài 1022 thông báo, kiến nghị của ông (bà) đã được giải quyết. Xin cảm ơn!")
        #expect(sms.delivery == DeliveryPolicy(), "the sample spells out the defaults")
        #expect(configuration.notifications.webhooks.keys.sorted() == ["water"])
        #expect(configuration.http.host == "127.0.0.1")
        #expect(configuration.http.port == 8080)
        #expect(configuration.http.tokens.map(\.name) == ["monitoring-team", "desk-water-lucknow", "web-portal"])
        #expect(configuration.http.tokens.map(\.role) == [.monitor, .officer(department: "water", level: .l1), .intake])
    }

    @Test func readsTheHTTPSection() throws {
        let hash = APIToken.hash("s3cret")
        let yaml = """
            http:
              listen: "[::1]:9090"
              max_body_size: 4096
              failed_auth_per_minute: 3
              trusted_proxies: [10.0.0.5]
              recordings: /var/lib/asterisk/sounds/helpline/recordings
              session_lifetime: 12h
              tokens:
                - {name: admin, sha256: \(hash), role: administrator}
                - {name: desk, sha256: \(hash.uppercased().replacingOccurrences(of: "A", with: "B")), role: officer, department: water, level: l2}
            """
        let configuration = try HelplineConfiguration(yaml: yaml, file: "h.yaml")
        #expect(configuration.http.host == "::1")
        #expect(configuration.http.port == 9090)
        #expect(configuration.http.maxBodySize == 4096)
        #expect(configuration.http.failedAuthenticationsPerMinute == 3)
        #expect(configuration.http.trustedProxies.map(\.description) == ["10.0.0.5"])
        #expect(configuration.http.tokens.first?.sha256 == APIToken(name: "x", secret: "s3cret", role: .monitor).sha256)
        #expect(configuration.http.tokens.last?.role == .officer(department: "water", level: .l2))
        #expect(configuration.http.recordingsFolder == "/var/lib/asterisk/sounds/helpline/recordings")
        #expect(configuration.http.sessionLifetime == .seconds(12 * 3600))
    }

    @Test func readsEveryKey() throws {
        let yaml = """
            agi:
              listen: "[::1]:5000"
              allow: ["10.0.0.0/8", "::1"]
              max_sessions: 10
              backlog: 128
              environment_timeout: 250ms
              reply_timeout: 2m
              drain_timeout: 1.5
              linger_timeout: 3s
              max_line_length: 4096
              max_environment_keys: 64
            database:
              path: /tmp/x.sqlite
            log:
              level: DEBUG
            """
        let configuration = try HelplineConfiguration(yaml: yaml, file: "all.yaml")
        #expect(configuration.agi.host == "::1")
        #expect(configuration.agi.port == 5000)
        #expect(configuration.agi.allowList.map(\.description) == ["10.0.0.0/8", "::1"])
        #expect(configuration.agi.maximumSessions == 10)
        #expect(configuration.agi.backlog == 128)
        #expect(configuration.agi.environmentTimeout == .milliseconds(250))
        #expect(configuration.agi.replyTimeout == .seconds(120))
        #expect(configuration.agi.drainTimeout == .milliseconds(1500))
        #expect(configuration.agi.lingerTimeout == .seconds(3))
        #expect(configuration.agi.maximumLineLength == 4096)
        #expect(configuration.agi.maximumEnvironmentKeys == 64)
        #expect(configuration.databasePath == "/tmp/x.sqlite")
        #expect(configuration.logLevel == .debug)
    }

    @Test(arguments: [
        ("agi:\n  lisen: 1.2.3.4:1\n", "bad.yaml:2:3: unknown key 'agi.lisen'; expected one of: listen"),
        ("agi:\n  listen: nowhere\n", "bad.yaml:2:11: agi.listen must be HOST:PORT"),
        ("agi:\n  listen: 1.2.3.4:70000\n", "bad.yaml:2:11: agi.listen must be HOST:PORT"),
        ("agi:\n  allow: [10.0.0.0/33]\n", "bad.yaml:2:11: agi.allow: '10.0.0.0/33' is not an IP address or CIDR block"),
        ("agi:\n  max_sessions: many\n", "bad.yaml:2:17: agi.max_sessions must be a whole number, not 'many'"),
        ("agi:\n  max_sessions: 0\n", "bad.yaml:2:17: agi.max_sessions must be between 1 and 1000000, not 0"),
        ("agi:\n  reply_timeout: soon\n", "bad.yaml:2:18: agi.reply_timeout must be a duration"),
        ("agi:\n  reply_timeout: -5s\n", "bad.yaml:2:18: agi.reply_timeout must be a duration"),
        ("agi: 4573\n", "bad.yaml:1:6: agi must be a mapping of keys to values"),
        ("agi:\n  listen: [a, b]\n", "bad.yaml:2:11: agi.listen must be a single value"),
        ("database:\n  path: \"\"\n", "bad.yaml:2:9: database.path must not be empty"),
        ("log:\n  level: loud\n", "bad.yaml:2:10: log.level must be one of trace"),
        ("agi:\n  listen: [unclosed\n", "bad.yaml:3:1: YAML error"),
        ("amy: {}\n", "bad.yaml:1:1: unknown key 'amy'; expected one of: agi, database, log, ami, control"),
        ("ami:\n  endpoints:\n    - name: a\n      host: h\n      username: u\n", "bad.yaml:3:7: ami.endpoints[0] needs 'secret' or 'secret_env'"),
        ("ami:\n  endpoints:\n    - {name: a, host: h, username: u, secret_env: NOT_SET_ANYWHERE}\n",
         "bad.yaml:3:51: ami.endpoints[0].secret_env: the environment variable NOT_SET_ANYWHERE is not set or empty"),
        ("ami:\n  endpoints:\n    - {name: a, host: h, username: u, secret: x, secret_env: Y}\n", "bad.yaml:3:7: ami.endpoints[0]: give either 'secret' or 'secret_env'"),
        ("ami:\n  endpoints:\n    - {name: a, host: h, secret: x}\n", "bad.yaml:3:7: ami.endpoints[0] needs 'username'"),
        ("ami:\n  endpoints:\n    - {name: a, host: h, username: u, secret: x, port: 0}\n", "bad.yaml:3:56: ami.endpoints[0].port must be between 1 and 65535"),
        ("ami:\n  endpoints:\n    - {name: a, host: h, username: u, secret: x, md5_login: maybe}\n", "bad.yaml:3:61: ami.endpoints[0].md5_login must be true or false"),
        ("ami:\n  endpoints:\n    - {name: a, host: h, username: u, secret: x, keepalive: 1}\n", "bad.yaml:3:50: unknown key 'ami.endpoints[0].keepalive'"),
        ("ami:\n  endpoints:\n    - {name: a, host: h, username: u, secret: x}\n    - {name: a, host: h2, username: u, secret: x}\n",
         "bad.yaml:4:7: ami.endpoints[1].name: 'a' is used by an earlier endpoint"),
        ("control:\n  socket: \"\"\n", "bad.yaml:2:11: control.socket must not be empty"),
        ("- a\n- b\n", "bad.yaml:1:1: the top level must be a mapping"),
        ("http:\n  listen: 8080\n", "bad.yaml:2:11: http.listen must be HOST:PORT"),
        ("http:\n  max_body_size: 10\n", "bad.yaml:2:18: http.max_body_size must be between 1024 and 16777216"),
        ("http:\n  trusted_proxies: [nginx]\n", "bad.yaml:2:21: http.trusted_proxies: 'nginx' is not an IP address or CIDR block"),
        ("http:\n  tokens:\n    - {name: a, sha256: abc, role: monitor}\n", "bad.yaml:3:25: http.tokens[0].sha256 must be 64 hexadecimal digits"),
        ("http:\n  tokens:\n    - {name: a, sha256: \(String(repeating: "0", count: 64)), role: root}\n", "bad.yaml:3:97: http.tokens[0].role must be administrator, monitor, officer or intake"),
        ("http:\n  tokens:\n    - {name: a, sha256: \(String(repeating: "0", count: 64)), role: officer, level: L1}\n", "bad.yaml:3:7: http.tokens[0] needs 'department'"),
        ("http:\n  tokens:\n    - {name: a, sha256: \(String(repeating: "0", count: 64)), role: officer, department: water, level: L3}\n", "bad.yaml:3:132: http.tokens[0].level must be L1 or L2"),
        ("http:\n  tokens:\n    - {name: a, sha256: \(String(repeating: "0", count: 64)), role: monitor, department: water}\n", "bad.yaml:3:118: http.tokens[0].department is for officers only"),
        ("http:\n  tokens:\n    - {name: a, sha256: \(String(repeating: "0", count: 64)), role: monitor}\n    - {name: a, sha256: \(String(repeating: "1", count: 64)), role: monitor}\n",
         "bad.yaml:4:7: http.tokens[1].name: 'a' is used by an earlier token"),
        ("http:\n  tokens:\n    - {name: a, sha256: \(String(repeating: "0", count: 64)), role: monitor}\n    - {name: b, sha256: \(String(repeating: "0", count: 64)), role: monitor}\n",
         "bad.yaml:4:7: http.tokens[1].sha256: an earlier token has the same hash"),
        ("http:\n  token: []\n", "bad.yaml:2:3: unknown key 'http.token'"),
        ("http:\n  session_lifetime: 10s\n", "bad.yaml:2:21: http.session_lifetime must be at least a minute"),
        ("http:\n  recordings: \"\"\n", "bad.yaml:2:15: http.recordings must not be empty"),
    ])
    func reportsEachProblemWithItsPlace(yaml: String, expected: String) {
        do {
            _ = try HelplineConfiguration(yaml: yaml, file: "bad.yaml")
            Issue.record("accepted \(yaml)")
        } catch {
            #expect(error.description.hasPrefix(expected), "\(error.description)")
        }
    }

    @Test func amiDefaultsAndAPlainSecret() throws {
        let yaml = "ami:\n  endpoints:\n    - {name: pbx2, host: 10.0.0.9, username: helpline, secret: plain, md5_login: false, filters: [\"!Event: VarSet\"], reconciliation_interval: 0}\n"
        let configuration = try HelplineConfiguration(yaml: yaml, file: "a.yaml", environment: [:])
        let endpoint = try #require(configuration.amiEndpoints.first)
        #expect(endpoint.port == 5038)
        #expect(endpoint.secret == "plain")
        #expect(!endpoint.md5Login)
        #expect(endpoint.events == "system,call,agent")
        #expect(endpoint.filters == ["!Event: VarSet"])
        #expect(endpoint.reconciliationInterval == nil)
        #expect(endpoint.keepaliveInterval == .seconds(10))
        #expect(configuration.controlSocketPath == "helpline.sock")
    }

    @Test func aSecretNeverAppearsInAnError() {
        let yaml = "ami:\n  endpoints:\n    - {name: a, host: h, username: u, secret: hunter2, port: x}\n"
        do {
            _ = try HelplineConfiguration(yaml: yaml, file: "s.yaml", environment: [:])
            Issue.record("accepted")
        } catch {
            #expect(!error.description.contains("hunter2"))
            #expect(error.description.contains("port"))
        }
    }

    @Test(arguments: [
        ("127.0.0.1:4573", "127.0.0.1", 4573), ("0.0.0.0:0", "0.0.0.0", 0), ("[::1]:4573", "::1", 4573),
        ("helpline.example:4573", "helpline.example", 4573),
    ])
    func parsesHostAndPort(text: String, host: String, port: Int) throws {
        let parsed = try #require(parseHostPort(text))
        #expect(parsed.0 == host)
        #expect(parsed.1 == port)
    }

    @Test(arguments: ["4573", "::1:4573", "host:", ":4573", "host:port", "[::1]4573", "host:-1"])
    func refusesBadHostAndPort(text: String) {
        #expect(parseHostPort(text) == nil)
    }
}
