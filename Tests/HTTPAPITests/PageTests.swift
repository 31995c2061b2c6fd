import AMIClient
import Foundation
@testable import HTTPAPI
import HelplineDomain
import Hummingbird
import HummingbirdTesting
import Store
import Testing

/// A browser's cookie jar, as far as the pages need one.
struct Browser {
    var cookies: [String: String] = [:]

    /// The `Cookie` header (and any other headers given).
    func headers(_ extra: HTTPFields = [:]) -> HTTPFields {
        var fields = extra
        if !cookies.isEmpty {
            fields[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        return fields
    }

    /// Keeps the cookies a response sets (an empty value or `Max-Age=0` removes one).
    mutating func take(_ response: TestResponse) {
        for header in response.headers[values: .setCookie] {
            let pair = header.split(separator: ";").first.map(String.init) ?? ""
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else { continue }
            if parts[1].isEmpty || header.contains("Max-Age=0") { cookies[parts[0]] = nil } else { cookies[parts[0]] = parts[1] }
        }
    }

    /// Signs in by posting the caller's token to the sign-in form.
    @discardableResult
    mutating func signIn(_ client: any TestClientProtocol, as caller: Caller, next: String? = nil) async throws -> TestResponse {
        var body = "token=\(caller.secret)"
        if let next { body += "&next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
        let response = try await client.execute(uri: "/signin", method: .post, headers: headers(formHeaders), body: ByteBuffer(string: body))
        take(response)
        return response
    }

    /// GETs a page with the cookies, keeping what it sets.
    mutating func get(_ client: any TestClientProtocol, _ uri: String, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        let response = try await client.execute(uri: uri, method: .get, headers: headers(extra))
        take(response)
        return response
    }

    /// POSTs a form with the cookies.
    mutating func post(_ client: any TestClientProtocol, _ uri: String, _ fields: [(String, String)], headers extra: HTTPFields = [:]) async throws -> TestResponse {
        let body = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        let response = try await client.execute(uri: uri, method: .post, headers: headers(formHeaders + extra), body: ByteBuffer(string: body))
        take(response)
        return response
    }
}

let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

extension TestResponse {
    /// The CSRF token of the page's forms.
    var csrf: String? {
        guard let range = text.range(of: #"name="csrf" value="[^"]+""#, options: .regularExpression) else { return nil }
        return String(text[range].dropFirst(#"name="csrf" value=""#.count).dropLast())
    }

    var location: String? { headers[.location] }
}

extension Fixture {
    /// A ticket with a description text and a recording path.
    func ticket(description: String?, recording: String?, department: String = "water") async throws -> Ticket {
        try await store.createTicket(
            NewTicket(source: .ivr, callerNumber: "9876543210", language: "hi", district: "01", department: department,
                      category: department == "water" ? "water-supply" : "pothole", descriptionRecording: recording, descriptionText: description,
                      officer: department == "water" ? "l1-water-01" : "l1-\(department)", dueAt: Fixture.now.addingTimeInterval(3600)),
            actor: "ivr", at: Fixture.now.addingTimeInterval(-600)
        ).ticket
    }

    /// The history of a ticket as the database holds it.
    func events(_ number: String) async throws -> [(transition: String, actor: String, note: String?)] {
        try await store.history(number: number)?.events.map { ($0.transition, $0.actor, $0.note) } ?? []
    }
}

@Suite struct SignInTests {
    @Test(arguments: [(Caller.monitor, "/dashboard"), (.administrator, "/dashboard"), (.waterL1, "/desk"), (.roadsL1, "/desk")])
    func aGoodTokenGivesASessionCookieAndLandsByRole(_ caller: Caller, _ home: String) async throws {
        try await Fixture().test { client in
            var browser = Browser()
            let form = try await browser.get(client, "/signin")
            #expect(form.status == .ok)
            #expect(form.headers[.contentType] == "text/html; charset=utf-8")
            #expect(form.text.contains(#"<input type="password" id="token" name="token""#))
            let response = try await browser.signIn(client, as: caller)
            #expect(response.status == .seeOther)
            #expect(response.location == home)
            let cookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("helpline_session=") })
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Strict"))
            #expect(cookie.contains("Path=/"))
            #expect(!cookie.contains("Secure"), "plain HTTP without the TLS proxy")
            #expect(!cookie.contains(caller.secret))
            let page = try await browser.get(client, home)
            #expect(page.status == .ok, "\(page.text)")
            #expect(page.text.contains("Signed in as"))
        }
    }

    @Test func theSessionCookieIsSecureBehindTheTLSProxy() async throws {
        try await Fixture().test { client in
            let response = try await client.execute(
                uri: "/signin", method: .post, headers: formHeaders + [HeaderName("X-Forwarded-Proto")!: "https"],
                body: ByteBuffer(string: "token=\(Caller.monitor.secret)"))
            #expect(response.headers[values: .setCookie].first?.contains("Secure") == true)
        }
    }

    @Test func signInGoesBackToThePageAskedForButNeverElsewhere() async throws {
        try await Fixture().test { client in
            var browser = Browser()
            let redirected = try await browser.get(client, "/desk?show=all")
            #expect(redirected.status == .seeOther)
            #expect(redirected.location == "/signin?next=/desk%3Fshow%3Dall")
            let form = try await browser.get(client, redirected.location ?? "")
            #expect(form.text.contains(#"name="next" value="/desk?show=all""#))
            #expect(try await browser.signIn(client, as: .waterL1, next: "/desk?show=all").location == "/desk?show=all")
            for elsewhere in ["//evil.example/x", "https://evil.example/", "/\\evil.example", "desk"] {
                var other = Browser()
                #expect(try await other.signIn(client, as: .waterL1, next: elsewhere).location == "/desk", "\(elsewhere)")
            }
        }
    }

    @Test func aBadTokenIs401CountsAgainstTheLimitAndIsNeverLogged() async throws {
        let fixture = try Fixture { $0.failedAuthenticationsPerMinute = 3 }
        let logs = fixture.logs
        try await fixture.test { client in
            var browser = Browser()
            for attempt in 0..<3 {
                let response = try await browser.post(client, "/signin", [("token", "guess-\(attempt)")])
                #expect(response.status == .unauthorized)
                #expect(response.text.contains("That access token is not valid"))
                #expect(browser.cookies[PageSessions.cookieName] == nil)
            }
            let limited = try await browser.post(client, "/signin", [("token", Caller.monitor.secret)])
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] != nil)
            #expect(limited.text.contains("Too many failed sign-ins"))
            // The same limiter as the API's bearer tokens.
            let api = try await client.execute(uri: "/api/v1/queues", method: .get, headers: Caller.monitor.headers)
            #expect(api.status == .tooManyRequests)
        }
        #expect(logs.all.filter { $0.message == "Sign-in failed" }.count == 3)
        #expect(!logs.all.contains { record in (record.metadata.values.joined() + record.message).contains("guess-") }, "a token is never logged")
    }

    @Test func anEmptyTokenIsNotCountedAndAnIntakeTokenCannotUseThePages() async throws {
        try await Fixture { $0.failedAuthenticationsPerMinute = 1 }.test { client in
            var browser = Browser()
            #expect(try await browser.post(client, "/signin", [("token", "")]).status == .unauthorized)
            #expect(try await browser.post(client, "/signin", [("token", "  ")]).status == .unauthorized)
            let intake = try await browser.signIn(client, as: .intake)
            #expect(intake.status == .forbidden)
            #expect(intake.text.contains("cannot use these pages"))
            #expect(browser.cookies[PageSessions.cookieName] == nil)
            #expect(try await browser.signIn(client, as: .monitor).status == .seeOther, "not limited: no failure was counted")
        }
    }

    @Test func aSignInFromAnotherSiteIsRefused() async throws {
        try await Fixture().test { client in
            var browser = Browser()
            let response = try await browser.post(
                client, "/signin", [("token", Caller.monitor.secret)], headers: [HeaderName("Sec-Fetch-Site")!: "cross-site"])
            #expect(response.status == .forbidden)
            #expect(browser.cookies[PageSessions.cookieName] == nil)
        }
    }

    @Test func signOutEndsTheSession() async throws {
        try await Fixture().test { client in
            var browser = Browser()
            try await browser.signIn(client, as: .waterL1)
            let desk = try await browser.get(client, "/desk")
            let session = try #require(browser.cookies[PageSessions.cookieName])
            let refused = try await browser.post(client, "/signout", [("csrf", "wrong")])
            #expect(refused.status == .forbidden)
            let out = try await browser.post(client, "/signout", [("csrf", desk.csrf ?? "")])
            #expect(out.status == .seeOther)
            #expect(out.location == "/signin")
            #expect(browser.cookies[PageSessions.cookieName] == nil)
            // The old cookie no longer opens anything.
            let again = try await client.execute(uri: "/desk", method: .get, headers: [.cookie: "\(PageSessions.cookieName)=\(session)"])
            #expect(again.status == .seeOther)
            #expect(again.location?.hasPrefix("/signin") == true)
        }
    }

    @Test func aSessionEndsAfterItsLifetime() {
        let sessions = PageSessions(lifetime: 60)
        let session = sessions.create(Principal(name: "desk", role: .monitor), now: Fixture.now)
        #expect(sessions.session(session.id, now: Fixture.now.addingTimeInterval(59)) == session)
        #expect(sessions.session(session.id, now: Fixture.now.addingTimeInterval(60)) == nil)
        #expect(sessions.count == 0)
        #expect(session.id != session.csrfToken)
        #expect(session.id.count == 43, "256 random bits in base64url")
    }

    @Test(arguments: ["/dashboard", "/desk", "/desk/tickets/1000002", "/desk/tickets/1000002/recording", "/"])
    func aPageWithoutASessionLeadsToSignIn(_ path: String) async throws {
        try await Fixture().test { client in
            let response = try await client.execute(uri: path, method: .get, headers: [.cookie: "\(PageSessions.cookieName)=made-up"])
            #expect(response.status == .seeOther)
            #expect(response.location == (path == "/" ? "/signin" : "/signin?next=\(path)"))
        }
    }

    @Test func aFormWithoutASessionIsA401Page() async throws {
        let fixture = try Fixture()
        let ticket = try await fixture.ticket()
        try await fixture.test { client in
            let response = try await client.execute(uri: "/desk/tickets/\(ticket.number)/resolve", method: .post, headers: formHeaders, body: ByteBuffer(string: "report=x"))
            #expect(response.status == .unauthorized)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            #expect(response.text.contains("Sign in again"))
        }
    }
}

@Suite struct DashboardPageTests {
    @Test func showsTodaysFiguresDepartmentsAndLiveQueues() async throws {
        let fixture = try Fixture()
        try await fixture.ticket()
        try await fixture.ticket(createdAt: Fixture.now.addingTimeInterval(-80 * 3600))  // overdue, registered days ago
        try await fixture.ticket(department: "roads")
        let resolved = try await fixture.ticket()
        try await fixture.store.apply(.resolve, to: resolved.number, actor: "desk", at: Fixture.now.addingTimeInterval(-60))
        try await fixture.store.recordCall(CallRecord(uniqueid: "1.1", caller: "9876543210", startedAt: Fixture.now.addingTimeInterval(-120)))
        // Today in the queues: two answered, one abandoned, one still waiting; one answered yesterday.
        let queued: [(QueueCallEvent, TimeInterval)] = [
            (.joined(uniqueid: "2.1", queue: "water-l1", department: "water", callerNumber: nil), 600), (.answered(uniqueid: "2.1", queue: "water-l1", waited: 5, member: nil), 595),
            (.joined(uniqueid: "2.2", queue: "water-l1", department: "water", callerNumber: nil), 500), (.answered(uniqueid: "2.2", queue: "water-l1", waited: 9, member: nil), 491),
            (.joined(uniqueid: "2.3", queue: "roads-l1", department: "roads", callerNumber: nil), 400), (.abandoned(uniqueid: "2.3", queue: "roads-l1", waited: 30), 370),
            (.joined(uniqueid: "2.4", queue: "roads-l1", department: "roads", callerNumber: nil), 60),
            (.joined(uniqueid: "0.1", queue: "water-l1", department: "water", callerNumber: nil), 30 * 3600), (.answered(uniqueid: "0.1", queue: "water-l1", waited: 3, member: nil), 30 * 3600 - 3),
        ]
        for (event, secondsAgo) in queued {
            try await fixture.store.recordQueueEvent(event, pbx: "pbx1", at: Fixture.now.addingTimeInterval(-secondsAgo))
        }
        try await fixture.test { client in
            var browser = Browser()
            try await browser.signIn(client, as: .monitor)
            let page = try await browser.get(client, "/dashboard")
            #expect(page.status == .ok)
            let html = page.text
            #expect(html.contains(#"<meta http-equiv="refresh" content="5">"#))
            #expect(html.contains(#"<div class="figure">1</div><div class="label">Calls today</div>"#), "\(html)")
            #expect(html.contains(#"<div class="figure">2</div><div class="label">Answered by agents today</div>"#), "\(html)")
            #expect(html.contains(#"<div class="figure bad-text">1</div><div class="label">Abandoned in queue today</div>"#), "\(html)")
            #expect(html.contains(#"<div class="figure">3</div><div class="label">Complaints registered today</div>"#))
            #expect(html.contains(#"<div class="figure">1</div><div class="label">Resolved today</div>"#))
            // Water supply: 2 pending (1 overdue), 1 awaiting feedback; every directory department has a row.
            #expect(html.contains(
                #"<tr><td scope="row">Water supply</td><td class="n">2</td><td class="n">0</td><td class="n"><span class="badge overdue">1</span></td><td class="n">1</td><td class="n">2</td><td class="n">1</td></tr>"#),
                "\(html)")
            #expect(html.contains(#"<td scope="row">Roads and bridges</td><td class="n">1</td>"#))
            #expect(html.contains(">Control room<"))
            // The live queue: one caller waiting, one free seat.
            #expect(html.contains(#"<tr><th scope="row">water-l1</th><td class="n">1</td><td class="n">42s</td>"#), "\(html)")
            #expect(!html.contains("9876501234"), "no caller's number on the dashboard")
            #expect(!html.contains("<script"), "no script")
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
        }
    }

    @Test func aStalePBXIsSaid() async throws {
        let fixture = try Fixture(endpoints: ["pbx1", "pbx2"])
        fixture.board.publish(PBXState(name: "pbx2", staleSince: Fixture.now.timeIntervalSince1970 - 300))
        try await fixture.test { client in
            var browser = Browser()
            try await browser.signIn(client, as: .administrator)
            let html = try await browser.get(client, "/dashboard").text
            #expect(html.contains("PBX pbx2 is not live since"))
        }
    }

    @Test(arguments: [Caller.waterL1, .roadsL1])
    func officersGetA403Page(_ caller: Caller) async throws {
        try await Fixture().test { client in
            var browser = Browser()
            try await browser.signIn(client, as: caller)
            let page = try await browser.get(client, "/dashboard")
            #expect(page.status == .forbidden)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.text.contains("<h1>Not allowed</h1>"))
            #expect(page.text.contains("may not see the monitoring dashboard"))
            #expect(page.text.contains(#"<a href="/desk">Back to the desk</a>"#))
        }
    }

    @Test func speaksHindiWithLangHiAndRemembersIt() async throws {
        try await Fixture().test { client in
            var browser = Browser()
            try await browser.signIn(client, as: .monitor)
            let hindi = try await browser.get(client, "/dashboard?lang=hi")
            #expect(hindi.text.contains(#"<html lang="hi">"#))
            #expect(hindi.text.contains("<h1>डैशबोर्ड</h1>"))
            #expect(hindi.text.contains("आज की कॉल"))
            #expect(hindi.text.contains("लाइव कतारें"))
            #expect(hindi.text.contains("जल आपूर्ति"), "the directory's Hindi department names")
            #expect(browser.cookies[PageLanguage.cookieName] == "hi")
            let next = try await browser.get(client, "/desk")
            #expect(next.text.contains("विभाग डेस्क"), "the cookie keeps the language")
            let english = try await browser.get(client, "/desk?lang=en")
            #expect(english.text.contains("Department desk"))
        }
    }

    @Test func followsAcceptLanguage() async throws {
        try await Fixture().test { client in
            let page = try await client.execute(uri: "/signin", method: .get, headers: [.acceptLanguage: "hi-IN,hi;q=0.9,en;q=0.8"])
            #expect(page.text.contains("<h1>साइन इन करें</h1>"))
        }
        #expect(PageLanguage.accepted("en-GB, hi;q=0.5") == .english)
        #expect(PageLanguage.accepted("vi, hi;q=0.3") == .hindi)
        #expect(PageLanguage.accepted("hi;q=0, fr") == .english)
        #expect(PageLanguage.accepted("") == .english)
    }
}

@Suite struct DeskPageTests {
    @Test func anOfficerSeesTheOwnDepartmentOnly() async throws {
        let fixture = try Fixture()
        let water = try await fixture.ticket()
        let roads = try await fixture.ticket(department: "roads")
        try await fixture.test { client in
            var browser = Browser()
            try await browser.signIn(client, as: .waterL1)
            let list = try await browser.get(client, "/desk")
            #expect(list.status == .ok)
            #expect(list.text.contains("<h1>Complaints of Water supply</h1>"))
            #expect(list.text.contains(#"<a href="/desk/tickets/\#(water.number)">"#))
            #expect(!list.text.contains(roads.number))
            #expect(list.text.contains("******3210"), "numbers masked in the list")
            let other = try await browser.get(client, "/desk?department=roads")
            #expect(other.status == .forbidden)
            #expect(other.text.contains("may list the tickets of department &#39;water&#39; only"))
            let page = try await browser.get(client, "/desk/tickets/\(roads.number)")
            #expect(page.status == .forbidden)
            #expect(page.text.contains("<h1>Not allowed</h1>"))
            #expect(!page.text.contains("9876543210"))
            let recording = try await browser.get(client, "/desk/tickets/\(roads.number)/recording")
            #expect(recording.status == .forbidden)
        }
    }

    @Test func aMonitorSeesEveryDepartmentReadOnly() async throws {
        let fixture = try Fixture()
        let water = try await fixture.ticket()
        let roads = try await fixture.ticket(department: "roads")
        try await fixture.test { client in
            var browser = Browser()
            try await browser.signIn(client, as: .monitor)
            let list = try await browser.get(client, "/desk")
            #expect(list.text.contains(water.number) && list.text.contains(roads.number))
            #expect(list.text.contains(#"<select id="department" name="department">"#))
            let roadsOnly = try await browser.get(client, "/desk?department=roads")
            #expect(!roadsOnly.text.contains(water.number))
            let page = try await browser.get(client, "/desk/tickets/\(water.number)")
            #expect(page.status == .ok)
            #expect(page.text.contains("Your access is read-only."))
            #expect(!page.text.contains(#"id="resolve""#))
            let resolve = try await browser.post(client, "/desk/tickets/\(water.number)/resolve", [("csrf", page.csrf ?? ""), ("report", "done")])
            #expect(resolve.status == .forbidden)
            #expect(try await fixture.store.ticket(number: water.number)?.status == .assigned)
        }
    }

    @Test func theListFiltersByStatusAndPages() async throws {
        let fixture = try Fixture()
        var numbers: [String] = []
        for index in 0..<52 { numbers.append(try await fixture.ticket(createdAt: Fixture.now.addingTimeInterval(Double(index * 60 - 7200))).number) }
        try await fixture.store.apply(.resolve, to: numbers[0], actor: "desk", at: Fixture.now)
        try await fixture.test { [numbers] client in
            var browser = Browser()
            try await browser.signIn(client, as: .waterL1)
            let first = try await browser.get(client, "/desk")
            #expect(!first.text.contains(numbers[0]), "resolved: not to act on")
            #expect(first.text.contains(numbers[50]))
            #expect(!first.text.contains(numbers[51]))
            #expect(first.text.contains(#"<a href="/desk?show=open&amp;offset=50" rel="next">"#))
            let second = try await browser.get(client, "/desk?show=open&offset=50")
            #expect(second.text.contains(numbers[51]))
            let awaiting = try await browser.get(client, "/desk?show=awaiting")
            #expect(awaiting.text.contains(numbers[0]) && !awaiting.text.contains(numbers[1]))
        }
    }

    @Test func theTicketPageShowsHistoryAndTheResolveForm() async throws {
        let fixture = try Fixture()
        let ticket = try await fixture.ticket(description: "No water since Monday", recording: nil)
        try await fixture.test { client in
            var browser = Browser()
            try await browser.signIn(client, as: .waterL1)
            let page = try await browser.get(client, "/desk/tickets/\(ticket.number)")
            #expect(page.status == .ok)
            let html = page.text
            #expect(html.contains("<h1>Complaint \(ticket.number)</h1>"))
            #expect(html.contains(#"<a href="tel:9876543210">9876543210</a>"#), "the full number, to call the citizen back")
            #expect(html.contains("No water since Monday"))
            #expect(html.contains("No recording was made for this complaint."))
            #expect(html.contains(#"<form class="stacked" id="resolve" method="post" action="/desk/tickets/\#(ticket.number)/resolve">"#))
            #expect(page.csrf != nil)
            #expect(html.contains("<td>ivr</td>"), "the history's actor")
            #expect(html.contains("<td>Assigned</td>"), "the history's steps in words")
            let hindi = try await browser.get(client, "/desk/tickets/\(ticket.number)?lang=hi").text
            #expect(hindi.contains("<td>दर्ज हुई</td>") && hindi.contains("<td>सौंपी गई</td>"), "and in Hindi")
        }
    }

    @Test func theResolveFormResolvesAsTheAPIDoesWithTheTokensName() async throws {
        let fixture = try Fixture()
        let ticket = try await fixture.ticket()
        try await fixture.test { client in
            var browser = Browser()
            try await browser.signIn(client, as: .waterL1)
            let page = try await browser.get(client, "/desk/tickets/\(ticket.number)")
            let csrf = try #require(page.csrf)
            let response = try await browser.post(
                client, "/desk/tickets/\(ticket.number)/resolve", [("csrf", csrf), ("report", "Pipe repaired & water back")],
                headers: [HeaderName("Origin")!: "http://localhost", HeaderName("Sec-Fetch-Site")!: "same-origin"])
            #expect(response.status == .seeOther, "\(response.text)")
            #expect(response.location == "/desk/tickets/\(ticket.number)?resolved=1")
            let after = try await browser.get(client, response.location ?? "")
            #expect(after.text.contains("is marked resolved"))
            #expect(!after.text.contains(#"id="resolve""#), "no form for a resolved ticket")
            // Twice is a conflict, answered as a page.
            let again = try await browser.post(client, "/desk/tickets/\(ticket.number)/resolve", [("csrf", csrf), ("report", "again")])
            #expect(again.status == .conflict)
            #expect(again.text.contains("<h1>Not possible now</h1>"))
        }
        #expect(try await fixture.store.ticket(number: ticket.number)?.status == .resolved)
        let last = try #require(try await fixture.events(ticket.number).last)
        #expect(last.transition == "resolved")
        #expect(last.actor == "desk-water-l1")
        #expect(last.note == "Pipe repaired & water back")
        #expect(try await fixture.store.outbox(ticketNumber: ticket.number).map(\.kind) == [.sms], "the resolution's SMS is queued, once")
    }

    @Test(arguments: [
        ("missing", [HeaderName: String]()), ("wrong", [:]), ("right", [HeaderName("Origin")!: "https://evil.example"]),
        ("right", [HeaderName("Sec-Fetch-Site")!: "cross-site"]), ("right", [HeaderName("Origin")!: "null"]),
    ])
    func aFormWithoutTheSessionsTokenOrFromElsewhereIsRefused(_ token: String, _ extra: [HeaderName: String]) async throws {
        let fixture = try Fixture()
        let ticket = try await fixture.ticket()
        try await fixture.test { client in
            var browser = Browser()
            try await browser.signIn(client, as: .waterL1)
            let page = try await browser.get(client, "/desk/tickets/\(ticket.number)")
            var fields = [("report", "forged")]
            switch token {
            case "right": fields.append(("csrf", page.csrf ?? ""))
            case "wrong": fields.append(("csrf", PageSessions.randomToken()))
            default: break
            }
            var headers: HTTPFields = [:]
            for (name, value) in extra { headers[name] = value }
            let response = try await browser.post(client, "/desk/tickets/\(ticket.number)/resolve", fields, headers: headers)
            #expect(response.status == .forbidden)
            #expect(response.text.contains("The form did not come from this page"))
        }
        #expect(try await fixture.store.ticket(number: ticket.number)?.status == .assigned)
        #expect(try await fixture.events(ticket.number).map(\.transition) == ["registered", "assigned"])
    }

    @Test func anOfficerOfAnotherLevelCannotResolve() async throws {
        let fixture = try Fixture()
        let ticket = try await fixture.ticket()
        let escalated = try await fixture.escalatedTicket()
        try await fixture.test { client in
            var browser = Browser()
            try await browser.signIn(client, as: .waterL2)
            let page = try await browser.get(client, "/desk/tickets/\(ticket.number)")
            #expect(page.text.contains("This complaint is at L1; your desk resolves L2 complaints only."))
            #expect(!page.text.contains(#"id="resolve""#))
            let refused = try await browser.post(client, "/desk/tickets/\(ticket.number)/resolve", [("csrf", page.csrf ?? ""), ("report", "done")])
            #expect(refused.status == .forbidden)
            #expect(refused.text.contains("the token &#39;desk-water-l2&#39; may resolve L1 tickets only") == false)
            #expect(refused.text.contains("may resolve L2 tickets only"))
            let own = try await browser.get(client, "/desk/tickets/\(escalated.number)")
            #expect(own.text.contains(#"id="resolve""#))
            let resolved = try await browser.post(client, "/desk/tickets/\(escalated.number)/resolve", [("csrf", own.csrf ?? ""), ("report", "disposed at L2")])
            #expect(resolved.status == .seeOther)
        }
        #expect(try await fixture.events(escalated.number).last?.actor == "desk-water-l2")
    }

    @Test func anEmptyReportIsA400Page() async throws {
        let fixture = try Fixture()
        let ticket = try await fixture.ticket()
        try await fixture.test { client in
            var browser = Browser()
            try await browser.signIn(client, as: .waterL1)
            let page = try await browser.get(client, "/desk/tickets/\(ticket.number)")
            let response = try await browser.post(client, "/desk/tickets/\(ticket.number)/resolve", [("csrf", page.csrf ?? ""), ("report", "   ")])
            #expect(response.status == .badRequest)
            #expect(response.text.contains("report must not be empty"))
        }
    }

    @Test(arguments: [("1000003", HTTPResponse.Status.badRequest, "check digit"), ("12x", .badRequest, "not a ticket number"), (TicketNumber(serial: 999_999).description, .notFound, "no ticket has the number")])
    func aBadNumberIsAnErrorPage(_ number: String, _ status: HTTPResponse.Status, _ message: String) async throws {
        try await Fixture().test { client in
            var browser = Browser()
            try await browser.signIn(client, as: .administrator)
            let page = try await browser.get(client, "/desk/tickets/\(number)")
            #expect(page.status == status)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.text.contains(message), "\(page.text)")
        }
    }

    @Test func aMistypedPageAddressIsAPageAndAnUnknownAPIPathStaysJSON() async throws {
        try await Fixture().test { client in
            let page = try await client.execute(uri: "/desk/nowhere?lang=hi", method: .get, headers: [.accept: "text/html,application/xhtml+xml"])
            #expect(page.status == .notFound)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.text.contains("<h1>नहीं मिला</h1>"))
            let api = try await client.execute(uri: "/api/v1/nowhere", method: .get, headers: [.accept: "text/html"])
            #expect(api.status == .notFound)
            #expect(api.errorCode == "not_found")
        }
    }

    @Test func everyValueIsEscaped() async throws {
        let fixture = try Fixture()
        let ticket = try await fixture.ticket(description: #"<script>alert("x")</script> & 'quotes'"#, recording: nil)
        try await fixture.test { client in
            var browser = Browser()
            try await browser.signIn(client, as: .waterL1)
            let html = try await browser.get(client, "/desk/tickets/\(ticket.number)").text
            #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;"))
            #expect(!html.contains("<script"))
            let reflected = try await browser.get(client, "/desk?show=%3Cscript%3E&lang=%22%3E%3Cscript%3E")
            #expect(!reflected.text.contains("<script"))
        }
        #expect(HTML.escape(#"<a href="x">'&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        let value = "<b>"
        let html: HTML = "<p title=\"\(value)\">\(value)</p>"
        #expect(html.description == "<p title=\"&lt;b&gt;\">&lt;b&gt;</p>")
    }
}

@Suite struct RecordingPageTests {
    /// A recordings folder with one file in it, a file beside it and a link out of it.
    static func folders() throws -> (root: URL, recordings: URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("helpline-recordings-\(UUID().uuidString)")
        let recordings = root.appendingPathComponent("sounds/helpline/recordings")
        try FileManager.default.createDirectory(at: recordings, withIntermediateDirectories: true)
        try Data("RIFF0000WAVEfmt ".utf8 + Array(repeating: 0, count: 84)).write(to: recordings.appendingPathComponent("1.1-7.wav"))
        try Data("secret".utf8).write(to: root.appendingPathComponent("outside.wav"))
        try FileManager.default.createSymbolicLink(at: recordings.appendingPathComponent("link.wav"), withDestinationURL: root.appendingPathComponent("outside.wav"))
        return (root, recordings)
    }

    @Test func playsARecordingInsideTheFolder() async throws {
        let (root, recordings) = try Self.folders()
        defer { try? FileManager.default.removeItem(at: root) }
        let fixture = try Fixture {
            $0.recordingsFolder = recordings.path
            $0.soundsFolder = root.appendingPathComponent("sounds").path
        }
        // As the menus' record writes it: relative to Asterisk's sounds folder.
        let relative = try await fixture.ticket(description: nil, recording: "helpline/recordings/1.1-7.wav")
        let absolute = try await fixture.ticket(description: nil, recording: recordings.appendingPathComponent("1.1-7.wav").path)
        try await fixture.test { client in
            var browser = Browser()
            try await browser.signIn(client, as: .waterL1)
            for ticket in [relative, absolute] {
                let page = try await browser.get(client, "/desk/tickets/\(ticket.number)")
                #expect(page.text.contains(#"<audio controls preload="metadata" src="/desk/tickets/\#(ticket.number)/recording"></audio>"#))
                #expect(page.text.contains("The citizen&#39;s description is in the recording only."))
                let audio = try await browser.get(client, "/desk/tickets/\(ticket.number)/recording")
                #expect(audio.status == .ok)
                #expect(audio.headers[.contentType] == "audio/wav")
                #expect(audio.headers[.acceptRanges] == "bytes")
                #expect(audio.body.readableBytes == 100)
                #expect(String(buffer: audio.body).hasPrefix("RIFF"))
                let part = try await browser.get(client, "/desk/tickets/\(ticket.number)/recording", headers: [.range: "bytes=4-7"])
                #expect(part.status == .partialContent)
                #expect(part.headers[.contentRange] == "bytes 4-7/100")
                #expect(String(buffer: part.body) == "0000")
                let beyond = try await browser.get(client, "/desk/tickets/\(ticket.number)/recording", headers: [.range: "bytes=200-"])
                #expect(beyond.status == .rangeNotSatisfiable)
                // The same file through the API, with a bearer token: a department portal's way.
                let api = try await client.execute(uri: "/api/v1/tickets/\(ticket.number)/recording", method: .get, headers: Caller.waterL1.headers)
                #expect(api.status == .ok && api.headers[.contentType] == "audio/wav" && api.body.readableBytes == 100)
                let apiPart = try await client.execute(uri: "/api/v1/tickets/\(ticket.number)/recording", method: .get, headers: Caller.monitor.headers + [.range: "bytes=0-3"])
                #expect(apiPart.status == .partialContent && String(buffer: apiPart.body) == "RIFF")
                let otherDepartment = try await client.execute(uri: "/api/v1/tickets/\(ticket.number)/recording", method: .get, headers: Caller.roadsL1.headers)
                #expect(otherDepartment.status == .forbidden)
                let noToken = try await client.execute(uri: "/api/v1/tickets/\(ticket.number)/recording", method: .get)
                #expect(noToken.status == .unauthorized)
            }
            let none = try await fixture.ticket(description: "typed", recording: nil)
            let missing = try await client.execute(uri: "/api/v1/tickets/\(none.number)/recording", method: .get, headers: Caller.waterL1.headers)
            #expect(missing.status == .notFound && missing.errorCode == "recording_not_found")
        }
    }

    @Test(arguments: ["helpline/recordings/../../../outside.wav", "OUTSIDE", "helpline/recordings/link.wav", "helpline/recordings/missing.wav", "/etc/passwd", "helpline/recordings"])
    func neverOpensAPathOutsideTheFolder(_ stored: String) async throws {
        let (root, recordings) = try Self.folders()
        defer { try? FileManager.default.removeItem(at: root) }
        let fixture = try Fixture {
            $0.recordingsFolder = recordings.path
            $0.soundsFolder = root.appendingPathComponent("sounds").path
        }
        let ticket = try await fixture.ticket(description: nil, recording: stored == "OUTSIDE" ? root.appendingPathComponent("outside.wav").path : stored)
        try await fixture.test { client in
            var browser = Browser()
            try await browser.signIn(client, as: .waterL1)
            let page = try await browser.get(client, "/desk/tickets/\(ticket.number)")
            #expect(page.text.contains("The recording is not available on this server."))
            #expect(!page.text.contains("<audio"))
            let audio = try await browser.get(client, "/desk/tickets/\(ticket.number)/recording")
            #expect(audio.status == .notFound)
            #expect(!audio.text.contains("secret"))
            let api = try await client.execute(uri: "/api/v1/tickets/\(ticket.number)/recording", method: .get, headers: Caller.administrator.headers)
            #expect(api.status == .notFound && api.errorCode == "recording_not_found")
            #expect(!api.text.contains("secret"))
        }
    }

    @Test func noFolderConfiguredPlaysNothing() async throws {
        let (root, recordings) = try Self.folders()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(DeskPages.recordingFile(recordings.appendingPathComponent("1.1-7.wav").path, folder: nil, sounds: "/") == nil)
        #expect(DeskPages.recordingFile(recordings.appendingPathComponent("1.1-7.wav").path, folder: recordings.path, sounds: "/") != nil)
        #expect(DeskPages.recordingFile(recordings.appendingPathComponent("1.1-7.wav").path, folder: recordings.path + "/", sounds: "/") != nil)
        #expect(DeskPages.recordingFile(recordings.path + "-other/x.wav", folder: recordings.path, sounds: "/") == nil)
    }

    @Test(arguments: [
        ("bytes=0-9", 0...9), ("bytes=90-", 90...99), ("bytes=-10", 90...99), ("bytes=95-200", 95...99),
        ("bytes=100-", nil), ("bytes=5-2", nil), ("bytes=0-1,4-5", nil), ("items=0-1", nil), ("bytes=-0", nil), ("bytes=x-", nil),
    ] as [(String, ClosedRange<Int>?)])
    func rangesAreRead(_ header: String, _ expected: ClosedRange<Int>?) {
        #expect(DeskPages.byteRange(header, size: 100) == expected)
    }
}

@Suite struct PageStringTests {
    @Test func everyStringIsThereInEveryLanguageWithTheSameArguments() {
        for key in PageText.allCases {
            let english = key.english
            let hindi = key.hindi
            #expect(!english.isEmpty && !hindi.isEmpty, "\(key)")
            let places = { (text: String) in ["{1}", "{2}"].filter { text.contains($0) } }
            #expect(places(english) == places(hindi), "\(key): the same arguments")
            // Written in Devanagari (not transliterated), but for the few words kept in Latin letters.
            #expect(hindi.unicodeScalars.contains { (0x0900...0x097F).contains($0.value) }, "\(key): \(hindi)")
        }
        #expect(PageStrings(language: .hindi)(.ticket, "1000002") == "शिकायत 1000002")
    }

    @Test func onlyLocalPathsAreFollowed() {
        #expect(PageRoutes.localPath("/desk?show=all") == "/desk?show=all")
        for elsewhere in ["//evil.example", "https://evil.example", "/\\evil", "desk", "/desk\r\nSet-Cookie: x", ""] {
            #expect(PageRoutes.localPath(elsewhere) == nil, "\(elsewhere)")
        }
        #expect(PageRoutes.parseForm("a=1&b=x+y%21&a=2&c&=z") == ["a": "1", "b": "x y!", "c": ""])
    }
}
