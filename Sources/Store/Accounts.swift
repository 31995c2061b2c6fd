public import Foundation
public import HelplineDomain
import GRDB

/// People's accounts, their signed-in sessions and the audit log of every change to them.
///
/// Every change is written with its audit entry in one transaction: an account is never
/// changed without the log saying who changed it. Disabling an account or setting its password
/// ends its sessions in the same transaction.
public protocol AccountStore: Sendable {
    /// Adds an account; throws ``StoreError/Code/duplicateLogin`` when the login is taken and
    /// ``StoreError/Code/invalidArgument`` for a login or scope that cannot be.
    func addAccount(login: String, name: String, role: AccountRole, scope: AccountScope, passwordHash: String, actor: String, at now: Date) async throws -> Account

    /// Every account, by login.
    func accounts() async throws -> [Account]

    /// The account with `login` and its password hash; nil when there is none.
    func credentials(login: String) async throws -> (account: Account, passwordHash: String)?

    /// Disables (`disabled: true`, ending its sessions) or enables the account; throws
    /// ``StoreError/Code/unknownAccount``.
    @discardableResult
    func setDisabled(_ disabled: Bool, login: String, actor: String, at now: Date) async throws -> Account

    /// Replaces the password hash and ends the account's sessions; throws ``StoreError/Code/unknownAccount``.
    func setPasswordHash(_ hash: String, login: String, actor: String, at now: Date) async throws

    /// Changes the role and scope; throws ``StoreError/Code/unknownAccount`` or ``StoreError/Code/invalidArgument``.
    @discardableResult
    func setRole(_ role: AccountRole, scope: AccountScope, login: String, actor: String, at now: Date) async throws -> Account

    /// The audit log, newest first; of one account's login when `subject` is given.
    func auditLog(subject: String?, limit: Int) async throws -> [AuditEntry]

    /// Starts a session for the account `login` (the audit log records the sign-in); the
    /// token itself is never stored, only its SHA-256.
    func startSession(tokenSHA256: String, csrf: String, login: String, expiresAt: Date, at now: Date) async throws

    /// The account and CSRF token of a live session, its last use moved to `now`; nil when the
    /// session is unknown, past `expiresAt`, idle for longer than `idle`, or its account is
    /// disabled (such a session is removed).
    func session(tokenSHA256: String, idle: TimeInterval, at now: Date) async throws -> (account: Account, csrf: String)?

    /// Ends a session (signing out).
    func endSession(tokenSHA256: String) async throws
}

extension TicketStore: AccountStore {
    public func addAccount(login: String, name: String, role: AccountRole, scope: AccountScope, passwordHash: String, actor: String, at now: Date = Date()) async throws -> Account {
        if let problem = Account.loginProblem(login) { throw StoreError.invalidArgument(problem) }
        if let problem = Account.scopeProblem(role: role, scope: scope) { throw StoreError.invalidArgument(problem) }
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 100 else { throw StoreError.invalidArgument("an account's name has 1 to 100 characters") }
        let time = Timestamp.text(now)
        return try await groupCommitWrite { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE login = ?", arguments: [login]) != nil {
                throw StoreError(.duplicateLogin, "an account with the login '\(login)' exists already")
            }
            try db.execute(sql: """
                INSERT INTO accounts (login, name, password_hash, role, department, districts, level, created_at, password_changed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [login, trimmed, passwordHash, role.rawValue, scope.department, Self.districtsText(scope.districts), scope.level?.rawValue, time, time])
            let account = Account(id: db.lastInsertedRowID, login: login, name: trimmed, role: role, scope: scope, createdAt: now)
            try Self.audit(db, at: now, actor: actor, action: "account.add", subject: login, detail: "\(trimmed), \(Account.describe(role, scope))")
            return account
        }
    }

    public func accounts() async throws -> [Account] {
        try await database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.accountColumns) FROM accounts ORDER BY login").map(Self.account)
        }
    }

    public func credentials(login: String) async throws -> (account: Account, passwordHash: String)? {
        try await database.writer.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.accountColumns), password_hash FROM accounts WHERE login = ?", arguments: [login])
                .map { (Self.account($0), $0["password_hash"]) }
        }
    }

    @discardableResult
    public func setDisabled(_ disabled: Bool, login: String, actor: String, at now: Date = Date()) async throws -> Account {
        try await groupCommitWrite { db in
            var account = try Self.existing(db, login: login)
            guard (account.disabledAt != nil) != disabled else { return account }
            account.disabledAt = disabled ? now : nil
            try db.execute(sql: "UPDATE accounts SET disabled_at = ? WHERE id = ?", arguments: [disabled ? Timestamp.text(now) : nil, account.id])
            if disabled { try db.execute(sql: "DELETE FROM account_sessions WHERE account_id = ?", arguments: [account.id]) }
            try Self.audit(db, at: now, actor: actor, action: disabled ? "account.disable" : "account.enable", subject: login,
                           detail: disabled ? "disabled; its sessions ended" : "enabled")
            return account
        }
    }

    public func setPasswordHash(_ hash: String, login: String, actor: String, at now: Date = Date()) async throws {
        try await groupCommitWrite { db in
            let account = try Self.existing(db, login: login)
            try db.execute(sql: "UPDATE accounts SET password_hash = ?, password_changed_at = ? WHERE id = ?", arguments: [hash, Timestamp.text(now), account.id])
            try db.execute(sql: "DELETE FROM account_sessions WHERE account_id = ?", arguments: [account.id])
            try Self.audit(db, at: now, actor: actor, action: "account.password", subject: login, detail: "password set; its sessions ended")
        }
    }

    @discardableResult
    public func setRole(_ role: AccountRole, scope: AccountScope, login: String, actor: String, at now: Date = Date()) async throws -> Account {
        if let problem = Account.scopeProblem(role: role, scope: scope) { throw StoreError.invalidArgument(problem) }
        return try await groupCommitWrite { db in
            var account = try Self.existing(db, login: login)
            let before = Account.describe(account.role, account.scope)
            account.role = role
            account.scope = scope
            try db.execute(sql: "UPDATE accounts SET role = ?, department = ?, districts = ?, level = ? WHERE id = ?",
                           arguments: [role.rawValue, scope.department, Self.districtsText(scope.districts), scope.level?.rawValue, account.id])
            // A session keeps the account, so the new role applies to its next request.
            try Self.audit(db, at: now, actor: actor, action: "account.role", subject: login, detail: "\(before) → \(Account.describe(role, scope))")
            return account
        }
    }

    public func auditLog(subject: String? = nil, limit: Int = 100) async throws -> [AuditEntry] {
        try await database.writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT at, actor, action, subject, detail FROM audit_log WHERE (? IS NULL OR subject = ?) ORDER BY id DESC LIMIT ?
                """, arguments: [subject, subject, max(1, limit)]).map { row in
                AuditEntry(at: Timestamp.date(row["at"]) ?? Date(timeIntervalSince1970: 0), actor: row["actor"], action: row["action"], subject: row["subject"], detail: row["detail"])
            }
        }
    }

    public func startSession(tokenSHA256: String, csrf: String, login: String, expiresAt: Date, at now: Date = Date()) async throws {
        try await groupCommitWrite { db in
            let account = try Self.existing(db, login: login)
            guard account.disabledAt == nil else { throw StoreError.invalidArgument("the account '\(login)' is disabled") }
            let time = Timestamp.text(now)
            // Sessions past their lifetime go when a new one starts, so the table stays small.
            try db.execute(sql: "DELETE FROM account_sessions WHERE expires_at <= ?", arguments: [time])
            try db.execute(sql: """
                INSERT INTO account_sessions (token_sha256, account_id, csrf, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [tokenSHA256, account.id, csrf, time, time, Timestamp.text(expiresAt)])
            try Self.audit(db, at: now, actor: login, action: "session.signin", subject: login, detail: "signed in")
        }
    }

    public func session(tokenSHA256: String, idle: TimeInterval, at now: Date = Date()) async throws -> (account: Account, csrf: String)? {
        try await groupCommitWrite { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT accounts.*, s.csrf, s.last_seen_at, s.expires_at
                FROM account_sessions s JOIN accounts ON accounts.id = s.account_id WHERE s.token_sha256 = ?
                """, arguments: [tokenSHA256])
            else { return nil }
            let account = Self.account(row)
            let lastSeen = Timestamp.date(row["last_seen_at"]) ?? .distantPast
            let expires = Timestamp.date(row["expires_at"]) ?? .distantPast
            guard account.disabledAt == nil, now < expires, now.timeIntervalSince(lastSeen) <= idle else {
                try db.execute(sql: "DELETE FROM account_sessions WHERE token_sha256 = ?", arguments: [tokenSHA256])
                return nil
            }
            try db.execute(sql: "UPDATE account_sessions SET last_seen_at = ? WHERE token_sha256 = ?", arguments: [Timestamp.text(now), tokenSHA256])
            return (account, row["csrf"])
        }
    }

    public func endSession(tokenSHA256: String) async throws {
        try await groupCommitWrite { db in
            try db.execute(sql: "DELETE FROM account_sessions WHERE token_sha256 = ?", arguments: [tokenSHA256])
        }
    }

    static let accountColumns = "id, login, name, role, department, districts, level, disabled_at, created_at"

    static func account(_ row: Row) -> Account {
        let districts = (try? JSONDecoder().decode([String].self, from: Data((row["districts"] as String? ?? "[]").utf8))) ?? []
        let level = (row["level"] as String?).flatMap(TicketLevel.init(rawValue:))
        return Account(
            id: row["id"], login: row["login"], name: row["name"], role: AccountRole(rawValue: row["role"]) ?? .monitor,
            scope: AccountScope(department: row["department"], districts: districts, level: level),
            disabledAt: (row["disabled_at"] as String?).flatMap(Timestamp.date), createdAt: Timestamp.date(row["created_at"]) ?? Date(timeIntervalSince1970: 0))
    }

    static func existing(_ db: Database, login: String) throws -> Account {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(accountColumns) FROM accounts WHERE login = ?", arguments: [login]) else {
            throw StoreError(.unknownAccount, "no account has the login '\(login)'")
        }
        return account(row)
    }

    static func districtsText(_ districts: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(districts)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func audit(_ db: Database, at now: Date, actor: String, action: String, subject: String, detail: String) throws {
        try db.execute(sql: "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
                       arguments: [Timestamp.text(now), actor, action, subject, detail])
    }
}
