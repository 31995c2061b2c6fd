import ArgumentParser
import Foundation
import HelplineApp
import HelplineDomain
import IVR
import Store
import YAMLSupport
import TimeSupport

/// `helpline campaigns`: outbound campaigns' contact lists and progress, for administrators.
struct Campaigns: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import campaign contact lists, start and pause campaigns, and export their results.",
        discussion: """
            A campaign is a menu of questions answered by digits (a file of menus/ with answers: and
            inputs: [contact]), a contact list, a window and retry rules. The daemon calls the
            pending contacts of running campaigns with the outbound channels the calls it owes
            (callbacks, feedback calls) leave free.
            """,
        subcommands: [Import.self, List.self, Start.self, Pause.self, Report.self])

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
                print("    \(Campaigns.rules(campaign.settings))")
            }
        }
    }

    /// `helpline campaigns start NAME [--window …] [--max-attempts N] [--retry-after D] [--channels N]`.
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start or resume a campaign: the daemon calls its pending contacts.",
            discussion: """
                The campaign's menu is checked first: it must be in the menus folder (the configuration's
                menus.folder, or --menus), without problems, take inputs: [contact] and list answers:.
                Rules given here replace the campaign's; rules never given take the outbound section's
                (calling_hours, max_attempts, retry_*). Exit status 0 when started, 65 when the menu is
                not fit for a campaign, 66 when the campaign is unknown or has nobody left to call.
                """)
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The campaign's name.") var name: String
        @Option(help: ArgumentHelp("When its contacts may be called, local time, like 10:00-17:30.", valueName: "HH:MM-HH:MM")) var window: String?
        @Option(help: ArgumentHelp("Attempts per contact before it is given up (1 to 20).", valueName: "n")) var maxAttempts: Int?
        @Option(help: ArgumentHelp("The wait before another attempt, like 2h or 45m (1 minute to 7 days).", valueName: "duration")) var retryAfter: String?
        @Option(help: ArgumentHelp("At most this many of its calls at once.", valueName: "n")) var channels: Int?
        @Option(help: ArgumentHelp("The menus folder (default: the configuration's menus.folder).", valueName: "dir")) var menus: String?

        func validate() throws {
            if let window, LocalTimeWindow(window) == nil { throw ValidationError("--window must be a window of local time like 09:00-18:00, not '\(window)'") }
            if let maxAttempts, !(1...20).contains(maxAttempts) { throw ValidationError("--max-attempts must be 1 to 20, not \(maxAttempts)") }
            if let retryAfter {
                guard let duration = parseDuration(retryAfter), (60...604_800).contains(duration.components.seconds) else {
                    throw ValidationError("--retry-after must be a duration from 1m to 168h, like 2h or 45m, not '\(retryAfter)'")
                }
            }
            if let channels, !(1...1000).contains(channels) { throw ValidationError("--channels must be 1 to 1000, not \(channels)") }
        }

        func run() async throws {
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            guard let campaign = try await store.campaign(named: name) else { fail(StoreError.unknownCampaign(name).description, code: 66) }
            let folder = try menus ?? options.config.map { try loadConfiguration($0, resolveSecrets: false).menusFolder } ?? HelplineConfiguration().menusFolder
            let library: MenuLibrary
            do {
                library = try MenuLibrary.load(folder: folder)
            } catch {
                fail("cannot read the menu folder '\(folder)': \(error.localizedDescription)", code: 66)
            }
            guard let menu = library.menus[campaign.menu] else {
                fail("the campaign's menu '\(campaign.menu)' is not in \(folder) (menus there: \(library.menus.keys.sorted().joined(separator: ", ")))", code: 65)
            }
            let problems = library.problems.filter { $0.file == menu.file }
            if !problems.isEmpty {
                for problem in problems { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
                fail("the campaign's menu '\(campaign.menu)' has problems (helpline menus check \(folder))", code: 65)
            }
            guard menu.inputs.contains("contact"), !menu.answers.isEmpty else {
                fail("the menu '\(campaign.menu)' is not a campaign menu: it needs inputs: [contact] and answers: [question, …] (menus/README.md)", code: 65)
            }
            var settings = campaign.settings
            if let window { settings.window = window }
            if let maxAttempts { settings.maximumAttempts = maxAttempts }
            if let retryAfter, let duration = parseDuration(retryAfter) { settings.retryAfter = Int(duration.components.seconds) }
            if let channels { settings.channels = channels }
            do {
                let started = try await store.startCampaign(named: name, settings: settings)
                print("campaign '\(name)' running: \(started.contacts["pending", default: 0]) contacts to call; \(Campaigns.rules(started.settings))")
            } catch let error as StoreError where error.code == .unknownCampaign || error.code == .nothingToCall {
                fail(error.description, code: 66)
            }
        }
    }

    /// `helpline campaigns pause NAME`.
    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pause a campaign: no new calls (calls under way finish); start resumes it.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The campaign's name.") var name: String

        func run() async throws {
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            do {
                let campaign = try await store.pauseCampaign(named: name)
                print("campaign '\(name)' \(campaign.status)")
            } catch let error as StoreError where error.code == .unknownCampaign || error.code == .nothingToCall {
                fail(error.description, code: 66)
            }
        }
    }

    /// `helpline campaigns report NAME [--output FILE]`.
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export a campaign's results as CSV: every contact with its status and answers.",
            discussion: """
                Columns: phone, name, district, language, status, attempts, last_result, answered_at,
                the contact list's other columns, then one per question in the menu's answers order.
                Written to standard output, or to --output; it can be run while the campaign runs.
                """)
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The campaign's name.") var name: String
        @Option(help: ArgumentHelp("Write the CSV to this file instead of standard output.", valueName: "file")) var output: String?

        func run() async throws {
            let store = TicketStore(database: try options.open(requireCurrentSchema: true))
            let report: CampaignReport
            do {
                report = try await store.campaignReport(named: name)
            } catch let error as StoreError where error.code == .unknownCampaign || error.code == .nothingToCall {
                fail(error.description, code: 66)
            }
            if let output {
                do {
                    try Data(report.csv.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
                } catch {
                    fail("cannot write \(output): \(error.localizedDescription)", code: 73)
                }
                FileHandle.standardError.write(Data("\(report.rows.count) contacts written to \(output)\n".utf8))
            } else {
                FileHandle.standardOutput.write(Data(report.csv.utf8))
            }
        }
    }

    /// The rules of a campaign in words.
    static func rules(_ settings: CampaignSettings) -> String {
        [
            "window \(settings.window ?? "the calling hours")",
            "\(settings.maximumAttempts.map(String.init) ?? "outbound.max_attempts") attempts",
            "retry after \(settings.retryAfter.map { "\($0 / 60) min" } ?? "the outbound retry delays")",
            "\(settings.channels.map { "at most \($0)" } ?? "any free") channels",
        ].joined(separator: ", ")
    }
}
