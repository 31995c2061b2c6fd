import ArgumentParser
import Foundation
import HTTPAPI
import HelplineDomain
import Store

/// `helpline users`: people's accounts, managed while the daemon runs.
struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add, list, disable and change people's accounts (agents, supervisors, officers, monitors, administrators).",
        discussion: """
            Changes take effect at once, without a restart, and each is written to the audit log with \
            who made it (cli:USER). Exit status 65 for a login, role, scope or password that cannot be, \
            1 for an unknown login or one taken already, 73 when the database cannot be opened.
            """,
        subcommands: [Add.self, List.self, Disable.self, Enable.self, ResetPassword.self, SetRole.self, Audit.self])

    /// The role and the scope, as `add` and `set-role` take them.
    struct RoleOptions: ParsableArguments {
        @Option(help: ArgumentHelp("agent, supervisor, officer, monitor or administrator.", valueName: "role"))
        var role: String

        @Option(help: ArgumentHelp("The department the account sees (required for an officer; none for a monitor or administrator).", valueName: "id"))
        var department: String?

        @Option(help: ArgumentHelp("Only these districts of the department, comma-separated directory codes (05,07).", valueName: "codes"))
        var districts: String?

        @Option(help: ArgumentHelp("An officer's level: L1 or L2.", valueName: "level"))
        var level: String?

        func resolved() -> (AccountRole, AccountScope) {
            guard let role = AccountRole(rawValue: role) else {
                fail("--role must be one of \(AccountRole.allCases.map(\.rawValue).joined(separator: ", ")); '\(self.role)' is not", code: 65)
            }
            var scope = AccountScope(department: department)
            if let districts {
                scope.districts = districts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
            if let level {
                guard let parsed = TicketLevel(rawValue: level.uppercased()) else { fail("--level must be L1 or L2; '\(level)' is not", code: 65) }
                scope.level = parsed
            }
            if let problem = Account.scopeProblem(role: role, scope: scope) { fail(problem, code: 65) }
            return (role, scope)
        }
    }

    /// Reads a password from standard input (one line), or generates one to print.
    static func password(fromStandardInput: Bool) -> (password: String, generated: Bool) {
        guard fromStandardInput else { return (AccountPasswords.generate(), true) }
        var text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        if let problem = AccountPasswords.problem(text) { fail(problem, code: 65) }
        return (text, false)
    }

    static func run<T>(_ work: () async throws -> T) async -> T {
        do {
            return try await work()
        } catch let error as StoreError where error.code == .invalidArgument {
            fail(error.message, code: 65)
        } catch let error as StoreError where error.code == .unknownAccount || error.code == .duplicateLogin {
            fail(error.message, code: 1)
        } catch {
            fail("\(error)", code: 73)
        }
    }

    static func describe(_ account: Account) -> String { Account.describe(account.role, account.scope) }

    /// `helpline users add LOGIN`.
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an account; its first password is printed once unless --password-stdin gives one.",
            discussion: "Example: helpline users add asha.devi --name \"Asha Devi\" --role officer --department water --districts 05 --level L1")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: ArgumentHelp("The login: 3 to 32 lower-case letters, digits, '.', '_', '-', starting with a letter.", valueName: "login")) var login: String
        @Option(help: ArgumentHelp("The person's name.", valueName: "name")) var name: String
        @OptionGroup var role: RoleOptions
        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input instead of generating one.") var passwordFromStandardInput = false

        func run() async throws {
            if let problem = Account.loginProblem(login) { fail(problem, code: 65) }
            let (role, scope) = role.resolved()
            let (password, generated) = Users.password(fromStandardInput: passwordFromStandardInput)
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            let account = await Users.run {
                try await store.addAccount(login: login, name: name, role: role, scope: scope, passwordHash: AccountPasswords.hash(password), actor: Tickets.actor, at: Date())
            }
            print("\(account.login): added, \(Users.describe(account))")
            if generated { print("password: \(password)  (shown once; give it to \(account.name) in person)") }
        }
    }

    /// `helpline users list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the accounts.")
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            let accounts = await Users.run { try await store.accounts() }
            for account in accounts {
                let status = account.disabledAt == nil ? "active" : "disabled"
                print("\(account.login.padding(toLength: 20, withPad: " ", startingAt: 0)) \(status.padding(toLength: 9, withPad: " ", startingAt: 0)) \(Users.describe(account))  \(account.name)")
            }
            if accounts.isEmpty { print("no accounts (add one with helpline users add)") }
        }
    }

    /// `helpline users disable LOGIN`.
    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account: it can no longer sign in, and its sessions end at once.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: ArgumentHelp("The login.", valueName: "login")) var login: String

        func run() async throws {
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            _ = await Users.run { try await store.setDisabled(true, login: login, actor: Tickets.actor, at: Date()) }
            print("\(login): disabled")
        }
    }

    /// `helpline users enable LOGIN`.
    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account again.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: ArgumentHelp("The login.", valueName: "login")) var login: String

        func run() async throws {
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            _ = await Users.run { try await store.setDisabled(false, login: login, actor: Tickets.actor, at: Date()) }
            print("\(login): enabled")
        }
    }

    /// `helpline users reset-password LOGIN`.
    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password",
            abstract: "Set a new password (printed once unless --password-stdin gives one); the account's sessions end.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: ArgumentHelp("The login.", valueName: "login")) var login: String
        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input instead of generating one.") var passwordFromStandardInput = false

        func run() async throws {
            let (password, generated) = Users.password(fromStandardInput: passwordFromStandardInput)
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            await Users.run { try await store.setPasswordHash(AccountPasswords.hash(password), login: login, actor: Tickets.actor, at: Date()) }
            print("\(login): password set; signed out everywhere")
            if generated { print("password: \(password)  (shown once)") }
        }
    }

    /// `helpline users set-role LOGIN`.
    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-role", abstract: "Change an account's role and scope.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: ArgumentHelp("The login.", valueName: "login")) var login: String
        @OptionGroup var role: RoleOptions

        func run() async throws {
            let (role, scope) = role.resolved()
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            let account = await Users.run { try await store.setRole(role, scope: scope, login: login, actor: Tickets.actor, at: Date()) }
            print("\(login): now \(Users.describe(account))")
        }
    }

    /// `helpline users audit [LOGIN]`.
    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the audit log of accounts, newest first: who changed what, and when.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: ArgumentHelp("Only this account's entries.", valueName: "login")) var login: String?
        @Option(help: ArgumentHelp("How many entries (default 50).", valueName: "n")) var limit = 50

        func validate() throws {
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 10000") }
        }

        func run() async throws {
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            let formatter = ISO8601DateFormatter()
            for entry in await Users.run({ try await store.auditLog(subject: login, limit: limit) }) {
                print("\(formatter.string(from: entry.at))  \(entry.actor.padding(toLength: 16, withPad: " ", startingAt: 0)) \(entry.action.padding(toLength: 16, withPad: " ", startingAt: 0)) \(entry.subject): \(entry.detail)")
            }
        }
    }
}
