import Foundation
import HelplineDomain
import Store
import Testing

/// People's accounts, their sessions and the audit log, on every store backend.
@Suite struct AccountStoreTests {
    static let now = Date(timeIntervalSince1970: 1_796_400_000)
    static let water05 = AccountScope(department: "water", districts: ["05"], level: .l1)

    @Test(arguments: StoreBackend.all)
    func accountsAreAddedOnceAndChangedWithTheirAuditEntries(backend: StoreBackend) async throws {
        let (store, keep) = try backend.open()
        defer { _ = keep }
        let asha = try await store.addAccount(login: "asha.devi", name: " Asha Devi ", role: .officer, scope: Self.water05, passwordHash: "hash-1", actor: "cli:root", at: Self.now)
        #expect(asha.name == "Asha Devi" && asha.scope == Self.water05 && asha.disabledAt == nil)
        await #expect(throws: StoreError(.duplicateLogin, "an account with the login 'asha.devi' exists already")) {
            _ = try await store.addAccount(login: "asha.devi", name: "Another", role: .agent, scope: .everything, passwordHash: "h", actor: "cli:root", at: Self.now)
        }
        // Logins and scopes that cannot be are refused before anything is written.
        for (login, role, scope) in [("Asha", AccountRole.agent, AccountScope.everything), ("ravi", .officer, AccountScope(department: "water")),
                                     ("ravi", .monitor, AccountScope(department: "water")), ("ravi", .agent, AccountScope(department: "water", districts: ["north"]))] {
            await #expect(throws: StoreError.self) {
                _ = try await store.addAccount(login: login, name: "Ravi", role: role, scope: scope, passwordHash: "h", actor: "cli:root", at: Self.now)
            }
        }
        #expect(try await store.accounts().map(\.login) == ["asha.devi"])

        let moved = try await store.setRole(.supervisor, scope: AccountScope(department: "roads"), login: "asha.devi", actor: "cli:root", at: Self.now.addingTimeInterval(10))
        #expect(moved.role == .supervisor && moved.scope == AccountScope(department: "roads"))
        try await store.setPasswordHash("hash-2", login: "asha.devi", actor: "admin", at: Self.now.addingTimeInterval(20))
        #expect(try await store.credentials(login: "asha.devi")?.passwordHash == "hash-2")
        try await store.setDisabled(true, login: "asha.devi", actor: "admin", at: Self.now.addingTimeInterval(30))
        #expect(try await store.credentials(login: "asha.devi")?.account.disabledAt == Self.now.addingTimeInterval(30))
        await #expect(throws: StoreError(.unknownAccount, "no account has the login 'nobody'")) {
            try await store.setDisabled(true, login: "nobody", actor: "admin", at: Self.now)
        }

        let log = try await store.auditLog(subject: "asha.devi", limit: 10)
        #expect(log.map(\.action) == ["account.disable", "account.password", "account.role", "account.add"])
        #expect(log.map(\.actor) == ["admin", "admin", "cli:root", "cli:root"])
        #expect(log[2].detail == "officer of department water, districts 05, at L1 → supervisor of department roads")
        #expect(try await store.auditLog(subject: "nobody", limit: 10).isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func aSessionLivesUntilItsLimitsAndEndsWithTheAccount(backend: StoreBackend) async throws {
        let (store, keep) = try backend.open()
        defer { _ = keep }
        _ = try await store.addAccount(login: "ravi", name: "Ravi", role: .agent, scope: AccountScope(department: "water"), passwordHash: "h", actor: "cli:root", at: Self.now)
        let hour: TimeInterval = 3600
        try await store.startSession(tokenSHA256: "t1", csrf: "c1", login: "ravi", expiresAt: Self.now.addingTimeInterval(8 * hour), at: Self.now)
        let found = try #require(try await store.session(tokenSHA256: "t1", idle: hour, at: Self.now.addingTimeInterval(50 * 60)))
        #expect(found.account.login == "ravi" && found.csrf == "c1")
        // Used 50 minutes in, so still alive 100 minutes in (idle 50 minutes), but not after
        // an idle hour and more.
        #expect(try await store.session(tokenSHA256: "t1", idle: hour, at: Self.now.addingTimeInterval(100 * 60)) != nil)
        #expect(try await store.session(tokenSHA256: "t1", idle: hour, at: Self.now.addingTimeInterval(170 * 60)) == nil)
        #expect(try await store.session(tokenSHA256: "t1", idle: 24 * hour, at: Self.now.addingTimeInterval(100 * 60)) == nil, "an ended session stays ended")

        // The absolute lifetime holds however busy the session is.
        try await store.startSession(tokenSHA256: "t2", csrf: "c2", login: "ravi", expiresAt: Self.now.addingTimeInterval(2 * hour), at: Self.now)
        for minute in stride(from: 30, through: 90, by: 30) {
            #expect(try await store.session(tokenSHA256: "t2", idle: hour, at: Self.now.addingTimeInterval(Double(minute) * 60)) != nil)
        }
        #expect(try await store.session(tokenSHA256: "t2", idle: hour, at: Self.now.addingTimeInterval(2 * hour + 1)) == nil)

        // A new password or a disabled account signs the person out everywhere.
        try await store.startSession(tokenSHA256: "t3", csrf: "c3", login: "ravi", expiresAt: Self.now.addingTimeInterval(8 * hour), at: Self.now)
        try await store.setPasswordHash("h2", login: "ravi", actor: "admin", at: Self.now)
        #expect(try await store.session(tokenSHA256: "t3", idle: hour, at: Self.now) == nil)
        try await store.startSession(tokenSHA256: "t4", csrf: "c4", login: "ravi", expiresAt: Self.now.addingTimeInterval(8 * hour), at: Self.now)
        try await store.setDisabled(true, login: "ravi", actor: "admin", at: Self.now)
        #expect(try await store.session(tokenSHA256: "t4", idle: hour, at: Self.now) == nil)
        await #expect(throws: StoreError.self) {
            try await store.startSession(tokenSHA256: "t5", csrf: "c5", login: "ravi", expiresAt: Self.now.addingTimeInterval(hour), at: Self.now)
        }
        try await store.setDisabled(false, login: "ravi", actor: "admin", at: Self.now)
        try await store.startSession(tokenSHA256: "t6", csrf: "c6", login: "ravi", expiresAt: Self.now.addingTimeInterval(hour), at: Self.now)
        try await store.endSession(tokenSHA256: "t6")
        #expect(try await store.session(tokenSHA256: "t6", idle: hour, at: Self.now) == nil)
        #expect(try await store.auditLog(subject: "ravi", limit: 20).filter { $0.action == "session.signin" }.count == 5)
    }

    /// Sessions are in the database: a restart of the daemon (the file opened again) keeps
    /// 500 agents signed in.
    @Test func aSessionOutlivesTheProcessThatStartedIt() async throws {
        let file = try TemporaryDatabase()
        do {
            let store = try file.open()
            _ = try await store.addAccount(login: "ravi", name: "Ravi", role: .agent, scope: .everything, passwordHash: "h", actor: "cli:root", at: Self.now)
            try await store.startSession(tokenSHA256: "t1", csrf: "c1", login: "ravi", expiresAt: Self.now.addingTimeInterval(3600), at: Self.now)
        }
        let reopened = try file.open()
        #expect(try await reopened.session(tokenSHA256: "t1", idle: 3600, at: Self.now.addingTimeInterval(60))?.account.login == "ravi")
    }
}
