public import Foundation

/// What a person at the helpline may do.
public enum AccountRole: String, Codable, Sendable, CaseIterable {
    /// Takes calls at a seat and registers complaints for callers.
    case agent
    /// Watches the floor and the agents of a department (or all of them).
    case supervisor
    /// A department's officer at a level: disposes of its complaints.
    case officer
    /// Reads everything, changes nothing (the monitoring team).
    case monitor
    /// Manages accounts, configuration and everything else.
    case administrator
}

/// Which part of the helpline an account sees: a department (nil: every department), its
/// districts (empty: every district of the department) and, for officers, a level.
public struct AccountScope: Codable, Sendable, Hashable {
    /// The department; nil for every department.
    public var department: String?
    /// The districts, as the directory codes them ("05"); empty for every district.
    public var districts: [String]
    /// An officer's level; nil for the other roles.
    public var level: TicketLevel?

    /// A scope.
    public init(department: String? = nil, districts: [String] = [], level: TicketLevel? = nil) {
        self.department = department
        self.districts = districts
        self.level = level
    }

    /// Every department and district.
    public static let everything = AccountScope()
}

/// A person's account: who signs in, with which role and scope. The password's bcrypt hash
/// is kept by the store, never in this value.
public struct Account: Codable, Sendable, Hashable {
    /// The store's id.
    public var id: Int64
    /// What the person types to sign in: 3 to 32 lower-case letters, digits, `.`, `_`, `-`.
    public var login: String
    /// The person's name, as shown in histories and on the floor.
    public var name: String
    public var role: AccountRole
    public var scope: AccountScope
    /// When the account was disabled; nil while it may sign in.
    public var disabledAt: Date?
    public var createdAt: Date

    /// The role and scope in words: `officer of department water, districts 05, at L1`,
    /// `agent of every department` (the audit log and `helpline users` say it so).
    public static func describe(_ role: AccountRole, _ scope: AccountScope) -> String {
        var text = "\(role.rawValue) of " + (scope.department.map { "department \($0)" } ?? "every department")
        if !scope.districts.isEmpty { text += ", districts \(scope.districts.joined(separator: ", "))" }
        if let level = scope.level { text += ", at \(level.rawValue)" }
        return text
    }

    /// An account.
    public init(id: Int64, login: String, name: String, role: AccountRole, scope: AccountScope, disabledAt: Date? = nil, createdAt: Date) {
        self.id = id
        self.login = login
        self.name = name
        self.role = role
        self.scope = scope
        self.disabledAt = disabledAt
        self.createdAt = createdAt
    }

    /// Why `login` cannot name an account; nil when it can.
    public static func loginProblem(_ login: String) -> String? {
        guard (3...32).contains(login.count) else { return "a login has 3 to 32 characters; '\(login.prefix(40))' has \(login.count)" }
        let allowed = login.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-" }
        guard allowed else { return "a login may hold lower-case letters a-z, digits and . _ - only: '\(login)'" }
        guard let first = login.unicodeScalars.first, ("a"..."z").contains(first) else { return "a login starts with a letter: '\(login)'" }
        return nil
    }

    /// Why `scope` does not fit `role`; nil when it does. An officer needs a department and a
    /// level; an agent, a supervisor, a monitor or an administrator has no level, and a monitor
    /// or an administrator sees everything.
    public static func scopeProblem(role: AccountRole, scope: AccountScope) -> String? {
        switch role {
        case .officer:
            if scope.department == nil { return "an officer needs a department" }
            if scope.level == nil { return "an officer needs a level (L1 or L2)" }
        case .agent, .supervisor:
            if scope.level != nil { return "only an officer has a level" }
            if scope.department == nil && !scope.districts.isEmpty { return "districts narrow a department: give the department too" }
        case .monitor, .administrator:
            if scope != .everything { return "a \(role.rawValue) sees every department: give no department, districts or level" }
        }
        if let bad = scope.districts.first(where: { $0.isEmpty || !$0.allSatisfy(\.isNumber) }) { return "a district is its directory code, digits: '\(bad)'" }
        return nil
    }
}

/// One entry of the audit log: who changed what about an account, and when.
public struct AuditEntry: Codable, Sendable, Hashable {
    public var at: Date
    /// Who did it (`cli:root`, an account's login).
    public var actor: String
    /// `account.add`, `account.disable`, `account.enable`, `account.password`, `account.role`, `session.signin` …
    public var action: String
    /// The account it concerns.
    public var subject: String
    /// What changed, in words.
    public var detail: String

    /// An entry.
    public init(at: Date, actor: String, action: String, subject: String, detail: String) {
        self.at = at
        self.actor = actor
        self.action = action
        self.subject = subject
        self.detail = detail
    }
}
