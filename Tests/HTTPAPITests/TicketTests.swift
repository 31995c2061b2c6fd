import Foundation
import HTTPAPI
import HelplineDomain
import Hummingbird
import HummingbirdTesting
import Routing
import Store
import Testing

@Suite struct TicketListTests {
    @Test func pagesThroughADepartmentsTicketsOldestFirst() async throws {
        let fixture = try Fixture()
        var numbers: [String] = []
        for index in 0..<5 { numbers.append(try await fixture.ticket(createdAt: Fixture.now.addingTimeInterval(Double(index * 60 - 7200))).number) }
        try await fixture.ticket(department: "roads")
        let expected = numbers
        try await fixture.test { client in
            let first = try await client.execute(uri: "/api/v1/tickets?department=water&limit=2", method: .get, headers: Caller.monitor.headers)
            #expect(first.status == .ok)
            let tickets = first.json["tickets"] as? [[String: Any]] ?? []
            #expect(tickets.compactMap { $0["number"] as? String } == Array(expected[0..<2]))
            #expect(first.json["next_offset"] as? Int == 2)
            #expect(tickets.first?["caller_number"] as? String == "9876543210", "officers call the citizen back")
            #expect(tickets.first?["status"] as? String == "assigned")
            #expect(tickets.first?["overdue"] as? Bool == false)
            let last = try await client.execute(uri: "/api/v1/tickets?department=water&limit=2&offset=4", method: .get, headers: Caller.monitor.headers)
            #expect((last.json["tickets"] as? [[String: Any]])?.count == 1)
            #expect(last.json["next_offset"] == nil)
            let all = try await client.execute(uri: "/api/v1/tickets?status=assigned&level=L1", method: .get, headers: Caller.administrator.headers)
            #expect((all.json["tickets"] as? [[String: Any]])?.count == 6, "every department without department=")
        }
    }

    @Test func anOfficerListsOnlyTheirDepartment() async throws {
        let fixture = try Fixture()
        try await fixture.ticket()
        try await fixture.ticket(department: "roads")
        try await fixture.test { client in
            let own = try await client.execute(uri: "/api/v1/tickets", method: .get, headers: Caller.roadsL1.headers)
            let departments = (own.json["tickets"] as? [[String: Any]])?.compactMap { $0["department"] as? String }
            #expect(departments == ["roads"])
            let other = try await client.execute(uri: "/api/v1/tickets?department=water", method: .get, headers: Caller.roadsL1.headers)
            #expect(other.status == .forbidden)
            #expect(other.errorCode == "forbidden")
        }
    }

    @Test(arguments: ["status=open", "level=L3", "limit=0", "limit=501", "offset=-1", "limit=ten"])
    func aBadQueryIs400(_ query: String) async throws {
        try await Fixture().test { client in
            let response = try await client.execute(uri: "/api/v1/tickets?\(query)", method: .get, headers: Caller.administrator.headers)
            #expect(response.status == .badRequest)
            #expect(response.errorCode == "invalid_request")
        }
    }
}

@Suite struct TicketDetailTests {
    @Test func showsHistoryDecisionsAndTheCallWithItsRecording() async throws {
        let fixture = try Fixture()
        let directory = try Fixture.directory()
        let call = CallInput(uniqueid: "1790000000.7", callerNumber: "9876543210", language: "en", pbx: "pbx1", category: "water-supply", district: "01")
        let registration = directory.registration(call, load: LiveLoad(queues: [:], asOf: Fixture.now), now: Fixture.now, source: .ivr, descriptionRecording: "helpline/1790000000.7")
        let ticket = try await fixture.store.createTicket(registration.ticket, decision: registration.record, actor: "ivr", at: Fixture.now).ticket
        try await fixture.store.recordCall(CallRecord(uniqueid: "1790000000.7", caller: "9876543210", dnid: "1076", language: "en", script: "inbound", path: ["language", "menu", "complaint"], outcome: "completed", startedAt: Fixture.now))
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/v1/tickets/\(ticket.number)", method: .get, headers: Caller.waterL1.headers)
            #expect(response.status == .ok, "\(response.text)")
            let body = response.json
            #expect((body["ticket"] as? [String: Any])?["description_recording"] as? String == "helpline/1790000000.7")
            #expect((body["ticket"] as? [String: Any])?["assigned_officer"] as? String == "l1-water-01")
            let history = body["history"] as? [[String: Any]] ?? []
            #expect(history.compactMap { $0["transition"] as? String } == ["registered", "assigned"])
            #expect(history.first?["actor"] as? String == "ivr")
            let decisions = body["decisions"] as? [[String: Any]] ?? []
            #expect(decisions.count == 1)
            #expect(((decisions.first?["inputs"] as? [String: Any])?["call"] as? [String: Any])?["category"] as? String == "water-supply")
            #expect((decisions.first?["reasons"] as? [String])?.isEmpty == false)
            let callBody = body["call"] as? [String: Any]
            #expect(callBody?["path"] as? [String] == ["language", "menu", "complaint"])
            #expect(callBody?["dnid"] as? String == "1076")
        }
    }

    @Test func numbersThatAreMistypedMalformedOrUnknown() async throws {
        let fixture = try Fixture()
        let ticket = try await fixture.ticket()
        var mistyped = ticket.number
        let last = mistyped.removeLast()
        mistyped.append(last == "9" ? "0" : Character(String(last.wholeNumberValue! + 1)))
        let wrong = mistyped
        let unknown = TicketNumber(serial: 999_999).description
        try await fixture.test { client in
            for (path, status, code) in [
                ("/api/v1/tickets/\(wrong)", HTTPResponse.Status.badRequest, "ticket_number_mistyped"),
                ("/api/v1/tickets/12a4", .badRequest, "ticket_number_malformed"),
                ("/api/v1/tickets/\(unknown)", .notFound, "ticket_not_found"),
            ] {
                let response = try await client.execute(uri: path, method: .get, headers: Caller.administrator.headers)
                #expect(response.status == status, "\(path)")
                #expect(response.errorCode == code, "\(path): \(response.text)")
            }
            let resolve = try await client.execute(uri: "/api/v1/tickets/\(wrong)/resolve", method: .post, headers: Caller.administrator.headers + jsonHeaders, body: jsonBody(["report": "done"]))
            #expect(resolve.errorCode == "ticket_number_mistyped")
            let resolveUnknown = try await client.execute(uri: "/api/v1/tickets/\(unknown)/resolve", method: .post, headers: Caller.administrator.headers + jsonHeaders, body: jsonBody(["report": "done"]))
            #expect(resolveUnknown.status == .notFound)
            #expect(resolveUnknown.errorCode == "ticket_not_found")
        }
    }
}

@Suite struct TicketWriteTests {
    @Test func anOfficerResolvesAndTheHistoryNamesTheToken() async throws {
        let fixture = try Fixture()
        let ticket = try await fixture.ticket()
        let store = fixture.store
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/v1/tickets/\(ticket.number)/resolve", method: .post, headers: Caller.waterL1.headers + jsonHeaders, body: jsonBody(["report": "  Pipe repaired on 21 Sept.  "]))
            #expect(response.status == .ok, "\(response.text)")
            #expect(response.json["status"] as? String == "resolved")
            let again = try await client.execute(uri: "/api/v1/tickets/\(ticket.number)/resolve", method: .post, headers: Caller.waterL1.headers + jsonHeaders, body: jsonBody(["report": "again"]))
            #expect(again.status == .conflict)
            #expect(again.errorCode == "invalid_transition")
        }
        let history = try #require(try await store.history(number: ticket.number))
        let resolved = try #require(history.events.last)
        #expect(resolved.transition == "resolved")
        #expect(resolved.actor == "desk-water-l1")
        #expect(resolved.note == "Pipe repaired on 21 Sept.")
        let outbox = try await store.outbox(ticketNumber: ticket.number)
        #expect(outbox.map(\.payload) == ["resolved \(ticket.number)"], "the resolution's SMS is queued, once")
    }

    @Test func anL1OfficerCannotResolveAnEscalatedTicketButItsL2OfficerCan() async throws {
        let fixture = try Fixture()
        let ticket = try await fixture.escalatedTicket()
        #expect(ticket.level == .l2)
        try await fixture.test { client in
            let l1 = try await client.execute(uri: "/api/v1/tickets/\(ticket.number)/resolve", method: .post, headers: Caller.waterL1.headers + jsonHeaders, body: jsonBody(["report": "done"]))
            #expect(l1.status == .forbidden)
            #expect(l1.text.contains("the ticket is at L2"), "\(l1.text)")
            let note = try await client.execute(uri: "/api/v1/tickets/\(ticket.number)/notes", method: .post, headers: Caller.waterL1.headers + jsonHeaders, body: jsonBody(["note": "the citizen called again"]))
            #expect(note.status == .ok, "an L1 officer may still add notes")
            let l2 = try await client.execute(uri: "/api/v1/tickets/\(ticket.number)/resolve", method: .post, headers: Caller.waterL2.headers + jsonHeaders, body: jsonBody(["report": "main replaced"]))
            #expect(l2.status == .ok, "\(l2.text)")
        }
    }

    @Test func reassignsToAnOfficerOfTheDepartmentAndLevelOnly() async throws {
        let fixture = try Fixture()
        let ticket = try await fixture.ticket()
        let store = fixture.store
        try await fixture.test { client in
            // Another department's officer, no officer, and the department's L2 officer for an L1 ticket.
            for officer in ["l1-roads", "nobody", "l2-water"] {
                let response = try await client.execute(uri: "/api/v1/tickets/\(ticket.number)/reassign", method: .post, headers: Caller.administrator.headers + jsonHeaders, body: jsonBody(["officer": officer]))
                #expect(response.status == .badRequest)
                #expect(response.errorCode == "unknown_officer")
            }
            let response = try await client.execute(uri: "/api/v1/tickets/\(ticket.number)/reassign", method: .post, headers: Caller.waterL1.headers + jsonHeaders, body: jsonBody(["officer": "l1-water-02", "note": "district 02"]))
            #expect(response.status == .ok)
            #expect(response.json["assigned_officer"] as? String == "l1-water-02")
        }
        let last = try #require(try await store.history(number: ticket.number)?.events.last)
        #expect(last.transition == "reassigned")
        #expect(last.actor == "desk-water-l1")
        #expect(last.note == "district 02; assigned to l1-water-02")
    }

    @Test func notesGoToTheHistoryEvenOfAClosedTicket() async throws {
        let fixture = try Fixture()
        let ticket = try await fixture.ticket()
        try await fixture.store.apply(.cancel, to: ticket.number, actor: "admin")
        let store = fixture.store
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/v1/tickets/\(ticket.number)/notes", method: .post, headers: Caller.administrator.headers + jsonHeaders, body: jsonBody(["note": "duplicate call received"]))
            #expect(response.status == .ok)
        }
        let last = try #require(try await store.history(number: ticket.number)?.events.last)
        #expect(last.transition == "note")
        #expect(last.actor == "admin-1")
    }

    @Test func badBodies() async throws {
        let fixture = try Fixture { $0.maxBodySize = 2048 }
        let ticket = try await fixture.ticket()
        let path = "/api/v1/tickets/\(ticket.number)/resolve"
        try await fixture.test { client in
            let cases: [(HTTPFields, ByteBuffer?, HTTPResponse.Status, String)] = [
                (jsonHeaders, ByteBuffer(string: "{not json"), .badRequest, "invalid_request"),
                (jsonHeaders, jsonBody(["reprt": "typo"]), .badRequest, "invalid_request"),
                (jsonHeaders, jsonBody(["report": "   "]), .badRequest, "invalid_request"),
                (jsonHeaders, jsonBody(["report": String(repeating: "x", count: 4001)]), .contentTooLarge, "body_too_large"),
                ([.contentType: "text/plain"], ByteBuffer(string: "report=done"), .unsupportedMediaType, "unsupported_media_type"),
                (jsonHeaders, nil, .badRequest, "invalid_request"),
            ]
            for (headers, body, status, code) in cases {
                let response = try await client.execute(uri: path, method: .post, headers: Caller.administrator.headers + headers, body: body)
                #expect(response.status == status, "\(response.text)")
                #expect(response.errorCode == code)
            }
            let missing = try await client.execute(uri: path, method: .post, headers: Caller.administrator.headers + jsonHeaders, body: jsonBody(["reprt": "typo"]))
            #expect(missing.text.contains("'report' is missing"), "\(missing.text)")
        }
    }
}

@Suite struct IntakeTests {
    static let complaint: [String: String] = [
        "channel": "web", "caller_number": "+91 98765 00042", "caller_name": "A. Citizen", "language": "hi",
        "category": "water-leak", "district": "02", "description": "Pipe leaking near the school", "reference": "form-77",
    ]

    @Test func aWebComplaintIsRoutedLikeACallAndRetriesReturnTheSameTicket() async throws {
        let fixture = try Fixture()
        let store = fixture.store
        let logs = fixture.logs
        let number = try await fixture.test { client in
            let response = try await client.execute(uri: "/api/v1/tickets", method: .post, headers: Caller.intake.headers + jsonHeaders, body: jsonBody(Self.complaint))
            #expect(response.status == .created, "\(response.text)")
            let number = try #require(response.json["number"] as? String)
            #expect(response.headers[.location] == "/api/v1/tickets/\(number)")
            // What the IVR would have made of the same complaint.
            #expect(response.json["department"] as? String == "water")
            #expect(response.json["assigned_officer"] as? String == "l1-water-02")
            #expect(response.json["source"] as? String == "api")
            #expect(response.json["caller_number"] as? String == "+919876500042")
            #expect(response.json["description_text"] as? String == "Pipe leaking near the school")
            #expect(response.json["due_at"] as? String == "2026-09-24T14:13:20Z", "the department's L1 SLA: 72 hours")
            let retry = try await client.execute(uri: "/api/v1/tickets", method: .post, headers: Caller.intake.headers + jsonHeaders, body: jsonBody(Self.complaint))
            #expect(retry.status == .ok)
            #expect(retry.json["number"] as? String == number)
            return number
        }
        let history = try #require(try await store.history(number: number))
        #expect(history.events.first?.actor == "web-portal")
        #expect(history.events.first?.note == "registered through web intake")
        #expect(history.decisions.count == 1)
        #expect(history.decisions.first?.department == "water")
        let lines = logs.all.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(lines.contains("*****0042"), "\(lines)")
        #expect(!lines.contains("9876500042"), "no full phone number in the logs")
    }

    @Test(arguments: [
        ("category", "nothing", "unknown_category"), ("district", "99", "unknown_district"), ("caller_number", "12", "invalid_request"),
        ("channel", "fax", "invalid_request"), ("language", "english!", "invalid_request"), ("description", " ", "invalid_request"),
    ])
    func refusesAComplaintItCannotRoute(_ field: String, _ value: String, _ code: String) async throws {
        var body = Self.complaint
        body[field] = value
        let request = body
        try await Fixture().test { client in
            let response = try await client.execute(uri: "/api/v1/tickets", method: .post, headers: Caller.intake.headers + jsonHeaders, body: jsonBody(request))
            #expect(response.status == .badRequest, "\(response.text)")
            #expect(response.errorCode == code)
        }
    }

    @Test func withoutADirectoryIs503() async throws {
        try await Fixture(directory: false).test { client in
            let response = try await client.execute(uri: "/api/v1/tickets", method: .post, headers: Caller.intake.headers + jsonHeaders, body: jsonBody(Self.complaint))
            #expect(response.status == .serviceUnavailable)
            #expect(response.errorCode == "no_directory")
        }
    }
}
