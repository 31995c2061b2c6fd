import AMIClient
import Foundation
@testable import HelplineApp
import HelplineDomain
import Logging
import MetricsTestKit
import Store
import Synchronization
import Testing
import TimeSupport
import AsteriskFakes

extension Integration {
    /// The scheduler against the fake AMI server (the captures' Originate replies) over a real
    /// SQLite file: pacing by the live state, and every outcome recorded.
    @Suite(.serialized) struct OutboundSchedulerTests {
        static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

        @Test func placesWhatSeatsAllowAndRecordsEachOutcome() async throws {
            try await ConnectedPBX.run { pbx in
                let (server, client, board, store) = (pbx.server, pbx.client, pbx.board, pbx.store)
                // Live: the captured QueueStatus has dept-health with 2 free seats, dept-police with none.
                let now = Date()
                #expect(board.snapshot().pbxs["pbx1"]?.queues["dept-health"]?.figures(now: now.timeIntervalSince1970).available == 2)
                let ticket = try await store.createTicket(
                    NewTicket(source: .ivr, callerNumber: "9876500001", language: "hi", district: "07", department: "health", callUniqueid: "o.1", officer: "l1"),
                    actor: "ivr").ticket.number
                try await store.apply(.resolve, to: ticket, actor: "test", at: now.addingTimeInterval(-3))
                var callbacks: [Int64] = []
                for (index, queue) in ["dept-health", "dept-police", "dept-health", "dept-health"].enumerated() {
                    callbacks.append(try await store.addCallback(
                        callerNumber: "98765000\(10 + index)", callUniqueid: "cb.\(index)", department: nil, queue: queue,
                        reason: "abandoned", at: now.addingTimeInterval(Double(index) - 2)))
                }

                var configuration = OutboundConfiguration()
                configuration.callingHours = LocalTimeWindow(start: 0, end: 24 * 60)
                configuration.trunk = "DAHDI/g1"
                configuration.callerID = "1076"
                configuration.retry.maximumAttempts = 2
                configuration.retry.afterBusy = .seconds(600)
                configuration.retry.afterNoAnswer = .seconds(1800)
                let metrics = TestMetrics()
                let scheduler = OutboundScheduler(store: store, client: client, board: board, configuration: configuration, queueOf: { $0.queue }, logger: Self.logger, metrics: metrics)
                // As the daemon does: every Hangup of the PBX reaches the scheduler (an answered call
                // holds its channel until then; the captured answered call hangs up right after).
                let reading = pbx.forwardHangups(to: scheduler)
                defer { reading.cancel() }

                // The feedback call and the first and third dept-health callbacks: two free seats, and
                // none at all in dept-police.
                server.behaviour.withLock { $0.originateOutcomes = ["success", "busy", "noanswer"] }
                let claimed = try await scheduler.due()
                #expect(claimed.map(\.0.kind) == [.feedback, .callback, .callback])
                #expect(claimed.map(\.0.id).dropFirst() == [callbacks[0], callbacks[2]])
                #expect(scheduler.callsInFlight == 3)
                // Claimed: a second round finds nothing more to do for dept-health while they ring.
                #expect(try await scheduler.due().isEmpty)

                for (call, queue) in claimed { await scheduler.place(call, queue: queue) }
                #expect(scheduler.callsInFlight == 0)

                let originates = server.originates.withLock { $0 }
                #expect(originates.count == 3)
                #expect(originates[0]["Channel"] == "Local/9876500001@helpline-outbound/n")
                #expect(originates[0]["Context"] == "helpline-feedback")
                #expect(originates[0].values("Variable").contains("HELPLINE_TICKET=\(ticket)"))
                #expect(originates[0].values("Variable").contains("HELPLINE_TRUNK=DAHDI/g1"))
                #expect(originates[0].values("Variable").contains("HELPLINE_PHONE=9876500001"), "the dialplan sets the citizen's number as caller ID")
                #expect(originates[0].values("Variable").contains("HELPLINE_LANGUAGE=hi"), "the feedback menu speaks the complaint's language")
                #expect(originates[1].values("Variable").contains("HELPLINE_PHONE=9876500010"))
                #expect(originates[1]["Context"] == "helpline-callback")
                #expect(originates[1].values("Variable").contains("HELPLINE_QUEUE=dept-health"))
                #expect(originates[1].values("Variable").contains("HELPLINE_PRIORITY=8"))
                #expect(originates.allSatisfy { $0["Async"] == "true" && $0["CallerID"] == "1076" })

                // Answered: done. Busy and no answer: pending again, each after its own wait.
                #expect(try await store.feedbackCalls(ticket: ticket).map(\.status) == ["done"])
                func placed(_ kind: String, _ result: String) -> Int64 {
                    (try? metrics.expectCounter("helpline_outbound_results_total", [("kind", kind), ("result", result)]).totalValue) ?? 0
                }
                #expect([placed("feedback", "answered"), placed("callback", "busy"), placed("callback", "no_answer"), placed("callback", "answered")] == [1, 1, 1, 0])
                let busy = try #require(try await store.callback(id: callbacks[0]))
                #expect(busy.status == "pending" && busy.attempts == 1 && busy.lastResult == "busy")
                let rangOut = try #require(try await store.callback(id: callbacks[2]))
                #expect(rangOut.status == "pending" && rangOut.lastResult == "no answer")
                let due = try await store.dueOutboundCalls(at: now.addingTimeInterval(601))
                #expect(Set(due.map(\.id)) == [callbacks[0], callbacks[1], callbacks[3]], "a call that rang out waits longer than a busy one")

                // The last attempt: congestion ends the busy callback for good.
                server.behaviour.withLock { $0.originateOutcomes = ["congestion"] }
                let last = try #require(try await store.dueOutboundCalls(at: now.addingTimeInterval(601)).first { $0.id == callbacks[0] })
                #expect(last.attempts == 1)
                #expect(try await store.claim(last))
                await scheduler.place(last, queue: "dept-health")
                let failed = try #require(try await store.callback(id: callbacks[0]))
                #expect(failed.status == "failed" && failed.attempts == 2 && failed.lastResult == "failed: congestion")
            }
        }

        /// A call holds its outbound channel from its Originate until its channel hangs up, not
        /// only until the OriginateResponse that comes when the citizen answers (a real
        /// Asterisk 22 showed 7 calls up with `max_channels: 4` when the answer freed the channel).
        @Test func anAnsweredCallHoldsItsChannelUntilItHangsUp() async throws {
            try await ConnectedPBX.run { pbx in
                let (server, client, board, store) = (pbx.server, pbx.client, pbx.board, pbx.store)
                server.behaviour.withLock { $0.holdCallsAfterAnswer = true }
                let now = Date()
                for index in 0..<3 {
                    let number = try await store.createTicket(
                        NewTicket(source: .ivr, callerNumber: "98765000\(20 + index)", language: "hi", department: "health", callUniqueid: "p.\(index)", officer: "l1"),
                        actor: "ivr").ticket.number
                    try await store.apply(.resolve, to: number, actor: "test", at: now.addingTimeInterval(Double(index) - 5))
                }
                var configuration = OutboundConfiguration()
                configuration.callingHours = LocalTimeWindow(start: 0, end: 24 * 60)
                configuration.trunk = "DAHDI/g1"
                configuration.maximumChannels = 2
                let scheduler = OutboundScheduler(store: store, client: client, board: board, configuration: configuration, queueOf: { $0.queue }, logger: Self.logger)
                let reading = pbx.forwardHangups(to: scheduler)
                defer { reading.cancel() }

                let first = try await scheduler.due()
                #expect(first.count == 2, "two channels")
                let calls = first.map { call, queue in Task { await scheduler.place(call, queue: queue) } }
                // Both citizens answered (their OriginateResponse came): the calls go on.
                try await waitUntil { server.callsUp == 2 }
                try await waitUntilAsync { try await store.dueOutboundCalls(at: now.addingTimeInterval(1)).count == 1 }
                #expect(scheduler.callsInFlight == 2, "answered calls still hold their channels")
                #expect(try await scheduler.due().isEmpty, "no third call while two are up")
                #expect(server.originates.withLock { $0.count } == 2)

                // One citizen hangs up: its channel is free, and the third call is placed.
                server.endHeldCalls(1)
                try await waitUntil { scheduler.callsInFlight == 1 }
                let third = try await scheduler.due()
                #expect(third.count == 1)
                let last = third.map { call, queue in Task { await scheduler.place(call, queue: queue) } }
                try await waitUntil { server.callsUp == 2 }
                server.endHeldCalls()
                for call in calls + last { await call.value }
                #expect(scheduler.callsInFlight == 0)
                #expect(server.originates.withLock { $0.count } == 3)
            }
        }

        /// A callback the citizen answered but whose queue call ended before a seat answered (a
        /// scratch Asterisk 22 dropped callers at a missing announcement) is the same callback's
        /// failed attempt, due again after retry_no_answer: not a new callback due at once, which
        /// dialled the citizen every two seconds.
        @Test func aCallbackThatLeavesTheQueueUnansweredIsRetriedNotRepeated() async throws {
            try await ConnectedPBX.run { pbx in
                let (server, client, store) = (pbx.server, pbx.client, pbx.store)
                server.behaviour.withLock { $0.holdCallsAfterAnswer = true }
                let now = Date()
                let id = try await store.addCallback(callerNumber: "9876500060", callUniqueid: "in.60", department: nil, queue: "dept-health", reason: "IVR: callback", at: now.addingTimeInterval(-2))
                var configuration = OutboundConfiguration()
                configuration.callingHours = LocalTimeWindow(start: 0, end: 24 * 60)
                configuration.trunk = "DAHDI/g1"
                let scheduler = OutboundScheduler(store: store, client: client, board: pbx.board, configuration: configuration, queueOf: { $0.queue }, logger: Self.logger)
                let handler = PBXEvents(pbx: "pbx1", directory: { nil }, store: store, scheduler: scheduler, logger: Self.logger)
                let answeredOn = Mutex<String?>(nil)
                let reading = Task {
                    for await event in client.events {
                        if event.nameIs("OriginateResponse") { answeredOn.withLock { $0 = event["Uniqueid"] } }
                        await handler.handle(event)
                    }
                }
                defer { reading.cancel() }

                let placing = try await scheduler.due().map { call, queue in Task { await scheduler.place(call, queue: queue) } }
                try await waitUntil { server.callsUp == 1 && answeredOn.withLock { $0 } != nil }
                let uniqueid = try #require(answeredOn.withLock { $0 })
                #expect(try await store.callback(id: id)?.status == "done")

                // The callback's channel abandons its queue (Asterisk 22's event, on this
                // channel), then hangs up with the rest of the call.
                let abandon = String(decoding: try AbandonCallbackTests.capturedEvent("QueueCallerAbandon"), as: UTF8.self)
                    .replacingOccurrences(of: "astlab-1795329069.80", with: uniqueid)
                server.push(Array(abandon.utf8))
                try await waitUntil { handler.abandonmentsWaiting == 1 }
                server.endHeldCalls()
                for call in placing { await call.value }
                try await waitUntil { handler.abandonmentsWaiting == 0 }

                let retried = try #require(try await store.callback(id: id))
                #expect(retried.status == "pending" && retried.attempts == 1)
                #expect(retried.lastResult == "answered, left the queue before a seat answered")
                #expect(try await store.dueOutboundCalls(at: Date().addingTimeInterval(60)).isEmpty, "not due at once")
                let later = try await store.dueOutboundCalls(at: Date().addingTimeInterval(configuration.retry.afterNoAnswer.seconds + 60))
                #expect(later.map(\.id) == [id], "the same callback, and no new one")
            }
        }

        /// A call whose Hangup can no longer come (the AMI link dropped while it was up) does not
        /// hold its channel for hours: it is let go while the link is down.
        @Test(.timeLimit(.minutes(1))) func anAnsweredCallIsLetGoWhenTheLinkDrops() async throws {
            try await ConnectedPBX.run { pbx in
                pbx.server.behaviour.withLock { $0.holdCallsAfterAnswer = true }
                let ticket = try await pbx.store.createTicket(
                    NewTicket(source: .ivr, callerNumber: "9876500050", language: "hi", department: "health", callUniqueid: "drop.1", officer: "l1"),
                    actor: "ivr").ticket.number
                try await pbx.store.apply(.resolve, to: ticket, actor: "test", at: Date().addingTimeInterval(-5))
                var configuration = OutboundConfiguration()
                configuration.callingHours = LocalTimeWindow(start: 0, end: 24 * 60)
                configuration.trunk = "DAHDI/g1"
                let scheduler = OutboundScheduler(store: pbx.store, client: pbx.client, board: pbx.board, configuration: configuration, queueOf: { $0.queue }, logger: Self.logger)
                let reading = pbx.forwardHangups(to: scheduler)
                defer { reading.cancel() }
                let placing = try await scheduler.due().map { call, queue in Task { await scheduler.place(call, queue: queue) } }
                try await waitUntil { pbx.server.callsUp == 1 }
                #expect(scheduler.callsInFlight == 1)
                pbx.server.dropClients()
                try await waitUntil { pbx.client.connection == nil || pbx.board.snapshot().pbxs["pbx1"]?.staleSince != nil }
                #expect(try await scheduler.due().isEmpty, "nothing is dialled while the link is down")
                for call in placing { await call.value }
                #expect(scheduler.callsInFlight == 0, "the call no longer holds its channel")
            }
        }

        /// No call is placed to a citizen who is still on a call with the helpline (the callback
        /// promised at the end of an IVR call was dialled while the caller still heard it).
        @Test func aCitizenStillOnTheLineIsNotDialled() async throws {
            try await ConnectedPBX.run { pbx in
                let (client, board, store) = (pbx.client, pbx.board, pbx.store)
                try await store.addCallback(callerNumber: "9876500040", callUniqueid: "line.1", department: nil, queue: "dept-health", reason: "IVR: callback", at: Date().addingTimeInterval(-2))
                var configuration = OutboundConfiguration()
                configuration.callingHours = LocalTimeWindow(start: 0, end: 24 * 60)
                configuration.trunk = "DAHDI/g1"
                let onTheLine = Mutex<Set<String>>(["9876500040"])
                let scheduler = OutboundScheduler(
                    store: store, client: client, board: board, configuration: configuration, queueOf: { $0.queue },
                    callersOnTheLine: { onTheLine.withLock { $0 } }, logger: Self.logger)
                #expect(try await scheduler.due().isEmpty, "the caller is still on the IVR call")
                onTheLine.withLock { $0 = [] }
                #expect(try await scheduler.due().map(\.0.phone) == ["9876500040"], "dialled once the call has ended")
            }
        }

        @Test func outboundConfigurationIsReadWithItsErrors() throws {
            let yaml = """
                ami:
                  endpoints: [{name: pbx1, host: 127.0.0.1, username: helpline, secret: x}]
                outbound:
                  trunk: DAHDI/g1
                  caller_id: "1076"
                  max_channels: 6
                  calling_hours: "08:30-19:00"
                  district_hours: {"07": "10:00-17:00"}
                  retry_busy: 5m
                  max_attempts: 4
                """
            let configuration = try HelplineConfiguration(yaml: yaml, file: "o.yaml")
            let outbound = try #require(configuration.outbound)
            #expect(outbound.maximumChannels == 6 && outbound.retry.maximumAttempts == 4 && outbound.retry.afterBusy == .seconds(300))
            #expect(outbound.callingHours.description == "08:30-19:00" && outbound.hours(district: "07").description == "10:00-17:00")
            #expect(outbound.channel == "Local/${number}@helpline-outbound/n")
            #expect(HelplineConfiguration().outbound == nil, "nothing is dialled unless configured")

            let bad: [(String, String)] = [
                ("outbound: {trunk: x}\n", "o.yaml:1:11: outbound needs an AMI endpoint to place calls through (ami.endpoints)"),
                ("ami:\n  endpoints: [{name: pbx1, host: h, username: u, secret: x}]\noutbound:\n  pbx: pbx9\n", "o.yaml:4:3: outbound.pbx 'pbx9' is not an AMI endpoint; the endpoints are: pbx1"),
                ("ami:\n  endpoints: [{name: pbx1, host: h, username: u, secret: x}]\noutbound:\n  calling_hours: 9-5\n", "o.yaml:4:18: outbound.calling_hours must be a window of local time like \"09:00-20:00\", not '9-5'"),
                ("ami:\n  endpoints: [{name: pbx1, host: h, username: u, secret: x}]\noutbound:\n  channel: PJSIP/carrier\n", "o.yaml:4:12: outbound.channel must contain ${number} (where the citizen's number goes), like Local/${number}@helpline-outbound/n"),
                ("ami:\n  endpoints: [{name: pbx1, host: h, username: u, secret: x}]\noutbound:\n  max_chanels: 3\n", "o.yaml:4:3: unknown key 'outbound.max_chanels'"),
            ]
            for (yaml, expected) in bad {
                do {
                    _ = try HelplineConfiguration(yaml: yaml, file: "o.yaml")
                    Issue.record("accepted: \(yaml)")
                } catch {
                    #expect(error.description.hasPrefix(expected), "\(error.description)")
                }
            }
        }
    }
}
