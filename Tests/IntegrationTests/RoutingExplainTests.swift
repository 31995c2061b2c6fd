import Foundation
import Routing
import HelplineDomain
import Store
import Testing

extension Integration {
    /// `helpline routing explain` on decisions stored the way the IVR stores them.
    @Suite(.serialized) struct RoutingExplainTests {
        typealias CLI = HelplineServeTests

        @Test func checksADirectoryFile() async throws {
            let directory = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            var repository = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { repository.deleteLastPathComponent() }
            let (status, errors, output) = try await CLI.run(["routing", "check", repository.appendingPathComponent("deploy/directory.yaml").path], in: directory)
            #expect(status == 0, "\(errors)")
            #expect(output.contains("categories   5 (1 emergency)"), "\(output)")

            try "pbxs: {pbx1: {queues: [a]}}\ndepartments: {}\ncategories: {}\ndistricts: {}\nofficers: {}\n".write(to: directory.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
            let (badStatus, bad, _) = try await CLI.run(["routing", "check", "bad.yaml"], in: directory)
            #expect(badStatus == 78)
            #expect(bad.contains("bad.yaml:1:14: pbxs.pbx1 needs a general_queue for calls without a department"), "\(bad)")
            #expect(bad.contains("1 problem in bad.yaml"))
        }

        @Test func explainsByCallAndByTicket() async throws {
            let directory = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = TicketStore(database: try HelplineDatabase(path: directory.appendingPathComponent("helpline.sqlite").path))

            let routing = Directory(
                departments: [Department(id: "water", queues: ["pbx1": DepartmentQueues(primary: "water-l1", overflow: "water-overflow")])],
                categories: [Category(id: "supply", department: "water")], districts: [District(code: "07")],
                officers: [Officer(id: "l1-water-07", name: "A", department: "water", level: .l1)],
                generalQueues: ["pbx1": "helpline-general"])
            let now = Date()
            let load = LiveLoad(
                queues: [QueueRef(pbx: "pbx1", queue: "water-l1"): QueueLoad(loggedIn: 0, available: 0),
                         QueueRef(pbx: "pbx1", queue: "water-overflow"): QueueLoad(loggedIn: 3, available: 1, averageTalkSeconds: 200)],
                asOf: now)
            let call = CallInput(uniqueid: "1732200000.77", callerNumber: "9876543210", language: "hi", pbx: "pbx1", category: "supply", district: "07")
            let decision = routing.decide(call, load: load, now: now)
            let created = try await store.createTicket(
                NewTicket(source: .ivr, callerNumber: call.callerNumber, language: "hi", district: "07", department: "water", category: "supply", callUniqueid: call.uniqueid, officer: decision.officer),
                decision: decision.record(call: call, load: load, directory: routing, now: now), actor: "ivr")

            let (status, errors, byCall) = try await CLI.run(["routing", "explain", "1732200000.77"], in: directory)
            #expect(status == 0, "\(errors)")
            for expected in ["for call 1732200000.77", "water-l1@pbx1            0 logged in", "overflow_queue → water-overflow@pbx1", "- no seat is logged in to water-l1@pbx1", "- overflow queue water-overflow@pbx1 has 1 free seats"] {
                #expect(byCall.contains(expected), "missing '\(expected)' in:\n\(byCall)")
            }
            let (ticketStatus, _, byTicket) = try await CLI.run(["routing", "explain", created.ticket.number], in: directory)
            #expect(ticketStatus == 0)
            #expect(byTicket.hasPrefix("ticket \(created.ticket.number): water, assigned at L1"))
            #expect(byTicket.contains("overflow_queue → water-overflow@pbx1"))

            let (unknownStatus, unknown, _) = try await CLI.run(["routing", "explain", "1732200000.99"], in: directory)
            #expect(unknownStatus == 1)
            #expect(unknown.contains("no routing decision is stored for '1732200000.99'"))
        }
    }
}

extension Integration {
    /// `helpline menus check` as a menu author runs it.
    @Suite(.serialized) struct MenusCheckCommandTests {
        typealias CLI = HelplineServeTests

        @Test func theShippedMenusPassAndABrokenOneFails() async throws {
            let directory = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            var repository = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { repository.deleteLastPathComponent() }
            let (status, errors, output) = try await CLI.run(["menus", "check", repository.appendingPathComponent("menus").path], in: directory)
            #expect(status == 0, "\(errors)\(output)")
            #expect(output.contains("5 menu files, 5 clean, 0 problems"), "\(output)")

            let menus = directory.appendingPathComponent("menus")
            try FileManager.default.createDirectory(at: menus, withIntermediateDirectories: true)
            try "languages: [hi]\nstart: a\nnodes:\n  a:\n    goto: b\n".write(to: menus.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
            let (badStatus, _, bad) = try await CLI.run(["menus", "check"], in: directory)
            #expect(badStatus == 1)
            #expect(bad.contains("menus/broken.yaml:5:11: nodes.a: unknown node 'b'"), "\(bad)")
            #expect(bad.contains("1 menu file, 0 clean, 1 problem"))

            let (missingStatus, missing, _) = try await CLI.run(["menus", "check", "nowhere"], in: directory)
            #expect(missingStatus == 66)
            #expect(missing.contains("cannot read the menu folder 'nowhere'"))
        }
    }
}
