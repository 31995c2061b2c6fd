import ArgumentParser
import Foundation
import Store

/// `helpline campaigns`: outbound campaigns' contact lists and progress, for administrators.
struct Campaigns: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import campaign contact lists and show how campaigns are going.",
        subcommands: [Import.self, List.self])

    /// `helpline campaigns import NAME FILE --menu MENU`.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add the contacts of a CSV file to a campaign (created as a draft if new).",
            discussion: """
                The first line names the columns: phone (required), name, district, language, and any
                other column, kept as a field the campaign's menu can use. A row that is not right
                (a number that is not a phone number, a field too many, a number twice) is reported
                with its line and kept out; the others are added. A number already in the campaign
                is left as it is. Exit status 0 when rows were added or all were already there, 65
                when the file has no usable row, 66 when it cannot be read.
                """)
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The campaign's name.") var name: String
        @Argument(help: ArgumentHelp("The contact list (CSV).", valueName: "file")) var file: String
        @Option(help: ArgumentHelp("The menu the campaign's calls run (a file of menus/).", valueName: "menu")) var menu: String

        func validate() throws {
            if name.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("the campaign needs a name") }
            if menu.isEmpty || menu.contains("/") { throw ValidationError("--menu names a menu of the menus folder, like welfare-check") }
        }

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                FileHandle.standardError.write(Data("error: cannot read \(file) as UTF-8 text\n".utf8))
                throw ExitCode(66)
            }
            let (contacts, problems) = ContactList.parse(text)
            for problem in problems {
                FileHandle.standardError.write(Data("\(file):\(problem.line): \(problem.message)\n".utf8))
            }
            guard !contacts.isEmpty else {
                FileHandle.standardError.write(Data("error: \(file) has no contact to add\n".utf8))
                throw ExitCode(65)
            }
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            let (campaign, added) = try await store.importContacts(contacts, campaign: name, menu: menu)
            print("campaign \(campaign) '\(name)': \(added) contacts added, \(contacts.count - added) already there, \(problems.count) rows kept out")
        }
    }

    /// `helpline campaigns list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List campaigns with their contacts by status.")
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            let campaigns = try await store.campaigns()
            guard !campaigns.isEmpty else {
                print("no campaigns")
                return
            }
            for campaign in campaigns {
                let counts = ["pending", "dialling", "done", "failed", "skipped"].map { "\($0) \(campaign.contacts[$0, default: 0])" }
                print("\(campaign.id)  \(campaign.name)  (\(campaign.status), menu \(campaign.menu)): \(counts.joined(separator: ", "))")
            }
        }
    }
}
