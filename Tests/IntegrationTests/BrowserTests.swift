import Foundation
import HTTPAPI
import HelplineDomain
import Store
import Testing

extension Integration {
    /// A real browser against a running daemon: headless Chromium opens the dashboard and the
    /// desk of `helpline serve` over a seeded database, signs in as people do, plays nothing
    /// but loads the recording, resolves a complaint through the form, and the database is
    /// checked afterwards.
    ///
    /// Needs Chromium (Debian's `chromium` package; `.ci/run` installs it; another binary can be
    /// named in `HELPLINE_CHROMIUM`). Without one the test fails: it is not skipped. Screenshots
    /// go to `HELPLINE_TEST_ARTEFACTS` when set, else `.build/test-artefacts/browser/`, with the
    /// browser's own log.
    @Suite(.serialized) struct BrowserTests {
        static let monitorToken = "browser-monitor-\(UUID().uuidString)"
        static let officerToken = "browser-water-\(UUID().uuidString)"

        /// Where the screenshots go.
        static var artefacts: URL {
            if let folder = ProcessInfo.processInfo.environment["HELPLINE_TEST_ARTEFACTS"], !folder.isEmpty {
                return URL(fileURLWithPath: folder).appendingPathComponent("browser")
            }
            var url = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { url.deleteLastPathComponent() }
            return url.appendingPathComponent(".build/test-artefacts/browser")
        }

        static var repository: URL {
            var url = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { url.deleteLastPathComponent() }
            return url
        }

        /// Half a second of silence as a WAV file (8 kHz, 16-bit, mono).
        static func silence() -> Data {
            let samples = 4000
            var data = Data()
            func put(_ text: String) { data.append(contentsOf: Array(text.utf8)) }
            func put32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
            func put16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
            put("RIFF"); put32(UInt32(36 + samples * 2)); put("WAVE")
            put("fmt "); put32(16); put16(1); put16(1); put32(8000); put32(16000); put16(2); put16(16)
            put("data"); put32(UInt32(samples * 2))
            data.append(Data(count: samples * 2))
            return data
        }

        @Test func anOfficerResolvesAComplaintInARealBrowser() async throws {
            let chromium = try #require(
                Chromium.locate(),
                "Chromium is not installed: the browser test needs Debian's chromium package (.ci/run installs it: apt-get install chromium), or HELPLINE_CHROMIUM naming a Chromium or Chrome binary")
            let artefacts = Self.artefacts
            try? FileManager.default.removeItem(at: artefacts)
            try FileManager.default.createDirectory(at: artefacts, withIntermediateDirectories: true)

            // A database seeded with a water complaint (a recording, a description with markup
            // in it), a roads complaint, and a call today.
            let directory = try HelplineServeTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let recordings = directory.appendingPathComponent("recordings")
            try FileManager.default.createDirectory(at: recordings, withIntermediateDirectories: true)
            try Self.silence().write(to: recordings.appendingPathComponent("1700000000.1-record.wav"))
            let databasePath = directory.appendingPathComponent("helpline.sqlite").path
            let (water, roads) = try await {
                let store = TicketStore(database: try HelplineDatabase(path: databasePath))
                let water = try await store.createTicket(
                    NewTicket(source: .ivr, callerNumber: "9876543210", language: "hi", district: "01", department: "water", category: "water-supply",
                              descriptionRecording: recordings.appendingPathComponent("1700000000.1-record.wav").path,
                              descriptionText: "No water in ward 5 since Monday <b>urgent</b>", callUniqueid: "1700000000.1", officer: "l1-water-01",
                              dueAt: Date().addingTimeInterval(72 * 3600)),
                    actor: "ivr"
                ).ticket.number
                let roads = try await store.createTicket(
                    NewTicket(source: .ivr, callerNumber: "9876500000", language: "en", department: "roads", category: "pothole", officer: "l1-roads-01"), actor: "ivr"
                ).ticket.number
                try await store.recordCall(CallRecord(uniqueid: "1700000000.1", caller: "9876543210", startedAt: Date()))
                return (water, roads)
            }()
            try """
                menus:
                  folder: \(Self.repository.appendingPathComponent("menus").path)
                routing:
                  directory: \(Self.repository.appendingPathComponent("deploy/directory.yaml").path)
                http:
                  recordings: \(recordings.path)
                  tokens:
                    - {name: monitoring-team, sha256: \(APIToken.hash(Self.monitorToken)), role: monitor}
                    - {name: desk-water-l1, sha256: \(APIToken.hash(Self.officerToken)), role: officer, department: water, level: L1}
                """.write(to: directory.appendingPathComponent("helpline.yaml"), atomically: true, encoding: .utf8)

            // The daemon, as an administrator starts it.
            let daemon = try await ServedDaemon(in: directory)
            let base = "http://127.0.0.1:\(daemon.httpPort)"

            let browser = try Chromium.launch(executable: chromium, log: artefacts.appendingPathComponent("chromium.log"))
            defer { browser.close() }
            let tab = try await browser.newTab()
            try await tab.viewport(width: 1280, height: 900, mobile: false)

            func path() async throws -> String {
                try await tab.evaluate("location.pathname + location.search") as? String ?? ""
            }
            func shot(_ name: String) async throws {
                try await tab.screenshot(to: artefacts.appendingPathComponent("\(name).png"))
            }
            func signIn(_ token: String, landing: String) async throws {
                try await tab.wait(until: "document.querySelector('form[action=\"/signin\"] input[name=token]')")
                _ = try await tab.evaluate("document.querySelector('input[name=token]').value = '\(token)'")
                _ = try await tab.evaluate("document.querySelector('form[action=\"/signin\"] button[type=submit]').click()")
                try await tab.wait(until: "location.pathname === '\(landing)' && document.readyState === 'complete'")
            }

            // The monitoring team: the dashboard asks for a sign-in first.
            try await tab.navigate("\(base)/dashboard")
            #expect(try await path() == "/signin?next=/dashboard")
            try await shot("01-sign-in")
            try await signIn(Self.monitorToken, landing: "/dashboard")
            let dashboard = try await tab.text()
            #expect(dashboard.contains("Calls today"))
            #expect(dashboard.contains("Water supply"))
            #expect(dashboard.contains("Signed in as monitoring-team"))
            #expect(try await tab.evaluate("document.querySelector('meta[http-equiv=refresh]').content") as? String == "5")
            #expect(try await tab.evaluate("document.cookie") as? String == "", "the session cookie is HttpOnly")
            try await shot("02-dashboard")
            try await tab.navigate("\(base)/dashboard?lang=hi")
            try await tab.viewport(width: 390, height: 844, mobile: true)
            try await tab.navigate("\(base)/dashboard")
            let hindi = try await tab.text()
            #expect(hindi.contains("डैशबोर्ड"), "the language is remembered")
            #expect(hindi.contains("जल आपूर्ति"))
            // Readable on a phone: nothing wider than the screen but the scrolling tables.
            #expect(try await tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth") as? Bool == true)
            try await shot("03-dashboard-hindi-phone")
            try await tab.viewport(width: 1280, height: 900, mobile: false)
            try await tab.navigate("\(base)/dashboard?lang=en")
            // Sign out through the header's form.
            _ = try await tab.evaluate("document.querySelector('form.signout button').click()")
            try await tab.wait(until: "location.pathname === '/signin' && document.readyState === 'complete'")

            // The water department's officer: the desk.
            try await tab.navigate("\(base)/desk")
            try await signIn(Self.officerToken, landing: "/desk")
            let desk = try await tab.text()
            #expect(desk.contains(water))
            #expect(!desk.contains(roads), "another department's complaint is not on the desk")
            try await shot("04-desk")
            _ = try await tab.evaluate("document.querySelector('a[href=\"/desk/tickets/\(water)\"]').click()")
            try await tab.wait(until: "location.pathname === '/desk/tickets/\(water)' && document.readyState === 'complete'")
            #expect(try await tab.evaluate("document.getElementById('description').textContent") as? String == "No water in ward 5 since Monday <b>urgent</b>")
            #expect(try await tab.evaluate("document.querySelectorAll('#description b').length") as? Int == 0, "markup in a description is text")
            // The recording loads in the player (half a second of silence).
            let duration = try await tab.evaluate("""
                new Promise(resolve => {
                    const audio = document.querySelector('audio');
                    if (!audio) return resolve(-2);
                    if (audio.readyState >= 1) return resolve(audio.duration);
                    audio.addEventListener('loadedmetadata', () => resolve(audio.duration));
                    audio.addEventListener('error', () => resolve(-1));
                    setTimeout(() => resolve(-3), 10000);
                    audio.load();
                })
                """) as? Double
            #expect(abs((duration ?? 0) - 0.5) < 0.01, "the player loads the recording: duration \(String(describing: duration))")
            try await shot("05-ticket")
            try await tab.viewport(width: 390, height: 844, mobile: true)
            try await shot("06-ticket-phone")
            try await tab.viewport(width: 1280, height: 900, mobile: false)

            // Resolve through the form, as the officer would: type the report, press the button.
            let report = "Valve at the ward 5 tank repaired; supply restored on Tuesday"
            _ = try await tab.evaluate("document.querySelector('#resolve textarea[name=report]').value = '\(report)'")
            _ = try await tab.evaluate("document.querySelector('#resolve button[type=submit]').click()")
            try await tab.wait(until: "location.search === '?resolved=1' && document.readyState === 'complete'")
            #expect(try await path() == "/desk/tickets/\(water)?resolved=1")
            #expect(try await tab.text().contains("Complaint \(water) is marked resolved"))
            try await shot("07-resolved")
            browser.close()

            // The database: resolved, by the officer's token, with the report.
            let store = TicketStore(database: try HelplineDatabase(path: databasePath))
            let history = try #require(try await store.history(number: water))
            #expect(history.ticket.status == .resolved)
            let last = try #require(history.events.last)
            #expect(last.transition == "resolved")
            #expect(last.actor == "desk-water-l1")
            #expect(last.note == report)
            #expect(try await store.ticket(number: roads)?.status == .assigned)

            let (status, log) = daemon.stop()
            #expect(status == 0, "\(log)")
            #expect(!log.contains(Self.monitorToken) && !log.contains(Self.officerToken), "a token is never logged")
            #expect(!log.contains("9876543210"), "nor a full phone number")
            #expect(log.contains("Signed in to the pages"))
            for name in ["01-sign-in", "02-dashboard", "03-dashboard-hindi-phone", "04-desk", "05-ticket", "06-ticket-phone", "07-resolved"] {
                #expect(FileManager.default.fileExists(atPath: artefacts.appendingPathComponent("\(name).png").path), "\(name).png")
            }
        }
    }
}
