import Foundation
import HTTPAPI
import HelplineDomain
import Store
import Testing

extension Integration {
    /// `helpline users …` as an administrator runs them, against a database the daemon could
    /// be using at the same time: no restart, every change in the audit log.
    @Suite(.serialized) struct UserCommandsTests {
        typealias CLI = HelplineServeTests

        @Test func anAdministratorManagesAccountsFromTheCommandLine() async throws {
            let directory = try CLI.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = TicketStore(database: try HelplineDatabase(path: directory.appendingPathComponent("helpline.sqlite").path))
            let user = ["USER": "admin1"]

            let (added, addErrors, addOutput) = try await CLI.run(
                ["users", "add", "asha.devi", "--name", "Asha Devi", "--role", "officer", "--department", "water", "--districts", "05,07", "--level", "L1"], in: directory, environment: user)
            #expect(added == 0, "\(addErrors)")
            #expect(addOutput.contains("asha.devi: added, officer of department water, districts 05, 07, at L1"), "\(addOutput)")
            // The generated password, shown once, is the one that signs in.
            let password = try #require(addOutput.components(separatedBy: "password: ").dropFirst().first?.split(separator: " ").first.map(String.init))
            let credentials = try #require(try await store.credentials(login: "asha.devi"))
            #expect(AccountPasswords.verify(password, hash: credentials.passwordHash))
            #expect(!AccountPasswords.verify(password + "x", hash: credentials.passwordHash))
            #expect(credentials.account.scope == AccountScope(department: "water", districts: ["05", "07"], level: .l1))

            let (chosen, _, chosenOutput) = try await CLI.run(
                ["users", "add", "ravi", "--name", "Ravi Kumar", "--role", "agent", "--department", "water", "--password-stdin"], in: directory, environment: user, input: "a long enough secret\n")
            #expect(chosen == 0 && !chosenOutput.contains("password:"))
            #expect(AccountPasswords.verify("a long enough secret", hash: try #require(try await store.credentials(login: "ravi")).passwordHash))

            // Refusals: precise, with their exit status, and nothing written.
            let refusals: [([String], String, Int32, String)] = [
                (["users", "add", "Ravi2", "--name", "R", "--role", "agent"], "", 65, "lower-case letters"),
                (["users", "add", "meera", "--name", "Meera", "--role", "officer", "--department", "water"], "", 65, "an officer needs a level"),
                (["users", "add", "meera", "--name", "Meera", "--role", "clerk"], "", 65, "--role must be one of agent, supervisor, officer, monitor, administrator"),
                (["users", "add", "meera", "--name", "Meera", "--role", "agent", "--password-stdin"], "short\n", 65, "at least 10 characters"),
                (["users", "add", "ravi", "--name", "Ravi", "--role", "agent"], "", 1, "an account with the login 'ravi' exists already"),
                (["users", "disable", "nobody"], "", 1, "no account has the login 'nobody'"),
                (["users", "set-role", "ravi", "--role", "monitor", "--department", "water"], "", 65, "a monitor sees every department"),
            ]
            for (arguments, input, status, message) in refusals {
                let (code, errors, _) = try await CLI.run(arguments, in: directory, environment: user, input: input)
                #expect(code == status, "\(arguments): \(errors)")
                #expect(errors.contains(message), "\(arguments): \(errors)")
            }
            #expect(try await store.accounts().map(\.login) == ["asha.devi", "ravi"])

            // Signed in, then disabled: the session ends at once, with no restart.
            try await store.startSession(tokenSHA256: "s1", csrf: "c1", login: "ravi", expiresAt: Date().addingTimeInterval(3600), at: Date())
            #expect(try await CLI.run(["users", "disable", "ravi"], in: directory, environment: user).0 == 0)
            #expect(try await store.session(tokenSHA256: "s1", idle: 3600, at: Date()) == nil)
            #expect(try await CLI.run(["users", "set-role", "asha.devi", "--role", "supervisor", "--department", "roads"], in: directory, environment: user).0 == 0)
            let (reset, _, resetOutput) = try await CLI.run(["users", "reset-password", "asha.devi"], in: directory, environment: user)
            #expect(reset == 0 && resetOutput.contains("password: "))
            #expect(!AccountPasswords.verify(password, hash: try #require(try await store.credentials(login: "asha.devi")).passwordHash), "the old password no longer works")

            let (_, _, list) = try await CLI.run(["users", "list"], in: directory)
            #expect(list.contains("asha.devi") && list.contains("active    supervisor of department roads"), "\(list)")
            #expect(list.contains("ravi") && list.contains("disabled  agent of department water"), "\(list)")
            let (_, _, audit) = try await CLI.run(["users", "audit", "asha.devi"], in: directory)
            let actions = audit.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true)[2] }
            #expect(actions == ["account.password", "account.role", "account.add"], "\(audit)")
            #expect(audit.split(separator: "\n").allSatisfy { $0.contains("cli:admin1") }, "\(audit)")
        }
    }
}
