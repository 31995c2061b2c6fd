import HelplineDomain

/// Why the store could not do what it was asked: the one error shape of the module, for
/// tickets, campaigns, the database file and its maintenance alike.
///
/// Callers branch on ``code``; ``message`` is for people (officers, administrators, logs), and
/// ``underlying`` keeps the error of the library that failed underneath (SQLite through GRDB,
/// the file system) when there is one. The description is the message, followed by the
/// underlying error when the message does not already say it.
///
/// ```swift
/// do {
///     try await store.apply(.resolve, to: number, actor: officer)
/// } catch let error as StoreError where error.code == .unknownTicket {
///     // 404
/// }
/// ```
public struct StoreError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of a ``StoreError``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as logs show it.
        public let description: String

        /// No ticket has the number.
        public static let unknownTicket = Code(description: "unknown_ticket")
        /// The number's check digit does not match: a typing error.
        public static let mistypedNumber = Code(description: "mistyped_number")
        /// Not a ticket number at all.
        public static let malformedNumber = Code(description: "malformed_number")
        /// An argument out of range.
        public static let invalidArgument = Code(description: "invalid_argument")
        /// The database is not in the state the schema promises.
        public static let corrupt = Code(description: "corrupt")
        /// No campaign has the name.
        public static let unknownCampaign = Code(description: "unknown_campaign")
        /// The campaign has no contacts left to call.
        public static let nothingToCall = Code(description: "nothing_to_call")
        /// The database file cannot be opened, written or migrated.
        public static let cannotOpen = Code(description: "cannot_open")
        /// A newer Helpline has migrated the file beyond what this build knows.
        public static let newerSchema = Code(description: "newer_schema")
        /// A backup or check could not do its job.
        public static let maintenanceFailed = Code(description: "maintenance_failed")
        /// No account has the login.
        public static let unknownAccount = Code(description: "unknown_account")
        /// An account with the login exists already.
        public static let duplicateLogin = Code(description: "duplicate_login")
    }

    /// What kind of refusal or failure.
    public var code: Code
    /// The explanation for people.
    public var message: String
    /// The error underneath, when another library's failure caused this one.
    public var underlying: (any Error)?

    /// An error of `code` with its message and, when there is one, the error underneath.
    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// The message, and the underlying error after a colon when there is one.
    public var description: String {
        guard let underlying else { return message }
        return "\(message): \(underlying)"
    }

    /// Equal when the code and the message are: the underlying error is not compared.
    public static func == (a: StoreError, b: StoreError) -> Bool { a.code == b.code && a.message == b.message }

    /// No ticket has `number`.
    public static func unknownTicket(_ number: String) -> StoreError { StoreError(.unknownTicket, "no ticket has the number \(number)") }
    /// `number`'s check digit does not match.
    public static func mistypedNumber(_ number: String) -> StoreError {
        StoreError(.mistypedNumber, "\(number) is not a valid ticket number: its check digit does not match (a digit mistyped?)")
    }
    /// `number` is not a ticket number.
    public static func malformedNumber(_ number: String) -> StoreError {
        StoreError(.malformedNumber, "'\(number)' is not a ticket number: expected 2 to \(TicketNumber.maximumLength) digits")
    }
    /// An argument out of range, said in `message`.
    public static func invalidArgument(_ message: String) -> StoreError { StoreError(.invalidArgument, message) }
    /// The database is inconsistent in the way `message` says.
    public static func corrupt(_ message: String) -> StoreError { StoreError(.corrupt, "the database is inconsistent: \(message)") }
    /// No campaign is called `name`.
    public static func unknownCampaign(_ name: String) -> StoreError {
        StoreError(.unknownCampaign, "there is no campaign called '\(name)' (helpline campaigns list shows them)")
    }
    /// The campaign `name` has nobody left to call.
    public static func nothingToCall(_ name: String) -> StoreError {
        StoreError(.nothingToCall, "the campaign '\(name)' has no contacts left to call; import more with helpline campaigns import")
    }
    /// The database at `path` cannot be opened or migrated, for `reason`.
    static func cannotOpen(_ path: String, _ reason: String, code: Code = .cannotOpen, underlying: (any Error)? = nil) -> StoreError {
        StoreError(code, "cannot open the database '\(path)': \(reason)", underlying: underlying)
    }
}
