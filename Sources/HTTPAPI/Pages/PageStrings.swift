import Foundation
import Hummingbird
import Store
import HelplineDomain

/// The languages the pages are written in.
///
/// A page's language is, in order: `?lang=` in its address (which the pages then remember in a
/// cookie), the `helpline_lang` cookie, the browser's `Accept-Language`, else English.
enum PageLanguage: String, CaseIterable, Sendable {
    case english = "en"
    case hindi = "hi"

    /// The language's name in itself, for the language switch.
    var ownName: String {
        switch self {
        case .english: "English"
        case .hindi: "हिन्दी"
        }
    }

    /// The cookie that remembers a chosen language.
    static let cookieName = "helpline_lang"

    /// The language a request asks for.
    static func of(_ request: Request) -> PageLanguage {
        if let query = request.uri.queryParameters["lang"], let language = PageLanguage(rawValue: String(query)) {
            return language
        }
        if let cookie = request.cookies[cookieName]?.value, let language = PageLanguage(rawValue: cookie) {
            return language
        }
        return accepted(request.headers[.acceptLanguage] ?? "")
    }

    /// The first language of an `Accept-Language` header the pages have (quality weights
    /// honoured; a weight of 0 refuses), else English.
    static func accepted(_ header: String) -> PageLanguage {
        var best: (language: PageLanguage, weight: Double)?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first?.lowercased() else { continue }
            let primary = String(tag.split(separator: "-").first ?? "")
            var weight = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                weight = Double(parameter.dropFirst(2)) ?? 0
            }
            guard weight > 0, let language = PageLanguage(rawValue: primary) else { continue }
            if best == nil || weight > best!.weight { best = (language, weight) }
        }
        return best?.language ?? .english
    }
}

/// A string of the pages. Each language has its own table below (an exhaustive switch, so a
/// string cannot be missing in one language); `{1}`, `{2}` are the places of arguments.
enum PageText: CaseIterable, Sendable {
    case appName, dashboard, desk, signIn, signOut, signedInAs, language
    case tokenLabel, signInHelp, signInFailed, signInNoPages, tooManyAttempts, sessionExpired
    case callsToday, answeredToday, abandonedToday, complaintsToday, resolvedToday, escalatedToday, byDepartment, department
    case pending, awaitingFeedback, escalated, overdue, total, noTickets
    case liveQueues, queue, waiting, longestWait, estimatedWait, freeSeats, loggedIn, onCall, paused, answered, abandoned
    case pbxStale, pbxNotConnected, noQueues, noSeats, updatedAt, callsNote
    case tickets, ticket, number, status, level, category, district, caller, callerName, registeredAt, dueAt, officer, reopened, source
    case show, filterOpen, filterAwaiting, filterClosed, filterAll, previousPage, nextPage, departmentTickets, allDepartments
    case description, noDescription, recording, noRecording, recordingUnavailable, history, when, by, note
    case event, resolve, resolveReport, resolveHelp, resolveButton, resolvedNotice, cannotResolveHere, readOnly
    case errorTitle, badRequest, unauthorizedTitle, forbiddenTitle, notFoundTitle, conflictTitle, tooManyTitle, serverErrorTitle
    case forbiddenCSRF, backToDesk, backToDashboard, signInAgain
    case statusRegistered, statusAssigned, statusResolved, statusReopened, statusEscalated, statusClosed, statusCancelled, statusDuplicate
    case stepRegistered, stepAssigned, stepReassigned, stepResolved, stepReopened, stepEscalated, stepClosed, stepClosedDissatisfied
    case stepCancelled, stepDuplicate, stepNote

    /// The text in `language`.
    func text(_ language: PageLanguage) -> String {
        switch language {
        case .english: english
        case .hindi: hindi
        }
    }

    /// The English table.
    var english: String {
        switch self {
        case .appName: "Grievance helpline"
        case .dashboard: "Dashboard"
        case .desk: "Department desk"
        case .signIn: "Sign in"
        case .signOut: "Sign out"
        case .signedInAs: "Signed in as {1}"
        case .language: "Language"
        case .tokenLabel: "Your access token"
        case .signInHelp: "Paste the access token the helpline administrator gave you. The page keeps it nowhere; you stay signed in on this browser for {1} hours or until you sign out."
        case .signInFailed: "That access token is not valid. Check that it was pasted whole."
        case .signInNoPages: "This access token is for a website or chat front end; it cannot use these pages."
        case .tooManyAttempts: "Too many failed sign-ins from this address. Try again in {1} seconds."
        case .sessionExpired: "Your session has ended. Sign in again."
        case .callsToday: "Calls today"
        case .answeredToday: "Answered by agents today"
        case .abandonedToday: "Abandoned in queue today"
        case .complaintsToday: "Complaints registered today"
        case .resolvedToday: "Resolved today"
        case .escalatedToday: "Escalated to L2 today"
        case .byDepartment: "Complaints by department"
        case .department: "Department"
        case .pending: "Pending"
        case .awaitingFeedback: "Resolved, awaiting feedback"
        case .escalated: "Escalated (L2)"
        case .overdue: "Overdue"
        case .total: "Total"
        case .noTickets: "No complaints to show."
        case .liveQueues: "Live queues"
        case .queue: "Queue"
        case .waiting: "Callers waiting"
        case .longestWait: "Longest wait"
        case .estimatedWait: "Estimated wait"
        case .freeSeats: "Free seats"
        case .loggedIn: "Seats logged in"
        case .onCall: "On call"
        case .paused: "Paused"
        case .answered: "Answered"
        case .abandoned: "Abandoned"
        case .pbxStale: "PBX {1} is not live since {2}: its figures may be out of date."
        case .pbxNotConnected: "PBX {1} is not connected yet."
        case .noQueues: "No queues are known yet."
        case .noSeats: "no seats"
        case .updatedAt: "Updated at {1}. This page refreshes itself every {2} seconds."
        case .callsNote: "Calls today: IVR sessions started today. Answered and abandoned today: calls that joined a department queue today. In the live queues, answered and abandoned are Asterisk's counters since its queues were last reset."
        case .tickets: "Complaints"
        case .ticket: "Complaint {1}"
        case .number: "Number"
        case .status: "Status"
        case .level: "Level"
        case .category: "Category"
        case .district: "District"
        case .caller: "Citizen's number"
        case .callerName: "Citizen's name"
        case .registeredAt: "Registered"
        case .dueAt: "Due"
        case .officer: "Officer"
        case .reopened: "Times reopened"
        case .source: "Registered through"
        case .show: "Show"
        case .filterOpen: "To act on"
        case .filterAwaiting: "Awaiting feedback"
        case .filterClosed: "Closed"
        case .filterAll: "All"
        case .previousPage: "Previous page"
        case .nextPage: "Next page"
        case .departmentTickets: "Complaints of {1}"
        case .allDepartments: "All departments"
        case .description: "Description"
        case .noDescription: "The citizen's description is in the recording only."
        case .recording: "Recording"
        case .noRecording: "No recording was made for this complaint."
        case .recordingUnavailable: "The recording is not available on this server."
        case .history: "History"
        case .when: "When"
        case .by: "By"
        case .note: "Note"
        case .event: "Event"
        case .resolve: "Resolve this complaint"
        case .resolveReport: "Resolution report"
        case .resolveHelp: "Say what was done. The citizen gets an SMS and a feedback call; if not satisfied, the complaint comes back."
        case .resolveButton: "Mark resolved"
        case .resolvedNotice: "Complaint {1} is marked resolved. The citizen will be asked for feedback."
        case .cannotResolveHere: "This complaint is at {1}; your desk resolves {2} complaints only."
        case .readOnly: "Your access is read-only."
        case .errorTitle: "Something went wrong"
        case .badRequest: "The request was not right"
        case .unauthorizedTitle: "Please sign in"
        case .forbiddenTitle: "Not allowed"
        case .notFoundTitle: "Not found"
        case .conflictTitle: "Not possible now"
        case .tooManyTitle: "Too many attempts"
        case .serverErrorTitle: "The helpline had a problem"
        case .forbiddenCSRF: "The form did not come from this page, or it is too old. Open the page again and send the form from there."
        case .backToDesk: "Back to the desk"
        case .backToDashboard: "Back to the dashboard"
        case .signInAgain: "Sign in again"
        case .statusRegistered: "Registered"
        case .statusAssigned: "Assigned"
        case .statusResolved: "Resolved"
        case .statusReopened: "Reopened"
        case .statusEscalated: "Escalated"
        case .statusClosed: "Closed"
        case .statusCancelled: "Cancelled"
        case .statusDuplicate: "Duplicate"
        case .stepRegistered: "Registered"
        case .stepAssigned: "Assigned"
        case .stepReassigned: "Reassigned"
        case .stepResolved: "Resolved by the department"
        case .stepReopened: "Reopened: the citizen was not satisfied"
        case .stepEscalated: "Escalated to L2"
        case .stepClosed: "Closed: the citizen was satisfied"
        case .stepClosedDissatisfied: "Closed at L2, the citizen not satisfied"
        case .stepCancelled: "Cancelled"
        case .stepDuplicate: "Marked as a duplicate"
        case .stepNote: "Note added"
        }
    }

    /// The Hindi table (हिन्दी).
    var hindi: String {
        switch self {
        case .appName: "शिकायत हेल्पलाइन"
        case .dashboard: "डैशबोर्ड"
        case .desk: "विभाग डेस्क"
        case .signIn: "साइन इन करें"
        case .signOut: "साइन आउट करें"
        case .signedInAs: "{1} के रूप में साइन इन"
        case .language: "भाषा"
        case .tokenLabel: "आपका एक्सेस टोकन"
        case .signInHelp: "हेल्पलाइन व्यवस्थापक द्वारा दिया गया एक्सेस टोकन यहाँ चिपकाएँ। यह पेज उसे कहीं नहीं रखता; आप इस ब्राउज़र में {1} घंटे तक या साइन आउट करने तक साइन इन रहेंगे।"
        case .signInFailed: "यह एक्सेस टोकन मान्य नहीं है। देख लें कि पूरा टोकन चिपकाया गया है।"
        case .signInNoPages: "यह एक्सेस टोकन वेबसाइट या चैट के लिए है; इससे ये पेज नहीं खोले जा सकते।"
        case .tooManyAttempts: "इस पते से बहुत अधिक असफल साइन-इन प्रयास हुए हैं। {1} सेकंड बाद फिर प्रयास करें।"
        case .sessionExpired: "आपका सत्र समाप्त हो गया है। फिर से साइन इन करें।"
        case .callsToday: "आज की कॉल"
        case .answeredToday: "आज एजेंटों ने उत्तर दीं"
        case .abandonedToday: "आज कतार में छोड़ी गईं"
        case .complaintsToday: "आज दर्ज शिकायतें"
        case .resolvedToday: "आज निपटाई गईं"
        case .escalatedToday: "आज L2 को भेजी गईं"
        case .byDepartment: "विभागवार शिकायतें"
        case .department: "विभाग"
        case .pending: "लंबित"
        case .awaitingFeedback: "निपटाई गईं, प्रतिक्रिया की प्रतीक्षा"
        case .escalated: "उच्च स्तर पर (L2)"
        case .overdue: "समय-सीमा पार"
        case .total: "कुल"
        case .noTickets: "दिखाने के लिए कोई शिकायत नहीं है।"
        case .liveQueues: "लाइव कतारें"
        case .queue: "कतार"
        case .waiting: "प्रतीक्षारत कॉलर"
        case .longestWait: "सबसे लंबी प्रतीक्षा"
        case .estimatedWait: "अनुमानित प्रतीक्षा"
        case .freeSeats: "खाली सीटें"
        case .loggedIn: "लॉग-इन सीटें"
        case .onCall: "कॉल पर"
        case .paused: "विराम पर"
        case .answered: "उत्तर दी गईं"
        case .abandoned: "बीच में छोड़ी गईं"
        case .pbxStale: "PBX {1} {2} से लाइव नहीं है: इसके आँकड़े पुराने हो सकते हैं।"
        case .pbxNotConnected: "PBX {1} अभी जुड़ा नहीं है।"
        case .noQueues: "अभी कोई कतार ज्ञात नहीं है।"
        case .noSeats: "कोई सीट नहीं"
        case .updatedAt: "{1} पर अद्यतन। यह पेज हर {2} सेकंड में अपने-आप ताज़ा होता है।"
        case .callsNote: "आज की कॉल: आज शुरू हुए IVR सत्र। आज उत्तर दी गईं और छोड़ी गईं: आज किसी विभाग की कतार में पहुँची कॉल। लाइव कतारों में उत्तर दी गईं और छोड़ी गईं: कतारों के पिछली बार रीसेट होने के बाद से Asterisk की गिनती।"
        case .tickets: "शिकायतें"
        case .ticket: "शिकायत {1}"
        case .number: "क्रमांक"
        case .status: "स्थिति"
        case .level: "स्तर"
        case .category: "श्रेणी"
        case .district: "ज़िला"
        case .caller: "नागरिक का नंबर"
        case .callerName: "नागरिक का नाम"
        case .registeredAt: "दर्ज हुई"
        case .dueAt: "नियत समय"
        case .officer: "अधिकारी"
        case .reopened: "कितनी बार फिर खुली"
        case .source: "कहाँ से दर्ज हुई"
        case .show: "दिखाएँ"
        case .filterOpen: "कार्रवाई बाकी"
        case .filterAwaiting: "प्रतिक्रिया की प्रतीक्षा"
        case .filterClosed: "बंद"
        case .filterAll: "सभी"
        case .previousPage: "पिछला पेज"
        case .nextPage: "अगला पेज"
        case .departmentTickets: "{1} की शिकायतें"
        case .allDepartments: "सभी विभाग"
        case .description: "विवरण"
        case .noDescription: "नागरिक का विवरण केवल रिकॉर्डिंग में है।"
        case .recording: "रिकॉर्डिंग"
        case .noRecording: "इस शिकायत की कोई रिकॉर्डिंग नहीं बनी।"
        case .recordingUnavailable: "रिकॉर्डिंग इस सर्वर पर उपलब्ध नहीं है।"
        case .history: "इतिहास"
        case .when: "कब"
        case .by: "किसने"
        case .note: "टिप्पणी"
        case .event: "घटना"
        case .resolve: "इस शिकायत का निपटान करें"
        case .resolveReport: "निपटान रिपोर्ट"
        case .resolveHelp: "बताएँ कि क्या कार्रवाई की गई। नागरिक को SMS और प्रतिक्रिया कॉल मिलेगी; संतुष्ट न होने पर शिकायत वापस आएगी।"
        case .resolveButton: "निपटाई गई दर्ज करें"
        case .resolvedNotice: "शिकायत {1} निपटाई गई दर्ज हो गई। नागरिक से प्रतिक्रिया ली जाएगी।"
        case .cannotResolveHere: "यह शिकायत {1} पर है; आपकी डेस्क केवल {2} की शिकायतें निपटाती है।"
        case .readOnly: "आपकी पहुँच केवल देखने की है।"
        case .errorTitle: "कुछ गड़बड़ हो गई"
        case .badRequest: "अनुरोध सही नहीं था"
        case .unauthorizedTitle: "कृपया साइन इन करें"
        case .forbiddenTitle: "अनुमति नहीं है"
        case .notFoundTitle: "नहीं मिला"
        case .conflictTitle: "अभी संभव नहीं"
        case .tooManyTitle: "बहुत अधिक प्रयास"
        case .serverErrorTitle: "हेल्पलाइन में समस्या आई"
        case .forbiddenCSRF: "यह फ़ॉर्म इस पेज से नहीं आया, या बहुत पुराना है। पेज फिर से खोलें और वहीं से फ़ॉर्म भेजें।"
        case .backToDesk: "डेस्क पर लौटें"
        case .backToDashboard: "डैशबोर्ड पर लौटें"
        case .signInAgain: "फिर से साइन इन करें"
        case .statusRegistered: "दर्ज"
        case .statusAssigned: "सौंपी गई"
        case .statusResolved: "निपटाई गई"
        case .statusReopened: "फिर से खुली"
        case .statusEscalated: "उच्च स्तर पर भेजी गई"
        case .statusClosed: "बंद"
        case .statusCancelled: "रद्द"
        case .statusDuplicate: "दोहराई गई"
        case .stepRegistered: "दर्ज हुई"
        case .stepAssigned: "सौंपी गई"
        case .stepReassigned: "दूसरे अधिकारी को सौंपी गई"
        case .stepResolved: "विभाग द्वारा निपटाई गई"
        case .stepReopened: "फिर से खोली गई: नागरिक संतुष्ट नहीं"
        case .stepEscalated: "L2 को भेजी गई"
        case .stepClosed: "बंद: नागरिक संतुष्ट"
        case .stepClosedDissatisfied: "L2 पर बंद, नागरिक संतुष्ट नहीं"
        case .stepCancelled: "रद्द की गई"
        case .stepDuplicate: "दोहराई गई शिकायत के रूप में चिह्नित"
        case .stepNote: "टिप्पणी जोड़ी गई"
        }
    }

    /// The text of a history entry's step (`ticket_events.transition`); nil for a step these
    /// pages do not know, which is then shown as stored.
    static func step(_ transition: String) -> PageText? {
        switch transition {
        case "registered": .stepRegistered
        case "assigned": .stepAssigned
        case "reassigned": .stepReassigned
        case "resolved": .stepResolved
        case "reopened": .stepReopened
        case "escalated": .stepEscalated
        case "closed": .stepClosed
        case "closed_dissatisfied": .stepClosedDissatisfied
        case "cancelled": .stepCancelled
        case "duplicate": .stepDuplicate
        case "note": .stepNote
        default: nil
        }
    }

    /// The text of a ticket status.
    static func status(_ status: TicketStatus) -> PageText {
        switch status {
        case .registered: .statusRegistered
        case .assigned: .statusAssigned
        case .resolved: .statusResolved
        case .reopened: .statusReopened
        case .escalated: .statusEscalated
        case .closed: .statusClosed
        case .cancelled: .statusCancelled
        case .duplicate: .statusDuplicate
        }
    }
}

/// The strings of one language, with arguments put in their places.
struct PageStrings: Sendable {
    let language: PageLanguage

    /// The text of `key`, `{1}`, `{2}` … replaced by `arguments`.
    func callAsFunction(_ key: PageText, _ arguments: String...) -> String {
        var text = key.text(language)
        for (index, argument) in arguments.enumerated() {
            text = text.replacingOccurrences(of: "{\(index + 1)}", with: argument)
        }
        return text
    }
}
