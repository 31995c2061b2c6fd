import Foundation
import Hummingbird
import Routing
import HelplineDomain
import Store

/// The frame every page shares: head, header with navigation, language switch and sign-out,
/// and the stylesheet (served from `/pages.css`, so the pages need no inline style or script).
enum PageLayout {
    /// No scripts at all; styles, media and forms from this site only; never framed.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// What a page is about, for its navigation.
    enum Section {
        case dashboard, desk, signIn, error
    }

    /// A whole page.
    ///
    /// - Parameters:
    ///   - title: The page's title (escaped).
    ///   - section: Which navigation entry is current.
    ///   - context: The request's context: its language and, when signed in, its session.
    ///   - request: The request (the language switch links back to its path).
    ///   - refresh: Seconds after which the browser reloads the page; nil: never.
    ///   - main: The page's content.
    static func page(title: String, section: Section, context: APIRequestContext, request: Request, refresh: Int? = nil, main: HTML) -> HTML {
        let t = PageStrings(language: context.pageLanguage)
        let language = context.pageLanguage
        var navigation: [HTML] = []
        if let session = context.pageSession {
            let kind = session.principal.role.kind
            if kind == .administrator || kind == .monitor {
                navigation.append(link("/dashboard", t(.dashboard), current: section == .dashboard))
            }
            if kind != .intake {
                navigation.append(link("/desk", t(.desk), current: section == .desk))
            }
        }
        let switcher = HTML(joining: PageLanguage.allCases.map { other -> HTML in
            other == language
                ? "<strong lang=\"\(other.rawValue)\">\(other.ownName)</strong>"
                : "<a lang=\"\(other.rawValue)\" hreflang=\"\(other.rawValue)\" href=\"\(switchLink(request, to: other))\">\(other.ownName)</a>"
        })
        var account = HTML.empty
        if let session = context.pageSession {
            account = """
                <form class="signout" method="post" action="/signout">\(csrfField(session))\
                <span>\(t(.signedInAs, session.principal.name))</span> <button type="submit">\(t(.signOut))</button></form>
                """
        }
        let refreshTag: HTML = refresh.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" } ?? .empty
        return """
            <!DOCTYPE html>
            <html lang="\(language.rawValue)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            \(refreshTag)
            <title>\(title) · \(t(.appName))</title>
            <link rel="stylesheet" href="/pages.css">
            </head>
            <body>
            <header>
            <div class="brand">\(t(.appName))</div>
            <nav>\(navigation)</nav>
            <div class="tools"><span class="languages" aria-label="\(t(.language))">\(switcher)</span>\(account)</div>
            </header>
            <main>
            <h1>\(title)</h1>
            \(main)
            </main>
            </body>
            </html>

            """
    }

    static func link(_ path: String, _ text: String, current: Bool) -> HTML {
        current ? "<a href=\"\(path)\" aria-current=\"page\">\(text)</a>" : "<a href=\"\(path)\">\(text)</a>"
    }

    /// The hidden field every form of a signed-in page carries.
    static func csrfField(_ session: PageSessions.Session) -> HTML {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(session.csrfToken)\">"
    }

    /// The request's own path and query with `lang` set to `language`.
    static func switchLink(_ request: Request, to language: PageLanguage) -> String {
        var parts = request.uri.queryParameters.filter { $0.key != "lang" }.map { "\(HTML.queryValue(String($0.key)))=\(HTML.queryValue(String($0.value)))" }
        parts.sort()
        parts.append("lang=\(language.rawValue)")
        return request.uri.path + "?" + parts.joined(separator: "&")
    }

    /// The stylesheet: readable on a phone (one column, tables scroll sideways) and on a laptop.
    static let stylesheet = """
        :root { --ink: #1d2733; --muted: #5b6775; --line: #d5dbe2; --brand: #0b5394; --bad: #b3261e; --good: #1e7b34; --warn: #8a5a00; --bg: #f5f7fa; }
        * { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; }
        body { margin: 0; font-family: system-ui, "Noto Sans", "Noto Sans Devanagari", "Lohit Devanagari", "Nirmala UI", sans-serif;
               font-size: 16px; line-height: 1.5; color: var(--ink); background: var(--bg); }
        header { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; padding: .6rem 1rem; background: var(--brand); color: #fff; }
        header a, header a:visited { color: #fff; }
        .brand { font-weight: 700; font-size: 1.1rem; }
        nav { display: flex; gap: 1rem; flex-wrap: wrap; }
        nav a[aria-current] { font-weight: 700; text-decoration: underline; text-underline-offset: .25em; }
        .tools { margin-left: auto; display: flex; gap: 1rem; flex-wrap: wrap; align-items: center; }
        .languages { display: flex; gap: .6rem; }
        .signout { display: flex; gap: .5rem; align-items: center; margin: 0; }
        .signout button { background: transparent; color: #fff; border: 1px solid #fff; }
        main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
        h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
        h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
        a { color: var(--brand); }
        .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: .75rem; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: .5rem; padding: .75rem 1rem; }
        .card .figure { font-size: 2rem; font-weight: 700; line-height: 1.2; }
        .card .label { color: var(--muted); font-size: .9rem; }
        .scroll { overflow-x: auto; background: #fff; border: 1px solid var(--line); border-radius: .5rem; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .45rem .7rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: #eef2f6; font-weight: 600; white-space: nowrap; }
        td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
        tr:last-child td { border-bottom: none; }
        .bad-text { color: var(--bad); }
        .badge { display: inline-block; padding: 0 .45rem; border-radius: .8rem; font-size: .85rem; background: #e4e9ef; white-space: nowrap; }
        .badge.overdue, .bad { color: #fff; background: var(--bad); }
        .badge.resolved { background: #d7eedc; color: var(--good); }
        .badge.escalated { background: #fbe7c6; color: var(--warn); }
        .notice { padding: .75rem 1rem; border-radius: .5rem; background: #d7eedc; border: 1px solid #9fd0aa; }
        .warning { padding: .75rem 1rem; border-radius: .5rem; background: #fbe7c6; border: 1px solid #e6c27d; }
        .error { padding: .75rem 1rem; border-radius: .5rem; background: #fde2e0; border: 1px solid #f0a8a2; }
        .muted { color: var(--muted); font-size: .9rem; }
        .filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: .5rem 0 1rem; }
        .filters a, .filters strong { padding: .2rem .7rem; border-radius: 1rem; border: 1px solid var(--line); background: #fff; text-decoration: none; }
        .filters strong { background: var(--brand); color: #fff; border-color: var(--brand); }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; background: #fff; border: 1px solid var(--line); border-radius: .5rem; padding: .75rem 1rem; margin: 0; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; overflow-wrap: anywhere; }
        .description { white-space: pre-wrap; background: #fff; border: 1px solid var(--line); border-radius: .5rem; padding: .75rem 1rem; overflow-wrap: anywhere; }
        audio { width: 100%; max-width: 32rem; }
        form.stacked { display: grid; gap: .5rem; max-width: 40rem; }
        label { font-weight: 600; }
        input[type=password], input[type=text], textarea, select { font: inherit; padding: .5rem; border: 1px solid #9aa6b2; border-radius: .35rem; width: 100%; }
        textarea { min-height: 7rem; }
        button { font: inherit; padding: .5rem 1rem; border-radius: .35rem; border: 1px solid var(--brand); background: var(--brand); color: #fff; cursor: pointer; justify-self: start; }
        .pager { display: flex; gap: 1rem; margin-top: .75rem; }
        @media (max-width: 40rem) {
            main { padding: .75rem; }
            h1 { font-size: 1.25rem; }
            .tools { margin-left: 0; }
            dl.facts { grid-template-columns: 1fr; }
            dl.facts dd { margin-bottom: .4rem; }
            .card .figure { font-size: 1.6rem; }
        }

        """
}

/// Times, durations and names as the pages show them.
struct PageFormat: Sendable {
    /// The helpline's local time, seconds east of UTC.
    let utcOffset: Int

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// `2026-09-21 19:43` in the helpline's local time.
    func time(_ date: Date) -> String {
        let parts = Self.calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date.addingTimeInterval(Double(utcOffset)))
        return String(format: "%04d-%02d-%02d %02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }

    /// `19:43:20` in the helpline's local time.
    func clock(_ date: Date) -> String {
        let parts = Self.calendar.dateComponents([.hour, .minute, .second], from: date.addingTimeInterval(Double(utcOffset)))
        return String(format: "%02d:%02d:%02d", parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
    }

    /// `42s`, `3m05s`, `2h10m`.
    static func duration(_ seconds: Double) -> String {
        let total = Int(max(0, seconds).rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return "\(total / 3600)h\(String(format: "%02d", total % 3600 / 60))m"
    }
}

/// Names of departments, categories and districts in the page's language, from the routing
/// directory (its `names`), falling back to English and then to the id.
struct PageNames: Sendable {
    let directory: Directory?
    let language: PageLanguage

    func department(_ id: String) -> String {
        pick(directory?.departments[id]?.names, id)
    }

    func category(_ id: String?) -> String {
        guard let id else { return "–" }
        return pick(directory?.categories[id]?.names, id)
    }

    func district(_ code: String?) -> String {
        guard let code else { return "–" }
        return pick(directory?.districts[code]?.names, code)
    }

    private func pick(_ names: [String: String]?, _ id: String) -> String {
        names?[language.rawValue] ?? names?["en"] ?? id
    }
}
