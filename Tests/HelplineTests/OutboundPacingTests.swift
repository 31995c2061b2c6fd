import AMIClient
import Foundation
@testable import HelplineApp
import HelplineDomain
import Routing
import Store
import Testing
import TimeSupport

@Suite struct OutboundPacingTests {
    // Sat 2026-11-21 12:20 IST (06:50 UTC).
    static let now = Date(timeIntervalSince1970: 1_795_243_800)

    static func state(stale: Bool = false, free: [String: Int]) -> PBXState {
        var state = PBXState(name: "pbx1", staleSince: stale ? 1 : nil)
        for (queue, count) in free {
            var queueState = QueueState(name: queue)
            for index in 0..<count {
                let interface = "PJSIP/\(queue)-\(index)"
                queueState.members[interface] = QueueMember(interface: interface, status: DeviceState(rawValue: 1))
            }
            state.queues[queue] = queueState
        }
        return state
    }

    static func feedback(_ id: Int64, district: String? = "07") -> OutboundCall {
        OutboundCall(kind: .feedback, id: id, phone: "98765000\(id)", ticketNumber: "1000002", district: district, dueAt: now)
    }

    static func callback(_ id: Int64, queue: String?, department: String? = nil) -> OutboundCall {
        OutboundCall(kind: .callback, id: id, phone: "98765001\(id)", department: department, queue: queue, dueAt: now)
    }

    static func pacing(channels: Int = 10, _ edit: (inout OutboundConfiguration) -> Void = { _ in }) -> OutboundPacing {
        var configuration = OutboundConfiguration()
        configuration.maximumChannels = channels
        edit(&configuration)
        return OutboundPacing(configuration: configuration)
    }

    @Test func nothingIsDialledWithoutFreshLiveState() {
        let due = [Self.feedback(1), Self.callback(2, queue: "water-l1")]
        #expect(Self.pacing().select(due, state: nil, inFlight: 0, callbacksInFlight: [:], now: Self.now) { $0.queue }.isEmpty)
        #expect(Self.pacing().select(due, state: Self.state(stale: true, free: ["water-l1": 5]), inFlight: 0, callbacksInFlight: [:], now: Self.now) { $0.queue }.isEmpty)
    }

    @Test func callbacksNeverOutnumberFreeSeatsAndCallsNeverOutnumberChannels() {
        let state = Self.state(free: ["water-l1": 2, "roads-l1": 0])
        let due = [Self.callback(1, queue: "water-l1"), Self.callback(2, queue: "roads-l1"), Self.callback(3, queue: "water-l1"),
                   Self.callback(4, queue: "water-l1"), Self.feedback(5), Self.callback(6, queue: nil, department: "water")]
        // One water callback is already ringing: one more seat is free for callbacks.
        let chosen = Self.pacing().select(due, state: state, inFlight: 1, callbacksInFlight: ["water-l1": 1], now: Self.now) { call in
            call.queue ?? (call.department == "water" ? "water-l1" : nil)
        }
        #expect(chosen.map(\.call.id) == [1, 5])
        #expect(chosen.map(\.queue) == ["water-l1", nil])

        // Channels: 3 in all, 2 already in use.
        let few = Self.pacing(channels: 3).select([Self.feedback(1), Self.feedback(2)], state: state, inFlight: 2, callbacksInFlight: [:], now: Self.now) { $0.queue }
        #expect(few.map(\.call.id) == [1])
        #expect(Self.pacing(channels: 3).select([Self.feedback(1)], state: state, inFlight: 3, callbacksInFlight: [:], now: Self.now) { $0.queue }.isEmpty)
    }

    @Test func callingHoursAreLocalAndPerDistrict() {
        let pacing = Self.pacing {
            $0.callingHours = LocalTimeWindow(start: 9 * 60, end: 20 * 60)
            $0.districtHours["02"] = LocalTimeWindow(start: 13 * 60, end: 18 * 60)
        }
        let due = [Self.feedback(1, district: "01"), Self.feedback(2, district: "02"), Self.feedback(3, district: nil)]
        let state = Self.state(free: [:])
        // 12:20 IST: inside the default window, before district 02's.
        #expect(pacing.select(due, state: state, inFlight: 0, callbacksInFlight: [:], now: Self.now) { $0.queue }.map(\.call.id) == [1, 3])
        // 13:20 IST: both.
        #expect(pacing.select(due, state: state, inFlight: 0, callbacksInFlight: [:], now: Self.now.addingTimeInterval(3600)) { $0.queue }.map(\.call.id) == [1, 2, 3])
        // 21:20 IST: nobody is called at night.
        #expect(pacing.select(due, state: state, inFlight: 0, callbacksInFlight: [:], now: Self.now.addingTimeInterval(9 * 3600)) { $0.queue }.isEmpty)
    }

    @Test func eachOutcomeWaitsItsOwnTimeUntilTheAttemptsRunOut() {
        let pacing = Self.pacing {
            $0.retry.afterNoAnswer = .seconds(1800)
            $0.retry.afterBusy = .seconds(600)
            $0.retry.afterFailure = .seconds(900)
            $0.retry.maximumAttempts = 3
        }
        #expect(pacing.retry(after: .noAnswer, attempts: 1, now: Self.now) == Self.now.addingTimeInterval(1800))
        #expect(pacing.retry(after: .busy, attempts: 2, now: Self.now) == Self.now.addingTimeInterval(600))
        #expect(pacing.retry(after: .failed("congestion"), attempts: 1, now: Self.now) == Self.now.addingTimeInterval(900))
        #expect(pacing.retry(after: .busy, attempts: 3, now: Self.now) == nil, "the third attempt was the last")
        #expect(pacing.retry(after: .answered, attempts: 1, now: Self.now) == nil)
    }

    @Test(arguments: [("09:00-20:00", 540, 1200), ("00:00-24:00", 0, 1440), ("13:30-18:05", 810, 1085)])
    func callingHoursAreRead(_ text: String, _ start: Int, _ end: Int) throws {
        let hours = try #require(LocalTimeWindow(text))
        #expect(hours.start == start && hours.end == end)
        #expect(hours.description == text)
    }

    @Test(arguments: [(" 9:00 - 17:30 ", "09:00-17:30"), ("9:00-17:00", "09:00-17:00")])
    func aWindowMayBeWrittenWithOneDigitHoursAndSpaces(_ text: String, _ written: String) throws {
        #expect(try #require(LocalTimeWindow(text)).description == written)
    }

    @Test(arguments: ["", "9-20", "20:00-09:00", "09:00-25:00", "09:60-10:00", "09:00", "9:5-10:00", "+9:00-10:00", "09:00-10:00-11:00", "०९:००-१०:००"])
    func badCallingHoursAreRefused(_ text: String) {
        #expect(LocalTimeWindow(text) == nil)
    }
}

@Suite struct CampaignPacingTests {
    static func contact(_ id: Int64, campaign: Int64 = 1, settings: CampaignSettings = CampaignSettings()) -> OutboundCall {
        OutboundCall(kind: .campaign, id: id, phone: "98765002\(id)", dueAt: OutboundPacingTests.now,
                     campaign: CampaignCall(id: campaign, name: "survey-\(campaign)", menu: "scheme-survey", settings: settings))
    }

    @Test func campaignsTakeTheChannelsTheOwedCallsLeaveAndKeepTheirOwnLimit() {
        let pacing = OutboundPacingTests.pacing(channels: 4)
        let state = OutboundPacingTests.state(free: ["water-l1": 2])
        let limited = CampaignSettings(channels: 2)
        let due = [OutboundPacingTests.feedback(1)] + (10...13).map { Self.contact($0, settings: limited) } + [Self.contact(20, campaign: 2)]
        let chosen = pacing.select(due, state: state, inFlight: 0, callbacksInFlight: [:], now: OutboundPacingTests.now) { $0.queue }
        // The feedback call first; campaign 1 stops at its 2 channels; campaign 2 takes the last.
        #expect(chosen.map(\.call.id) == [1, 10, 11, 20])
        // With one of campaign 1's calls still under way, only one more of it goes.
        let later = pacing.select(Array(due.dropFirst()), state: state, inFlight: 1, callbacksInFlight: [:], campaignsInFlight: [1: 1],
                                  now: OutboundPacingTests.now) { $0.queue }
        #expect(later.map(\.call.id) == [10, 20])
    }

    @Test func aCampaignWindowReplacesTheCallingHours() {
        // 12:20 IST: inside the default 09:00-20:00, outside a 14:00-18:00 window.
        let pacing = OutboundPacingTests.pacing()
        let state = OutboundPacingTests.state(free: [:])
        let afternoon = Self.contact(1, settings: CampaignSettings(window: "14:00-18:00"))
        let lunch = Self.contact(2, campaign: 2, settings: CampaignSettings(window: "12:00-13:00"))
        let chosen = pacing.select([afternoon, lunch], state: state, inFlight: 0, callbacksInFlight: [:], now: OutboundPacingTests.now) { $0.queue }
        #expect(chosen.map(\.call.id) == [2])
    }

    @Test func aCampaignsRetryRulesReplaceTheConfigurations() {
        let pacing = OutboundPacingTests.pacing { $0.retry.maximumAttempts = 3; $0.retry.afterBusy = .seconds(600) }
        let now = OutboundPacingTests.now
        let own = CampaignSettings(maximumAttempts: 2, retryAfter: 7200)
        #expect(pacing.retry(after: .busy, attempts: 1, campaign: own, now: now) == now.addingTimeInterval(7200))
        #expect(pacing.retry(after: .busy, attempts: 2, campaign: own, now: now) == nil, "its own maximum of 2")
        #expect(pacing.retry(after: .busy, attempts: 2, campaign: CampaignSettings(), now: now) == now.addingTimeInterval(600), "the configuration's rules")
        #expect(pacing.retry(after: .answered, attempts: 1, campaign: own, now: now) == nil)
    }
}

/// Which queue a callback is connected to on the PBX that dials it, when a helpline runs more
/// than one Asterisk server.
@Suite struct CallbackQueueTests {
    static let directory: Directory = {
        let yaml = """
            pbxs:
              pbx1: {general_queue: general-1, queues: [water-1, water-over-1]}
              pbx2: {general_queue: general-2, queues: [water-2]}
            departments:
              water:
                names: {en: Water supply}
                queues:
                  pbx1: {queue: water-1, overflow: water-over-1}
                  pbx2: {queue: water-2}
            categories:
              water-supply: {department: water, names: {en: No water supply}}
            districts:
              "01": {names: {en: Lucknow}}
            officers:
              l1-water: {name: Desk, department: water, level: L1}
              l2-water: {name: Chief, department: water, level: L2}
            """
        return try! DirectoryLoader.load(yaml: yaml, file: "two-pbxs.yaml")
    }()

    static func callback(queue: String?, department: String? = nil) -> OutboundCall {
        OutboundCall(kind: .callback, id: 1, phone: "9876500100", department: department, queue: queue, dueAt: Date())
    }

    @Test func aQueueOfTheDiallingPBXIsKept() {
        #expect(HelplineDaemon.callbackQueue(Self.callback(queue: "water-over-1"), directory: Self.directory, pbx: "pbx1") == "water-over-1")
        #expect(HelplineDaemon.callbackQueue(Self.callback(queue: "general-1"), directory: Self.directory, pbx: "pbx1") == "general-1")
    }

    @Test func aQueueOfAnotherPBXBecomesItsDepartmentsQueueHere() {
        // The caller gave up waiting in pbx2's water queue; pbx1 dials the callback.
        #expect(HelplineDaemon.callbackQueue(Self.callback(queue: "water-2"), directory: Self.directory, pbx: "pbx1") == "water-1")
        #expect(HelplineDaemon.callbackQueue(Self.callback(queue: "water-1"), directory: Self.directory, pbx: "pbx2") == "water-2")
    }

    @Test func noQueueIsTheDepartmentsOrTheGeneralQueue() {
        #expect(HelplineDaemon.callbackQueue(Self.callback(queue: nil, department: "water"), directory: Self.directory, pbx: "pbx2") == "water-2")
        #expect(HelplineDaemon.callbackQueue(Self.callback(queue: nil), directory: Self.directory, pbx: "pbx2") == "general-2")
        #expect(HelplineDaemon.callbackQueue(Self.callback(queue: "general-2"), directory: Self.directory, pbx: "pbx1") == "general-1")
    }
}
