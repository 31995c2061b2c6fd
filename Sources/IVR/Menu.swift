public import YAMLSupport

/// A call flow as a menu author writes it: named nodes, each doing one thing, and the node it
/// goes to next. Loaded from YAML by ``MenuLoader``; checked by ``MenuChecker``.
public struct Menu: Sendable {
    /// The flow's name; the FastAGI script `/<name>` runs it.
    public var name: String
    /// The file it was read from.
    public var file: String
    /// The languages it speaks, the first being the default until the caller chooses.
    public var languages: [String]
    /// Variables a call brings from the FastAGI script's query (`/feedback?ticket=1000002`);
    /// a call without one of them is refused.
    public var inputs: [String] = []
    /// Variables a campaign call stores as the contact's answers, in this order (the columns
    /// of `helpline campaigns report`): each question's `menu` or `collect` sets one. Stored
    /// by the `save_answers` action and, whatever was answered, when the call ends.
    public var answers: [String] = []
    /// Where `answers` was written, for problems about it.
    public var answersPosition: SourcePosition?
    /// The node a call starts at.
    public var start: String
    /// Where `start` was written, for problems about it.
    public var startPosition: SourcePosition
    /// The nodes by id.
    public var nodes: [String: MenuNode]

    /// The actions the menu's nodes call.
    public var actions: Set<Action.Kind> {
        Set(nodes.values.compactMap { node in
            if case .action(let action) = node.kind { action.kind } else { nil }
        })
    }
}

/// One step of a call flow.
public struct MenuNode: Sendable {
    /// Its id.
    public var id: String
    /// What it does.
    public var kind: Kind
    /// Where the call goes after it (nil for nodes that end the call or branch themselves).
    public var next: String?
    /// Where the node is written.
    public var position: SourcePosition
    /// Where each reference to another node is written, for problems about them.
    public var referencePositions: [String: SourcePosition]

    /// The kinds of node.
    public enum Kind: Sendable {
        /// Plays prompts one after the other.
        case play([String])
        /// Offers options by digit.
        case menu(Choice)
        /// Reads digits into a variable.
        case collect(Collect)
        /// Records the caller into a file.
        case record(Record)
        /// Speaks a variable's value as digits, a number or a date.
        case say(Say)
        /// Sets a variable (the value may name others as `${name}`).
        case set(variable: String, value: String)
        /// Lets the caller choose the language; sets the channel's language.
        case language(Choice)
        /// Goes to another node.
        case goto(String)
        /// Ends the call.
        case hangup
        /// Calls into the application (create a ticket, look one up, route …).
        case action(Action)
    }

    /// The nodes this one can lead to, in a stable order.
    public var successors: [String] {
        var result: [String] = []
        switch kind {
        case .menu(let choice):
            if choice.variable == nil { result += choice.options.sorted { $0.key < $1.key }.map(\.value) }
            if let failure = choice.retrying.failure { result.append(failure) }
        case .language(let choice):
            if let failure = choice.retrying.failure { result.append(failure) }
        case .collect(let collect):
            if let failure = collect.retrying.failure { result.append(failure) }
        case .goto(let target):
            result.append(target)
        case .action(let action):
            result += action.outcomes.sorted { $0.key < $1.key }.map(\.value)
        case .play, .record, .say, .set, .hangup:
            break
        }
        if let next { result.append(next) }
        return result
    }

    /// The prompts the node plays.
    public var prompts: [String] {
        switch kind {
        case .play(let prompts): prompts
        case .menu(let choice), .language(let choice): choice.prompts + choice.retrying.invalidPrompts + choice.retrying.timeoutPrompts
        case .collect(let collect): collect.prompts + collect.retrying.invalidPrompts + collect.retrying.timeoutPrompts
        case .record(let record): record.prompts
        case .say, .set, .goto, .hangup, .action: []
        }
    }
}

/// How a node that waits for keys asks again (menu, language and collect nodes): its
/// timeouts, how many more tries, what is played between them, and where the call goes when
/// they are used up.
public struct Retrying: Sendable {
    /// How long to wait for the first digit.
    public var firstDigitTimeout: Duration
    /// How long to wait between digits.
    public var interDigitTimeout: Duration
    /// How many more tries after a wrong or missing answer.
    public var retries: Int
    /// Played after an answer that is not accepted.
    public var invalidPrompts: [String]
    /// Played when nothing was pressed.
    public var timeoutPrompts: [String]
    /// Where the call goes when the tries are used up (for a language choice: nil keeps the
    /// default language and goes on).
    public var failure: String?
}

/// Options by digit with retries (menu and language nodes).
public struct Choice: Sendable {
    /// Played to offer the options.
    public var prompts: [String]
    /// Digit (or digits) → node for a menu, → language code for a language choice.
    public var options: [String: String]
    /// Timeouts, retries and the failure node.
    public var retrying: Retrying
    /// For a menu that chooses a value rather than a node (a category menu): the variable the
    /// chosen option's value goes into before the call goes to next.
    public var variable: String?
}

/// Reading digits into a variable.
public struct Collect: Sendable {
    /// Played to ask for the digits.
    public var prompts: [String]
    /// The fewest digits accepted.
    public var minimumDigits: Int
    /// The most digits read.
    public var maximumDigits: Int
    /// The key that ends input early (`#` usually).
    public var terminator: Character?
    /// What the digits must be.
    public var validation: Validation
    /// The variable that receives them.
    public var variable: String
    /// Timeouts, retries and the failure node.
    public var retrying: Retrying

    /// What collected digits must be.
    public enum Validation: String, Sendable, CaseIterable {
        /// Anything within the length limits.
        case none
        /// A district code of the routing directory.
        case district
        /// A ticket number whose check digit matches.
        case ticketNumber = "ticket_number"
        /// A phone number (7 to 15 digits).
        case phoneNumber = "phone_number"
        /// A whole amount.
        case amount
    }
}

/// Recording the caller.
public struct Record: Sendable {
    /// Played before the recording (the beep follows when `beep`).
    public var prompts: [String]
    /// The longest recording.
    public var maximumDuration: Duration
    /// Whether Asterisk beeps before recording.
    public var beep: Bool
    /// Silence that ends the recording.
    public var silence: Duration
    /// The folder the file goes to, as Asterisk sees it (relative paths are under Asterisk's sounds folder).
    public var folder: String
    /// The file format (`wav`, `gsm` …).
    public var format: String
    /// The variable that receives the file's path.
    public var variable: String
}

/// Speaking a value.
public struct Say: Sendable {
    /// How the value is spoken.
    public enum Style: String, Sendable, CaseIterable {
        /// Digit by digit (ticket numbers).
        case digits
        /// As a number.
        case number
        /// As a date (the value is seconds since 1970).
        case date
    }

    /// How.
    public var style: Style
    /// The value, usually `${variable}`.
    public var value: String
}

/// A call into the application.
public struct Action: Sendable {
    /// The actions menus can call.
    public enum Kind: String, Sendable, CaseIterable {
        /// Registers a complaint from `category`, `district` and `recording`; sets `ticket`.
        case createTicket = "create_ticket"
        /// Looks up `ticket_number`; sets `ticket_status`; outcomes `found`, `unknown`, `mistyped`.
        case ticketStatus = "ticket_status"
        /// Looks up the caller's open tickets; sets `ticket` and `ticket_status` of the newest;
        /// outcomes `some`, `none`.
        case openTickets = "open_tickets"
        /// Asks routing where the call goes and hands it over; outcomes `queue`, `callback`
        /// (a callback is owed: no seat can take the call), `callback_offer` (seats are there but
        /// the wait is long: the caller may choose, with `accept_callback` or `wait_in_queue`),
        /// `complaint_only`, `closed`. A menu without a `callback_offer` branch hands the call to
        /// the queue then.
        case route
        /// After `callback_offer`: the caller chose to be called back; the callback is owed from
        /// now. (A caller who hangs up while the offer plays is owed one too.)
        case acceptCallback = "accept_callback"
        /// After `callback_offer`: the caller chose to keep waiting; the call leaves the menu
        /// for the queue the route chose, like the route's `queue` outcome.
        case waitInQueue = "wait_in_queue"
        /// Records the citizen's feedback from `ticket` and `answer` (`yes` or `no`) and moves
        /// the ticket up the escalation ladder; outcome `not_awaiting` when the ticket is not
        /// resolved (nothing recorded), `no_answer` when `answer` is neither (nothing pressed:
        /// the feedback call is made again later).
        case feedback = "submit_feedback"
        /// Stores the menu's `answers` given so far for the campaign contact `contact` (they are
        /// stored again when the call ends, with any given later); outcome `unknown_contact`.
        case saveAnswers = "save_answers"
        /// Logs the calling seat (the agent's own phone) into the queues listed in `queues`
        /// (comma-separated, from the script's query); outcome `failed`.
        case seatLogin = "seat_login"
        /// Logs the calling seat out of every queue it is in; outcome `failed`.
        case seatLogout = "seat_logout"
        /// Pauses the calling seat in every queue with `pause_reason`; outcome `failed`.
        case seatPause = "seat_pause"
        /// Unpauses the calling seat in every queue; outcome `failed`.
        case seatUnpause = "seat_unpause"

        /// The variables that must be set on every path to the action.
        public var inputs: [String] {
            switch self {
            case .createTicket: ["category", "district", "recording"]
            case .ticketStatus: ["ticket_number"]
            case .openTickets: []
            case .route, .acceptCallback: []
            case .waitInQueue: ["queue"]
            case .feedback: ["ticket", "answer"]
            case .saveAnswers: ["contact"]
            case .seatLogin: ["queues"]
            case .seatPause: ["pause_reason"]
            case .seatLogout, .seatUnpause: []
            }
        }

        /// The values a variable it sets can take, when they are a known few (so prompts named
        /// after them, like `status-${ticket_status}`, can be checked).
        public static let knownValues: [String: [String]] = [
            "ticket_status": ["registered", "assigned", "resolved", "reopened", "escalated", "closed", "cancelled", "duplicate"],
        ]

        /// The variables it sets.
        public var outputs: [String] {
            switch self {
            case .createTicket: ["ticket"]
            case .ticketStatus, .openTickets: ["ticket", "ticket_status"]
            case .route: ["queue", "priority"]
            case .feedback, .saveAnswers, .seatLogin, .seatLogout, .seatPause, .seatUnpause, .acceptCallback, .waitInQueue: []
            }
        }

        /// The outcomes it may branch on (besides `next`).
        public var outcomes: [String] {
            switch self {
            case .createTicket: []
            case .feedback: ["not_awaiting", "no_answer"]
            case .saveAnswers: ["unknown_contact"]
            case .seatLogin, .seatLogout, .seatPause, .seatUnpause: ["failed"]
            case .ticketStatus: ["found", "unknown", "mistyped"]
            case .openTickets: ["some", "none"]
            case .route: ["queue", "callback", "callback_offer", "complaint_only", "closed"]
            case .acceptCallback: []
            case .waitInQueue: ["queue"]
            }
        }
    }

    /// Which action.
    public var kind: Kind
    /// Outcome → node.
    public var outcomes: [String: String]
}
