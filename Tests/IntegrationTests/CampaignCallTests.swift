import AGITestSupport
import AMIClient
import Foundation
@testable import HelplineApp
import HelplineDomain
import Logging
import NIOCore
import Store
import Testing
import TimeSupport
import AsteriskFakes

extension Integration {
    /// Outbound campaigns end to end: contacts imported, the campaign started, its calls placed
    /// through the fake AMI server, the shipped campaign menus answered over FastAGI with
    /// `CallPlayer`, the answers stored per contact and question and exported as CSV.
    @Suite(.serialized) struct CampaignCallTests {
        static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

        /// Claims a due contact of the campaign as the scheduler does, records the call as
        /// answered, and plays the campaign's menu with `keys`.
        static func answer(_ contact: OutboundCall, keys: [String], store: TicketStore, address: SocketAddress) async throws -> (events: [CallPlayer.Event], variables: [String: String]) {
            #expect(try await store.claim(contact))
            try await store.finish(contact, result: .answered, retryAt: nil)
            let menu = try #require(contact.campaign?.menu)
            let language = contact.language.map { "&language=\($0)" } ?? ""
            let uniqueid = "campaign-\(contact.id)-\(contact.attempts)"
            let result = try await CallPlayer(keyGroups: keys, caller: contact.phone, uniqueid: uniqueid)
                .run(script: "/\(menu)?contact=\(contact.id)\(language)", to: address)
            // The player is done at the menu's HANGUP; the daemon stores the call's row last.
            try await waitUntilAsync { try await store.call(uniqueid: uniqueid) != nil }
            return result
        }

        @Test func aSurveyIsAnsweredStoredRetriedAndReported() async throws {
            try await CallFlowTests.withDaemon(pbx: CallFlowTests.staffed()) { daemon, address in
                let store = daemon.store
                let contacts = [
                    CampaignContact(phone: "9876500101", name: "Asha", district: "07", language: "en", fields: ["scheme": "PM-AWAS"]),
                    CampaignContact(phone: "9876500102", name: "Ravi, S.", language: "hi"),
                    CampaignContact(phone: "9876500103", name: "=HYPERLINK(\"x\")"),
                ]
                _ = try await store.importContacts(contacts, campaign: "awas-q4", menu: "scheme-survey")
                #expect(try await store.dueOutboundCalls(at: Date().addingTimeInterval(60)).isEmpty, "a draft campaign calls nobody")
                try await store.startCampaign(named: "awas-q4", settings: CampaignSettings(maximumAttempts: 2, retryAfter: 600))
                let due = try await store.dueOutboundCalls(at: Date().addingTimeInterval(1))
                #expect(due.map(\.phone) == contacts.map(\.phone))
                #expect(due.allSatisfy { $0.kind == .campaign && $0.campaign?.menu == "scheme-survey" })

                // Asha: received, on time, nobody asked for money, 4 of 5, in English.
                let (asha, _) = try await Self.answer(due[0], keys: ["1", "1", "2", "4"], store: store, address: address)
                #expect(asha.contains(.set("CHANNEL(language)", "en")))
                #expect(asha.contains(.played("survey-thanks", key: nil)))
                // Ravi: not received (so not asked about timing), asked for money, 5, in Hindi.
                let (ravi, _) = try await Self.answer(due[1], keys: ["2", "1", "5"], store: store, address: address)
                #expect(ravi.contains(.set("CHANNEL(language)", "hi")))
                #expect(!ravi.contains(.played("survey-on-time", key: nil)))
                // The third answers and presses nothing: called again after the campaign's 10 minutes.
                let (silent, _) = try await Self.answer(due[2], keys: [], store: store, address: address)
                #expect(silent.contains(.played("survey-call-again", key: nil)))
                #expect(silent.contains(.set("CHANNEL(language)", "hi")), "no language: the menu's first")

                var progress = try #require(try await store.campaign(named: "awas-q4"))
                #expect(progress.contacts == ["done": 2, "pending": 1])
                #expect(progress.status == "running")
                #expect(try await store.dueOutboundCalls(at: Date().addingTimeInterval(500)).isEmpty)
                let again = try #require(try await store.dueOutboundCalls(at: Date().addingTimeInterval(601)).first)
                #expect(again.id == due[2].id && again.attempts == 1)
                // Silent a second time: the campaign's 2 attempts are used up; nobody left, so finished.
                _ = try await Self.answer(again, keys: [], store: store, address: address)
                progress = try #require(try await store.campaign(named: "awas-q4"))
                #expect(progress.contacts == ["done": 2, "failed": 1])
                #expect(progress.status == "finished")

                let report = try await store.campaignReport(named: "awas-q4")
                #expect(report.questions == ["received", "on_time", "asked_money", "rating"])
                #expect(report.rows.map(\.answers) == [
                    ["received": "yes", "on_time": "yes", "asked_money": "no", "rating": "4"],
                    ["received": "no", "asked_money": "yes", "rating": "5"],
                    [:],
                ])
                let lines = report.csv.components(separatedBy: "\r\n")
                #expect(lines[0] == "phone,name,district,language,status,attempts,last_result,answered_at,scheme,received,on_time,asked_money,rating")
                #expect(lines[1].hasPrefix("9876500101,Asha,07,en,done,1,answered,20") && lines[1].hasSuffix(",PM-AWAS,yes,yes,no,4"), "\(lines[1])")
                #expect(lines[2].hasPrefix("9876500102,\"Ravi, S.\",,hi,done,1,answered,") && lines[2].hasSuffix(",,no,,yes,5"), "\(lines[2])")
                #expect(lines[3] == "9876500103,\"'=HYPERLINK(\"\"x\"\")\",,,failed,2,\"answered, nothing answered\",,,,,,", "a formula is defused")
                #expect(lines.count == 5 && lines[4].isEmpty)
            }
        }

        @Test func aPatientWhoNeedsHelpIsPutThroughToTheControlRoomWithTheAnswersKept() async throws {
            try await CallFlowTests.withDaemon(pbx: CallFlowTests.staffed()) { daemon, address in
                let store = daemon.store
                _ = try await store.importContacts([CampaignContact(phone: "9876500201", name: "Meena", language: "hi")], campaign: "isolation-day-3", menu: "home-isolation")
                try await store.startCampaign(named: "isolation-day-3")
                let patient = try #require(try await store.dueOutboundCalls(at: Date().addingTimeInterval(1)).first)
                // Fever yes; difficulty in breathing yes; 9: a doctor now.
                let (events, variables) = try await Self.answer(patient, keys: ["1", "1", "9"], store: store, address: address)
                #expect(!events.contains(.played("welfare-oxygen", key: nil)), "breathing trouble goes straight to the offer of a doctor")
                #expect(variables["HELPLINE_QUEUE"] == "control-room")
                #expect(variables["HELPLINE_PRIORITY"] == "10")
                let report = try await store.campaignReport(named: "isolation-day-3")
                #expect(report.rows.first?.answers == ["fever": "yes", "breathing": "yes", "needs_help": "yes"])
                #expect(report.rows.first?.status == "done")
            }
        }

        @Test func theSchedulerCallsContactsAfterTheOwedCallsWithinTheCampaignsChannels() async throws {
            try await ConnectedPBX.run { pbx in
                let (server, client, board, store) = (pbx.server, pbx.client, pbx.board, pbx.store)
                let now = Date()
                let callback = try await store.addCallback(callerNumber: "9876500300", callUniqueid: "cb", department: nil, queue: "dept-health", reason: "abandoned", at: now.addingTimeInterval(-1))
                _ = try await store.importContacts(
                    (1...4).map { CampaignContact(phone: "987650031\($0)", language: $0 == 1 ? "hi" : nil) }, campaign: "survey", menu: "scheme-survey", at: now.addingTimeInterval(-5))
                _ = try await store.importContacts([CampaignContact(phone: "9876500399")], campaign: "paused-one", menu: "scheme-survey", at: now.addingTimeInterval(-5))
                try await store.startCampaign(named: "survey", settings: CampaignSettings(retryAfter: 3600, channels: 2))
                try await store.startCampaign(named: "paused-one")
                try await store.pauseCampaign(named: "paused-one")
                // A running campaign whose menu a reload removed: its contact waits.
                _ = try await store.importContacts([CampaignContact(phone: "9876500398")], campaign: "menu-gone", menu: "welfare-2025", at: now.addingTimeInterval(-9))
                try await store.startCampaign(named: "menu-gone")

                var configuration = OutboundConfiguration()
                configuration.callingHours = LocalTimeWindow(start: 0, end: 24 * 60)
                configuration.maximumChannels = 3
                configuration.callerID = "1076"
                let scheduler = OutboundScheduler(
                    store: store, client: client, board: board, configuration: configuration, queueOf: { $0.queue },
                    campaignMenuProblem: { $0 == "scheme-survey" ? nil : "the menu '\($0)' is not served" }, logger: Self.logger)
                server.behaviour.withLock { $0.originateOutcomes = ["success", "success", "busy"] }
                let reading = pbx.forwardHangups(to: scheduler)
                defer { reading.cancel() }
                let claimed = try await scheduler.due()
                // The callback first, though the contacts were due earlier; then the campaign's 2 channels.
                #expect(claimed.map(\.0.kind) == [.callback, .campaign, .campaign])
                #expect(claimed.first?.0.id == callback)
                #expect(claimed.dropFirst().map(\.0.phone) == ["9876500311", "9876500312"])
                for (call, queue) in claimed { await scheduler.place(call, queue: queue) }

                let originates = server.originates.withLock { $0 }
                #expect(originates.count == 3)
                #expect(originates[1]["Context"] == "helpline-campaign")
                #expect(originates[1]["Channel"] == "Local/9876500311@helpline-outbound/n")
                let variables = originates[1].values("Variable")
                #expect(variables.contains("HELPLINE_MENU=scheme-survey"))
                #expect(variables.contains("HELPLINE_PHONE=9876500311"))
                #expect(variables.contains("HELPLINE_LANGUAGE=hi"))
                #expect(variables.contains { $0.hasPrefix("HELPLINE_CONTACT=") })
                #expect(!originates[2].values("Variable").contains { $0.hasPrefix("HELPLINE_LANGUAGE=") }, "no language in the list: none passed")

                // The busy contact waits the campaign's hour; the paused campaign's contact is never due.
                let progress = try #require(try await store.campaign(named: "survey"))
                #expect(progress.contacts == ["done": 1, "pending": 3])
                let later = try await store.dueOutboundCalls(at: now.addingTimeInterval(3000))
                #expect(later.map(\.phone) == ["9876500398", "9876500313", "9876500314"], "due, but never claimed")
                #expect(try await store.campaign(named: "menu-gone")?.contacts == ["pending": 1])
                #expect(try await store.dueOutboundCalls(at: now.addingTimeInterval(3700)).map(\.phone).contains("9876500312"))
            }
        }

        @Test func theCommandsStartPauseAndReportACampaign() async throws {
            let directory = try HelplineServeTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let menus = CallFlowTests.repository.appendingPathComponent("menus").path
            _ = try HelplineDatabase(path: directory.appendingPathComponent("helpline.sqlite").path)
            try "phone,name,language,village\n9876500401,Asha,hi,Rampur\n".write(to: directory.appendingPathComponent("c.csv"), atomically: true, encoding: .utf8)
            #expect(try await HelplineServeTests.run(["campaigns", "import", "survey", "c.csv", "--menu", "scheme-survey"], in: directory).0 == 0)
            _ = try await HelplineServeTests.run(["campaigns", "import", "wrong", "c.csv", "--menu", "feedback"], in: directory)

            let (status, errors, output) = try await HelplineServeTests.run(
                ["campaigns", "start", "survey", "--menus", menus, "--window", "10:00-17:30", "--max-attempts", "4", "--retry-after", "2h", "--channels", "3"], in: directory)
            #expect(status == 0, "\(errors)")
            #expect(output.contains("campaign 'survey' running: 1 contacts to call; window 10:00-17:30, 4 attempts, retry after 120 min, at most 3 channels"), "\(output)")

            let refused: [([String], Int32, String)] = [
                (["campaigns", "start", "nobody", "--menus", menus], 66, "error: there is no campaign called 'nobody' (helpline campaigns list shows them)"),
                (["campaigns", "start", "wrong", "--menus", menus], 65, "error: the menu 'feedback' is not a campaign menu: it needs inputs: [contact] and answers: [question, …] (menus/README.md)"),
                (["campaigns", "start", "survey", "--window", "9-5"], 64, "--window must be a window of local time like 09:00-18:00, not '9-5'"),
                (["campaigns", "start", "survey", "--retry-after", "10s"], 64, "--retry-after must be a duration from 1m to 168h, like 2h or 45m, not '10s'"),
                (["campaigns", "pause", "nobody"], 66, "there is no campaign called 'nobody'"),
                (["campaigns", "report", "nobody"], 66, "there is no campaign called 'nobody'"),
            ]
            for (arguments, code, message) in refused {
                let (status, errors, _) = try await HelplineServeTests.run(arguments, in: directory)
                #expect(status == code, "\(arguments): \(errors)")
                #expect(errors.contains(message), "\(arguments): \(errors)")
            }

            let (_, _, paused) = try await HelplineServeTests.run(["campaigns", "pause", "survey"], in: directory)
            #expect(paused.contains("campaign 'survey' paused"))
            let (_, _, listed) = try await HelplineServeTests.run(["campaigns", "list"], in: directory)
            #expect(listed.contains("survey  (paused, menu scheme-survey): pending 1"), "\(listed)")
            #expect(listed.contains("window 10:00-17:30, 4 attempts, retry after 120 min, at most 3 channels"), "\(listed)")

            let (reportStatus, _, csv) = try await HelplineServeTests.run(["campaigns", "report", "survey"], in: directory)
            #expect(reportStatus == 0)
            #expect(csv == "phone,name,district,language,status,attempts,last_result,answered_at,village\r\n9876500401,Asha,,hi,pending,0,,,Rampur\r\n")
            let (fileStatus, fileErrors, _) = try await HelplineServeTests.run(["campaigns", "report", "survey", "--output", "out.csv"], in: directory)
            #expect(fileStatus == 0 && fileErrors.contains("1 contacts written to out.csv"))
            #expect(try String(contentsOf: directory.appendingPathComponent("out.csv"), encoding: .utf8) == csv)
        }
    }
}
