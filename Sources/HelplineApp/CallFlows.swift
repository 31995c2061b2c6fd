public import AMIClient
public import AGIServer
import Foundation
public import HTTPAPI
public import IVR
public import Logging
public import Routing
public import Store
import Synchronization
public import YAMLSupport
public import HelplineDomain
import TimeSupport

/// The call flows and routing directory the daemon serves, replaceable while it runs.
///
/// A reload reads and checks the new menus and directory first and replaces the old ones only
/// when both are clean; a call in progress finishes on the menu it started with.
public final class CallFlows: Sendable {
    /// The numbers of the callers in an IVR session now, each with its count of sessions
    /// (outbound calls are not placed to them until their call has ended).
    private let inSession = Mutex<[String: Int]>([:])

    /// The numbers of the callers in an IVR session now.
    public var callersInSession: Set<String> { inSession.withLock { Set($0.keys) } }

    /// What a load or reload found.
    public struct Report: Sendable {
        /// The menus now served, by name.
        public var menus: [String]
        /// Problems that stopped the load (nothing was replaced).
        public var problems: [YAMLProblem]
        /// Why a part is not available (missing folder or file), when it is not.
        public var notes: [String]
    }

    private struct Loaded: Sendable {
        var menus: [String: Menu] = [:]
        var directory: Directory?
    }

    private let state = Mutex(Loaded())
    let menusFolder: String
    let soundsFolder: String?
    let directoryPath: String

    /// Flows read from `menusFolder` and routed with the directory at `directoryPath`.
    public init(menusFolder: String, soundsFolder: String?, directoryPath: String) {
        self.menusFolder = menusFolder
        self.soundsFolder = soundsFolder
        self.directoryPath = directoryPath
    }

    /// The menu named `name` now.
    public func menu(_ name: String) -> Menu? { state.withLock { $0.menus[name] } }

    /// The directory now (nil when none was loaded).
    public var directory: Directory? { state.withLock { $0.directory } }

    /// The names of the menus served now.
    public var menuNames: [String] { state.withLock { $0.menus.keys.sorted() } }

    /// Reads and checks the menus and the directory; replaces the current ones only when both
    /// are clean. A missing menus folder or directory file is not a problem: it leaves that
    /// part empty (the dialplan's fallback takes the calls) and says so in the report's notes.
    @discardableResult
    public func reload() -> Report {
        var problems: [YAMLProblem] = []
        var notes: [String] = []
        var menus: [String: Menu] = [:]
        var directory: Directory?
        if FileManager.default.fileExists(atPath: menusFolder) {
            do {
                let library = try MenuLibrary.load(folder: menusFolder, sounds: soundsFolder)
                problems += library.problems
                menus = library.menus
            } catch {
                problems.append(YAMLProblem(file: menusFolder, line: 1, column: 1, message: "cannot read the menu folder: \(error.localizedDescription)"))
            }
        } else {
            notes.append("no menu folder at '\(menusFolder)': no call flows are served")
        }
        if FileManager.default.fileExists(atPath: directoryPath) {
            do {
                directory = try DirectoryLoader.load(contentsOf: directoryPath)
            } catch {
                problems += error.problems
            }
        } else {
            notes.append("no routing directory at '\(directoryPath)': calls cannot be routed")
        }
        guard problems.isEmpty else {
            return Report(menus: menuNames, problems: problems, notes: notes)
        }
        state.withLock { $0 = Loaded(menus: menus, directory: directory) }
        return Report(menus: menus.keys.sorted(), problems: [], notes: notes)
    }

    /// Reads and checks the routing directory alone and replaces the current one when it is
    /// clean; the menus stay as they are.
    @discardableResult
    public func reloadDirectory() -> Report {
        guard FileManager.default.fileExists(atPath: directoryPath) else {
            return Report(menus: menuNames, problems: [YAMLProblem(file: directoryPath, line: 1, column: 1, message: "no routing directory at '\(directoryPath)'")], notes: [])
        }
        do {
            let directory = try DirectoryLoader.load(contentsOf: directoryPath)
            state.withLock { $0.directory = directory }
            return Report(menus: menuNames, problems: [], notes: [])
        } catch {
            return Report(menus: menuNames, problems: error.problems, notes: [])
        }
    }

    /// The FastAGI handler for a script path that names a menu (`/inbound`), or nil.
    ///
    /// The handler answers the channel, runs the menu, and when routing handed the call over
    /// sets `HELPLINE_ACTION`, `HELPLINE_QUEUE`, `HELPLINE_PRIORITY` and `HELPLINE_TICKET` for the
    /// dialplan. Without a directory the menu cannot route, so the handler throws and
    /// Asterisk's `AGISTATUS=FAILURE` sends the call to the fallback queue.
    ///
    /// `retry` says how long after a feedback or campaign call in which nothing was pressed it
    /// is made again (the `outbound` section's `retry_no_answer`) and how many attempts a
    /// campaign contact gets (`max_attempts`) unless its campaign says.
    public func handler(for path: String, store: any HelplineStore, liveLoad: @escaping @Sendable (_ pbx: String) -> LiveLoad, defaultPBX: String,
                        retry: CallRetry = .standard, seats: SeatControl? = nil, logger: Logger) -> AGIRoutes.Handler? {
        let name = path.hasPrefix("/") ? String(path.dropFirst()) : path
        guard let menu = menu(name) else { return nil }
        return { [self] session in
            guard let directory = self.directory else {
                throw AGIError(.commandFailed, "no routing directory is loaded; the dialplan's fallback takes the call")
            }
            let pbx = session.environment.query("pbx").flatMap { $0.isEmpty ? nil : $0 } ?? defaultPBX
            let caller = session.environment.callerID ?? ""
            if !caller.isEmpty { self.inSession.withLock { $0[caller, default: 0] += 1 } }
            defer {
                if !caller.isEmpty {
                    self.inSession.withLock { sessions in
                        sessions[caller, default: 1] -= 1
                        if sessions[caller] == 0 { sessions[caller] = nil }
                    }
                }
            }
            var application = HelplineMenuApplication(store: store, directory: { directory }, liveLoad: { liveLoad(pbx) }, pbx: pbx, logger: session.logger)
            application.feedbackRetry = retry.afterNoAnswer.seconds
            application.maximumAttempts = retry.maximumAttempts
            application.seats = seats
            var initial = CallState(menu: menu.name, environment: session.environment)
            initial.answers = menu.answers
            if let language = session.environment.query("language"), !language.isEmpty { initial.variables["language"] = language }
            for input in menu.inputs {
                guard let value = session.environment.query(input), !value.isEmpty else {
                    throw AGIError(.invalidArgument, "the menu '\(menu.name)' needs ?\(input)= in the script path")
                }
                initial.variables[input] = value
            }
            // The call's row is stored while the dialplan's variables are set.
            try await MenuInterpreter(menu: menu, application: application, answers: true).run(on: session, state: initial) { outcome, state in
                if !state.failedRecordings.isEmpty {
                    session.logger.error(
                        "Asterisk could not write a recording; create its folder (relative paths are under Asterisk's sounds folder) and let Asterisk write there",
                        metadata: ["recordings": "\(state.failedRecordings.joined(separator: ", "))"])
                }
                if !state.missingPrompts.isEmpty {
                    session.logger.warning("Prompts missing in the caller's language", metadata: ["prompts": "\(state.missingPrompts.joined(separator: ", "))"])
                }
                switch outcome {
                case .handedOff:
                    // The call's one decision, typed: a caller who chose to wait after a callback
                    // offer (or whose menu makes no offer) is in the queue like any other, and a
                    // decision that sends the call to no queue leaves the action and queue empty
                    // (the dialplan's fallback takes the call).
                    let handOff = (state.applicationMemo as? HelplineMenuApplication.Memo)?.routed?.decision.queueHandOff
                    try await session.setVariable("HELPLINE_ACTION", handOff?.action.rawValue ?? "")
                    try await session.setVariable("HELPLINE_QUEUE", handOff?.queue.queue ?? "")
                    try await session.setVariable("HELPLINE_PRIORITY", handOff.map { String($0.priority) } ?? "0")
                    try await session.setVariable("HELPLINE_TICKET", state.variables["ticket"] ?? "")
                case .failed(let reason):
                    throw AGIError(.commandFailed, "the menu '\(menu.name)' failed: \(reason)")
                case .hungUpByMenu, .callerHungUp:
                    break
                }
            }
        }
    }
}

extension CallFlows: CallFlowsControl {
    /// ``reload()`` for the HTTP API.
    public func reloadMenusAndDirectory() -> ReloadOutcome { reload().outcome }

    /// ``reloadDirectory()`` for the HTTP API.
    public func reloadDirectoryOnly() -> ReloadOutcome { reloadDirectory().outcome }

    /// Why the menu `name` cannot run a campaign; nil when it can.
    public func campaignMenuProblem(_ name: String) -> String? {
        guard let menu = menu(name) else { return "the menu '\(name)' is not served (menus: \(menuNames.joined(separator: ", ")))" }
        guard menu.inputs.contains("contact"), !menu.answers.isEmpty else {
            return "the menu '\(name)' is not a campaign menu: it needs inputs: [contact] and answers: [question, …] (menus/README.md)"
        }
        return nil
    }
}

extension CallFlows.Report {
    /// The report as the HTTP API and the control socket answer it.
    var outcome: ReloadOutcome {
        ReloadOutcome(reloaded: problems.isEmpty, menus: menus, problems: problems.map(\.description), notes: notes)
    }
}
