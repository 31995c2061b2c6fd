import AGITestSupport
import AMIClient
import Foundation
import HelplineApp
import HelplineDomain
import Logging
import NIOCore
import Store
import Testing
import AsteriskFakes

extension Integration {
    /// Whole calls through the daemon's real `/inbound` and `/feedback` flows over loopback:
    /// `CallPlayer` plays Asterisk with the replies of the captures; the store is a real file.
    @Suite(.serialized) struct CallFlowTests {
        static var repository: URL {
            var url = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { url.deleteLastPathComponent() }
            return url
        }

        /// A daemon on the shipped menus (or those in `menus`) and the sample directory with a
        /// fresh database; `board` states are published before the calls.
        static func withDaemon<T: Sendable>(
            pbx: PBXState? = nil, menus: URL? = nil, directory: URL? = nil, _ body: @Sendable (HelplineDaemon, SocketAddress) async throws -> T
        ) async throws -> T {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("helpline-flows-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            var configuration = HelplineConfiguration()
            configuration.databasePath = folder.appendingPathComponent("helpline.sqlite").path
            configuration.menusFolder = (menus ?? repository.appendingPathComponent("menus")).path
            configuration.directoryPath = (directory ?? repository.appendingPathComponent("deploy/directory.yaml")).path
            configuration.defaultPBX = "pbx1"
            let daemon = try HelplineDaemon(configuration: configuration, logger: Logger(label: "test"))
            if let pbx { daemon.board.publish(pbx) }
            return try await withAGIServer(routes: daemon.routes) { _, address in try await body(daemon, address) }
        }

        /// pbx1 live: every queue of the sample with two idle seats.
        static func staffed(except empty: Set<String> = []) -> PBXState {
            var state = PBXState(name: "pbx1", staleSince: nil)
            for name in ["water-l1", "water-overflow", "roads-l1", "health-l1", "control-room", "helpline-general"] {
                var queue = QueueState(name: name)
                if !empty.contains(name) {
                    for seat in 1...2 {
                        let member = QueueMember(interface: "PJSIP/\(name)-\(seat)", status: .notInUse)
                        queue.members[member.interface] = member
                    }
                }
                state.queues[name] = queue
            }
            return state
        }

        @Test func aComplaintIsRegisteredReadBackAndQueued() async throws {
            try await Self.withDaemon(pbx: Self.staffed()) { daemon, address in
                // 2: English; 1: register; 1: no water; 01: the district.
                let call = CallPlayer(keyGroups: ["2", "1", "1", "01"], uniqueid: "e2e-register-1")
                let (events, variables) = try await call.run(script: "/inbound", to: address)

                let history = try #require(try await daemon.store.history(number: variables["HELPLINE_TICKET"] ?? ""))
                let ticket = history.ticket
                #expect(ticket.department == "water")
                #expect(ticket.category == "water-supply")
                #expect(ticket.district == "01")
                #expect(ticket.language == "en")
                #expect(ticket.assignedOfficer == "l1-water-01")
                #expect(ticket.descriptionRecording == "helpline/recordings/e2e-register-1-describe.wav")
                #expect(ticket.callUniqueid == "e2e-register-1")
                // The dialled number comes from the dialplan's argument: agi_dnid says unknown.
                #expect(try await daemon.store.call(uniqueid: "e2e-register-1")?.dnid == "1076")
                // The number read back is the stored one, twice, digit by digit.
                #expect(events.filter { $0 == .said("digits \(ticket.number)") }.count == 2, "\(events)")
                #expect(events.contains(.recorded("helpline/recordings/e2e-register-1-describe.wav")))
                #expect(variables["CHANNEL(language)"] == "en")
                #expect(variables["HELPLINE_ACTION"] == "queue")
                #expect(variables["HELPLINE_QUEUE"] == "water-l1")
                #expect(variables["HELPLINE_PRIORITY"] == "0")
                // One decision per complaint: the registration's, which the hand-off uses.
                let decisions = try await daemon.store.decisions(callUniqueid: "e2e-register-1")
                #expect(decisions.count == 1, "\(decisions.map(\.outcome))")
                #expect(decisions.allSatisfy { $0.department == "water" && $0.queue == "water-l1@pbx1" })
                #expect(decisions.first?.reasonList.contains("category 'water-supply' belongs to department 'water'") == true)
                // The ticket just created is not an open ticket of a repeat caller.
                #expect(decisions.first?.reasonList.contains { $0.contains("open ticket") } == false)
                let row = try #require(try await daemon.store.call(uniqueid: "e2e-register-1"))
                #expect(row.outcome == "handed_off:queue")
            }
        }

        /// One decision per complaint: the registration's. The figures change while the ticket
        /// number is read back (no seat left in water-l1, the overflow free); the call still goes
        /// where the registration sent it, and no second decision is made or stored.
        @Test func aRegistrationStoresOneDecisionAndTheHandOffFollowsIt() async throws {
            try await Self.withDaemon(pbx: Self.staffed()) { daemon, address in
                let call = CallPlayer(keyGroups: ["2", "1", "1", "01"], uniqueid: "e2e-one-decision")
                let (_, variables) = try await call.run(script: "/inbound", to: address) { event in
                    guard case .played(let file, _) = event, file == "your-ticket-number" else { return }
                    daemon.board.publish(Self.staffed(except: ["water-l1"]))
                }
                let decisions = try await daemon.store.decisions(callUniqueid: "e2e-one-decision")
                #expect(decisions.count == 1, "\(decisions.map(\.outcome))")
                let decision = try #require(decisions.first)
                #expect(decision.ticketId != nil, "the decision stored with the ticket")
                #expect(decision.outcome == "queue" && decision.queue == "water-l1@pbx1", "\(decision)")
                #expect(variables["HELPLINE_ACTION"] == decision.outcome)
                #expect(variables["HELPLINE_QUEUE"].map { "\($0)@pbx1" } == decision.queue, "\(variables)")
                #expect(variables["HELPLINE_PRIORITY"] == decision.priority.map { "\($0)" })
            }
        }

        @Test func aReloadDuringACallLeavesItOnItsMenuAndTheNextCallGetsTheNewOne() async throws {
            let menus = FileManager.default.temporaryDirectory.appendingPathComponent("helpline-reload-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: menus, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: menus) }
            let file = menus.appendingPathComponent("inbound.yaml")
            let original = try String(contentsOf: Self.repository.appendingPathComponent("menus/inbound.yaml"), encoding: .utf8)
            try original.write(to: file, atomically: true, encoding: .utf8)
            try await Self.withDaemon(pbx: Self.staffed(), menus: menus) { daemon, address in
                // While the first call hears its welcome, the menu changes: its main menu prompt is renamed.
                let (during, _) = try await CallPlayer(keyGroups: ["2", "1", "1", "01"], uniqueid: "e2e-reload-1").run(script: "/inbound", to: address) { event in
                    guard event == .played("welcome", key: nil) else { return }
                    try? original.replacingOccurrences(of: "prompt: [main-menu]", with: "prompt: [main-menu-v2]").write(to: file, atomically: true, encoding: .utf8)
                    let report = daemon.flows.reload()
                    precondition(report.problems.isEmpty, "\(report.problems)")
                }
                #expect(during.contains(.played("main-menu", key: nil)), "the call in progress stays on the menu it started with")
                #expect(!during.contains(.played("main-menu-v2", key: nil)))
                let (after, _) = try await CallPlayer(keyGroups: ["2", "3"], uniqueid: "e2e-reload-2").run(script: "/inbound", to: address)
                #expect(after.contains(.played("main-menu-v2", key: nil)), "the next call gets the new menu")
            }
        }

        @Test func aHangupAtEveryCommandEndsCleanlyAndEveryChosenComplaintIsHandled() async throws {
            try await Self.withDaemon(pbx: Self.staffed()) { daemon, address in
                let (full, _) = try await CallPlayer(keyGroups: ["2", "1", "1", "01"], uniqueid: "e2e-hangup-full").run(script: "/inbound", to: address)
                let commands = full.count
                #expect(commands > 15)
                for point in 1...commands {
                    let uniqueid = "e2e-hangup-\(point)"
                    let (events, _) = try await CallPlayer(keyGroups: ["2", "1", "1", "01"], caller: "90000\(point)", uniqueid: uniqueid, hangUpAtCommand: point)
                        .run(script: "/inbound", to: address)
                    #expect(events.last == .hungUp)
                    // The server may close the connection as soon as the caller's HANGUP arrives, while
                    // the session still finishes its bookkeeping: wait for the row (a liveness bound).
                    var recorded = try await daemon.store.call(uniqueid: uniqueid)
                    let end = Date().addingTimeInterval(10)
                    while recorded == nil, Date() < end {
                        try await Task.sleep(for: .milliseconds(10))
                        recorded = try await daemon.store.call(uniqueid: uniqueid)
                    }
                    let call = try #require(recorded, "every call is recorded (hangup at command \(point))")
                    let path = try JSONDecoder().decode([String].self, from: Data(call.path.utf8))
                    let ticket = try await daemon.store.openTickets(callerNumber: "90000\(point)").first
                    let callback = try await daemon.store.pendingCallbacks(limit: 1000).first { $0.callUniqueid == uniqueid }
                    if path.contains("district") {
                        // The caller chose what the complaint is about: a ticket or a callback, never nothing.
                        #expect(ticket != nil || callback != nil, "hangup at command \(point) after \(path.last ?? "")")
                    }
                    #expect(call.outcome?.hasPrefix("caller_hung_up_at:") == true || call.outcome == "handed_off:queue", "\(call.outcome ?? "nil") at \(point)")
                }
            }
        }

        @Test func anEmergencyGoesToTheControlRoomAtTopPriority() async throws {
            try await Self.withDaemon(pbx: Self.staffed()) { _, address in
                let (_, variables) = try await CallPlayer(keyGroups: ["1", "4"], uniqueid: "e2e-emergency").run(script: "/inbound", to: address)
                #expect(variables["HELPLINE_QUEUE"] == "control-room")
                #expect(variables["HELPLINE_PRIORITY"] == "10")
                #expect(variables["HELPLINE_ACTION"] == "queue")
            }
        }

        /// A roads complaint while the department is closed hears "we will call you back during
        /// office hours": the callback is due at the department's next opening, not at once.
        @Test func anAfterHoursCallbackIsDueAtTheNextOpening() async throws {
            // Roads open only 10:00–11:00 three days from now (IST): closed now whatever the time.
            let ist = 19_800
            let now = Date()
            let localSeconds = Int(now.timeIntervalSince1970) + ist
            let weekdayToday = ((localSeconds / 86_400) % 7 + 3) % 7 + 1  // 1 = Monday
            let opening = (weekdayToday - 1 + 3) % 7 + 1
            let name = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][opening - 1]
            let midnight = Date(timeIntervalSince1970: Double(localSeconds - localSeconds % 86_400 - ist))
            let expected = midnight.addingTimeInterval(3 * 86_400 + 10 * 3600)
            let folder = try HelplineServeTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            let sample = try String(contentsOf: Self.repository.appendingPathComponent("deploy/directory.yaml"), encoding: .utf8)
            let closed = sample.replacingOccurrences(of: "      mon-fri: \"09:30-18:00\"\n      sat: \"09:30-13:30\"\n", with: "      \(name): \"10:00-11:00\"\n")
            #expect(closed != sample, "the sample's roads hours were replaced")
            let directory = folder.appendingPathComponent("directory.yaml")
            try closed.write(to: directory, atomically: true, encoding: .utf8)

            try await Self.withDaemon(pbx: Self.staffed(), directory: directory) { daemon, address in
                // 2: English; 1: register; 3: a pothole (roads); 01: the district.
                let (events, variables) = try await CallPlayer(keyGroups: ["2", "1", "3", "01"], uniqueid: "e2e-after-hours").run(script: "/inbound", to: address)
                #expect(events.contains(.played("after-hours-callback", key: nil)), "\(events)")
                #expect(variables["HELPLINE_QUEUE"] == nil, "not handed to a queue")
                let owed = try #require(try await daemon.store.pendingCallbacks().first { $0.callUniqueid == "e2e-after-hours" })
                #expect(owed.department == "roads")
                #expect(owed.reason.contains("closed now"), "\(owed.reason)")
                #expect(try await daemon.store.dueOutboundCalls(at: now.addingTimeInterval(3600)).isEmpty, "not dialled while the department is closed")
                #expect(try await daemon.store.dueOutboundCalls(at: expected.addingTimeInterval(-60)).isEmpty)
                #expect(try await daemon.store.dueOutboundCalls(at: expected.addingTimeInterval(1)).map(\.phone) == ["9876543210"], "due at the opening")
            }
        }

        @Test func noSeatLoggedInMeansACallbackPromiseThatIsKept() async throws {
            try await Self.withDaemon(pbx: Self.staffed(except: ["water-l1", "water-overflow"])) { daemon, address in
                let (events, variables) = try await CallPlayer(keyGroups: ["2", "1", "1", "01"], uniqueid: "e2e-callback").run(script: "/inbound", to: address)
                #expect(events.contains(.played("callback-promise", key: nil)))
                #expect(events.last == .hungUp)
                #expect(variables["HELPLINE_QUEUE"] == nil, "not handed to a queue")
                let callbacks = try await daemon.store.pendingCallbacks()
                #expect(callbacks.map(\.callerNumber) == ["9876543210"])
                #expect(callbacks.first?.department == "water")
                // Owed, not offered: the registration's decision, the only one.
                // Why it is owed, in words (the callbacks list shows it).
                #expect(callbacks.first?.reason == "IVR: callback: no seat is logged in to water-l1@pbx1; overflow queue water-overflow@pbx1 has no free seat")
                #expect(try await daemon.store.decisions(callUniqueid: "e2e-callback").map(\.outcome) == ["callback"])
            }
        }

        /// water-l1 with both seats on calls and six callers waiting: about ten minutes.
        static func longWait() -> PBXState {
            var state = staffed()
            var queue = state.queues["water-l1"]!
            for key in queue.members.keys { queue.members[key]!.status = .inUse }
            queue.callers = (1...6).map {
                QueueCaller(uniqueid: "w.\($0)", channel: "PJSIP/trunk-\($0)", position: $0, callerIDNumber: "98765000\($0)", callerIDName: "", joinedAt: Date().timeIntervalSince1970 - 30)
            }
            state.queues["water-l1"] = queue
            return state
        }

        @Test func aLongWaitOffersACallbackAndTheCallerChooses() async throws {
            try await Self.withDaemon(pbx: Self.longWait()) { daemon, address in
                let store = daemon.store
                // 1: called back instead of waiting.
                let (accepted, acceptedVariables) = try await CallPlayer(keyGroups: ["2", "1", "1", "01", "1"], caller: "9000033301", uniqueid: "offer-1").run(script: "/inbound", to: address)
                #expect(accepted.contains(.played("callback-offer", key: nil)), "\(accepted)")
                #expect(accepted.contains(.played("callback-promise", key: nil)))
                #expect(acceptedVariables["HELPLINE_ACTION"] == nil, "the call is not handed to a queue")
                let owed = try await store.pendingCallbacks(limit: 100)
                #expect(owed.filter { $0.callUniqueid == "offer-1" }.map(\.reason) == ["IVR: callback offer accepted"])

                // 2: keeps waiting: handed to the queue, nothing owed.
                let (waited, waitedVariables) = try await CallPlayer(keyGroups: ["2", "1", "1", "01", "2"], caller: "9000033302", uniqueid: "offer-2").run(script: "/inbound", to: address)
                #expect(waited.contains(.played("callback-offer", key: nil)))
                #expect(waitedVariables["HELPLINE_ACTION"] == "queue" && waitedVariables["HELPLINE_QUEUE"] == "water-l1", "\(waitedVariables)")
                #expect(try await store.pendingCallbacks(limit: 100).contains { $0.callUniqueid == "offer-2" } == false)
                #expect(try await store.decisions(callUniqueid: "offer-2").map(\.outcome) == ["callback_offer"], "one decision: the registration's")

                // Hangs up while the offer plays: owed a callback all the same.
                let offerAt = try #require(accepted.firstIndex(of: .played("callback-offer", key: nil)))
                let (hungUp, _) = try await CallPlayer(keyGroups: ["2", "1", "1", "01"], caller: "9000033303", uniqueid: "offer-3", hangUpAtCommand: offerAt + 1)
                    .run(script: "/inbound", to: address)
                #expect(hungUp.last == .hungUp && !hungUp.contains(.played("callback-promise", key: nil)), "\(hungUp)")
                try await waitUntilAsync { try await store.call(uniqueid: "offer-3") != nil }
                #expect(try await store.pendingCallbacks(limit: 100).filter { $0.callUniqueid == "offer-3" }.map(\.reason) == ["IVR: callback offered, caller hung up before choosing"])
            }
        }

        @Test func statusByNumberRightMistypedAndUnknown() async throws {
            try await Self.withDaemon(pbx: Self.staffed()) { _, address in
                let (_, registered) = try await CallPlayer(keyGroups: ["2", "1", "2", "02"], uniqueid: "e2e-status-1").run(script: "/inbound", to: address)
                let number = try #require(registered["HELPLINE_TICKET"])
                var mistyped = Array(number)
                mistyped.swapAt(0, 1)
                if mistyped == Array(number) { mistyped[0] = "9" }
                let unknown = TicketNumber(serial: 987_654).description
                // Another caller: 2 status; a mistyped number, then the right one.
                let check = CallPlayer(keyGroups: ["2", "2", String(mistyped) + "#", number + "#"], caller: "5550100", uniqueid: "e2e-status-2")
                let (events, _) = try await check.run(script: "/inbound", to: address)
                #expect(events.contains(.played("wrong-ticket-number", key: nil)), "\(events)")
                #expect(events.contains(.played("status-assigned", key: nil)))
                let (unknownEvents, _) = try await CallPlayer(keyGroups: ["2", "2", unknown + "#"], caller: "5550101", uniqueid: "e2e-status-3").run(script: "/inbound", to: address)
                #expect(unknownEvents.contains(.played("unknown-ticket", key: nil)))
            }
        }

        @Test func aFeedbackCallMovesTheTicketUpTheLadder() async throws {
            try await Self.withDaemon(pbx: Self.staffed()) { daemon, address in
                let (_, registered) = try await CallPlayer(keyGroups: ["2", "1", "2", "01"], uniqueid: "e2e-fb-1").run(script: "/inbound", to: address)
                let number = try #require(registered["HELPLINE_TICKET"])
                try await daemon.store.apply(.resolve, to: number, actor: "l1-water-01", note: "pipe repaired")
                // 2: not satisfied.
                let (events, _) = try await CallPlayer(keyGroups: ["2"], uniqueid: "e2e-fb-2").run(script: "/feedback?ticket=\(number)", to: address)
                #expect(events.contains(.said("digits \(number)")))
                #expect(try await daemon.store.ticket(number: number)?.status == .reopened)
                // A second feedback call on a ticket not resolved: nothing recorded, goodbye.
                let (again, _) = try await CallPlayer(keyGroups: ["1"], uniqueid: "e2e-fb-3").run(script: "/feedback?ticket=\(number)", to: address)
                #expect(again.contains(.played("goodbye", key: nil)))
                #expect(try await daemon.store.ticket(number: number)?.status == .reopened)
            }
        }

        @Test func aFeedbackCallWithNothingPressedIsMadeAgainLater() async throws {
            try await Self.withDaemon(pbx: Self.staffed()) { daemon, address in
                let (_, registered) = try await CallPlayer(keyGroups: ["2", "1", "2", "01"], uniqueid: "e2e-fbn-1").run(script: "/inbound", to: address)
                let number = try #require(registered["HELPLINE_TICKET"])
                try await daemon.store.apply(.resolve, to: number, actor: "l1-water-01", note: "pipe repaired")
                // The scheduler claimed the owed call and the citizen answered it.
                let owed = try #require(try await daemon.store.dueOutboundCalls().first { $0.ticketNumber == number })
                #expect(try await daemon.store.claim(owed))
                try await daemon.store.finish(owed, result: .answered, retryAt: nil)
                // Nothing pressed, at every try of the question.
                let (events, _) = try await CallPlayer(keyGroups: [], uniqueid: "e2e-fbn-2").run(script: "/feedback?ticket=\(number)", to: address)
                #expect(events.contains(.played("feedback-call-again", key: nil)), "\(events)")
                #expect(try await daemon.store.ticket(number: number)?.status == .resolved, "nothing recorded")
                let calls = try await daemon.store.feedbackCalls(ticket: number)
                #expect(calls.map(\.status) == ["pending"])
                #expect(calls.first?.lastResult == "answered, nothing pressed")
                #expect(calls.first?.attempts == 1)
                // Again after retry_no_answer (30 minutes without an outbound section).
                #expect(try await daemon.store.dueOutboundCalls(at: Date().addingTimeInterval(29 * 60)).isEmpty)
                #expect(try await daemon.store.dueOutboundCalls(at: Date().addingTimeInterval(31 * 60)).map(\.ticketNumber) == [number])

                // The second attempt: the citizen hangs up while the number is read out. Made again.
                func placeAgain() async throws {
                    guard let owed = try await daemon.store.dueOutboundCalls(at: Date().addingTimeInterval(31 * 60)).first(where: { $0.ticketNumber == number }) else {
                        Issue.record("no feedback call owed again")
                        return
                    }
                    #expect(try await daemon.store.claim(owed))
                    try await daemon.store.finish(owed, result: .answered, retryAt: nil)
                }
                try await placeAgain()
                let (hungUp, _) = try await CallPlayer(keyGroups: [], uniqueid: "e2e-fbn-3", hangUpAtCommand: 3).run(script: "/feedback?ticket=\(number)", to: address)
                #expect(hungUp.last == .hungUp)
                // The session stores what the call left after the caller's HANGUP closed it.
                try await waitUntilAsync { try await daemon.store.call(uniqueid: "e2e-fbn-3") != nil }
                let afterHangup = try await daemon.store.feedbackCalls(ticket: number).map { [$0.status, "\($0.attempts)"] }
                #expect(afterHangup == [["pending", "2"]], "\(hungUp)")
                // The third and last attempt (max_attempts 3): nothing pressed, and no more calls.
                try await placeAgain()
                let (last, _) = try await CallPlayer(keyGroups: [], uniqueid: "e2e-fbn-4").run(script: "/feedback?ticket=\(number)", to: address)
                #expect(!last.contains(.played("feedback-call-again", key: nil)), "no promise of another call: \(last)")
                let ended = try #require(try await daemon.store.feedbackCalls(ticket: number).first)
                #expect(ended.status == "failed" && ended.attempts == 3 && ended.lastResult == "answered, nothing pressed; no attempts left")
                #expect(try await daemon.store.dueOutboundCalls(at: Date().addingTimeInterval(86_400)).isEmpty)
            }
        }

        /// The whole ladder as citizens and officers walk it: every resolution queues an SMS and
        /// owes a feedback call, the citizen's answers on real feedback calls move the ticket.
        @Test func theFullLadderFromRegistrationToClosure() async throws {
            let sms = NotificationPolicy { change in
                guard case .resolve = change.action else { return [] }
                return [OutboxMessage(kind: .sms, destination: change.ticket.callerNumber, payload: "resolved", idempotencyKey: "sms-\(change.eventID)")]
            }
            try await Self.withDaemon(pbx: Self.staffed()) { daemon, address in
                let store = daemon.store
                let (_, registered) = try await CallPlayer(keyGroups: ["2", "1", "1", "01"], caller: "9000011111", uniqueid: "ladder-1").run(script: "/inbound", to: address)
                let number = try #require(registered["HELPLINE_TICKET"])
                /// An officer resolves; the feedback call owed is placed and answered with `key`.
                func resolveAndAnswer(_ key: String, call: Int) async throws {
                    try await store.apply(.resolve, to: number, actor: "officer", note: "done \(call)", notifications: sms)
                    let owed = try #require(try await store.dueOutboundCalls().first { $0.ticketNumber == number && $0.kind == .feedback })
                    #expect(try await store.claim(owed))
                    try await store.finish(owed, result: .answered, retryAt: nil)
                    _ = try await CallPlayer(keyGroups: [key], caller: "9000011111", uniqueid: "ladder-fb-\(call)").run(script: "/feedback?ticket=\(number)", to: address)
                }
                try await resolveAndAnswer("2", call: 1)  // not satisfied: back to L1
                #expect(try await store.ticket(number: number).map { [$0.status.rawValue, $0.level.rawValue] } == ["reopened", "L1"])
                try await resolveAndAnswer("2", call: 2)  // not satisfied again: up to L2
                let escalated = try #require(try await store.ticket(number: number))
                #expect(escalated.status == .escalated && escalated.level == .l2)
                try await resolveAndAnswer("1", call: 3)  // satisfied: closed
                #expect(try await store.ticket(number: number)?.status == .closed)

                let history = try #require(try await store.history(number: number))
                #expect(history.events.map(\.toStatus) == [.registered, .assigned, .resolved, .reopened, .resolved, .escalated, .resolved, .closed], "\(history.events.map(\.transition))")
                #expect(try await store.outbox(ticketNumber: number).count == 3, "an SMS per resolution")
                #expect(try await store.feedbackCalls(ticket: number).map(\.status) == ["done", "done", "done"])
                #expect(try await store.dueOutboundCalls(at: Date().addingTimeInterval(86_400)).isEmpty, "nothing left to call")
            }
        }
    }
}
