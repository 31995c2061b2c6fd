import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Headless Chromium driven over the DevTools protocol, for the browser test.
///
/// The browser is started with `--remote-debugging-pipe`: it reads protocol commands from
/// file descriptor 3 and writes replies and events to 4, each message JSON ended by a NUL
/// byte. No port, no WebSocket: nothing another process could connect to. The browser runs
/// in a process group of its own with a temporary profile, and ``close()`` ends the whole
/// group (politely, then with SIGKILL) and removes the profile.
///
/// ```swift
/// let browser = try Chromium.launch(executable: path, log: folder.appendingPathComponent("chromium.log"))
/// defer { browser.close() }
/// let tab = try await browser.newTab()
/// try await tab.navigate("http://127.0.0.1:8080/signin")
/// ```
final class Chromium: Sendable {
    /// A protocol failure: an error reply, a timeout, the browser gone.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private struct State {
        var nextID = 1
        var waiting: [Int: CheckedContinuation<Data, any Error>] = [:]
        var ended: String?
    }

    let pid: pid_t
    let profile: URL
    let logFile: URL
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private let state = Mutex(State())
    private let closed = Mutex(false)

    /// The browser to use: `HELPLINE_CHROMIUM`, else the first of chromium, chromium-browser,
    /// google-chrome on `PATH`; nil when there is none.
    static func locate() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["HELPLINE_CHROMIUM"], FileManager.default.isExecutableFile(atPath: path) { return path }
        let folders = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init) + ["/usr/bin", "/snap/bin"]
        for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
            for folder in folders where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        return nil
    }

    /// Starts `executable` headless with a new temporary profile, its output going to `log`.
    static func launch(executable: String, log: URL) throws -> Chromium {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("helpline-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let arguments = [
            executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--disable-background-networking", "--disable-sync",
            "--disable-component-update", "--disable-default-apps", "--disable-features=Translate,MediaRouter,OptimizationHints",
            "--mute-audio", "--hide-scrollbars", "--window-size=1280,900", "--remote-debugging-pipe", "--user-data-dir=\(profile.path)", "about:blank",
        ]
        var commands: [Int32] = [0, 0]
        var replies: [Int32] = [0, 0]
        // Close-on-exec at once (pipe2 is not visible to Swift): other tests start processes too.
        guard pipe(&commands) == 0, pipe(&replies) == 0 else { throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        for fd in commands + replies { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // The child's ends, first moved above the low numbers, so that putting them at 3 and 4
        // cannot overwrite one with the other; close-on-exec, as are the originals.
        let childReads = fcntl(commands[0], F_DUPFD_CLOEXEC, 64)
        let childWrites = fcntl(replies[1], F_DUPFD_CLOEXEC, 64)
        defer {
            for fd in [commands[0], replies[1], childReads, childWrites] { closeDescriptor(fd) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_adddup2(&actions, childReads, 3)
        posix_spawn_file_actions_adddup2(&actions, childWrites, 4)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A process group of its own: close() ends the renderers and helpers with it.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, &argv, environ)
        guard status == 0 else {
            closeDescriptor(commands[1])
            closeDescriptor(replies[0])
            throw Failure(description: "could not start \(executable): \(String(cString: strerror(status)))")
        }
        return Chromium(pid: pid, profile: profile, logFile: log, toBrowser: commands[1], fromBrowser: replies[0])
    }

    private init(pid: pid_t, profile: URL, logFile: URL, toBrowser: Int32, fromBrowser: Int32) {
        self.pid = pid
        self.profile = profile
        self.logFile = logFile
        self.toBrowser = toBrowser
        self.fromBrowser = fromBrowser
        let thread = Thread { [self] in readReplies() }
        thread.name = "chromium-devtools"
        thread.start()
    }

    /// Reads NUL-ended messages until the browser closes its end; hands each reply to the
    /// command waiting for it (events are not needed: the test polls the page instead).
    private func readReplies() {
        var pending = Data()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(fromBrowser, &chunk, chunk.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            pending.append(contentsOf: chunk[0..<count])
            while let end = pending.firstIndex(of: 0) {
                let message = pending[pending.startIndex..<end]
                pending = Data(pending[(end + 1)...])
                guard let object = try? JSONSerialization.jsonObject(with: message) as? [String: Any], let id = object["id"] as? Int else { continue }
                let waiter = state.withLock { $0.waiting.removeValue(forKey: id) }
                waiter?.resume(returning: Data(message))
            }
        }
        closeDescriptor(fromBrowser)
        let waiters = state.withLock { state in
            state.ended = "the browser closed the DevTools pipe (it exited?); see \(logFile.path)"
            defer { state.waiting = [:] }
            return state.waiting.values
        }
        for waiter in waiters { waiter.resume(throwing: Failure(description: "the browser closed the DevTools pipe; see \(logFile.path)")) }
    }

    /// Sends a command (to a page when `session` is given) and returns its `result`.
    @discardableResult
    func send(_ method: String, _ parameters: [String: Any] = [:], session: String? = nil, timeout: Double = 30) async throws -> [String: Any] {
        let id = state.withLock { state -> Int in
            defer { state.nextID += 1 }
            return state.nextID
        }
        var message: [String: Any] = ["id": id, "method": method, "params": parameters]
        if let session { message["sessionId"] = session }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        let reply: Data = try await withCheckedThrowingContinuation { continuation in
            let ended = state.withLock { state -> String? in
                if state.ended == nil { state.waiting[id] = continuation }
                return state.ended
            }
            if let ended {
                continuation.resume(throwing: Failure(description: ended))
                return
            }
            var written = 0
            while written < bytes.count {
                let count = bytes[written...].withUnsafeBytes { write(toBrowser, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                written += count
            }
            if written < bytes.count, let waiter = state.withLock({ $0.waiting.removeValue(forKey: id) }) {
                waiter.resume(throwing: Failure(description: "could not write \(method) to the browser: \(String(cString: strerror(errno)))"))
                return
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [self] in
                if let waiter = state.withLock({ $0.waiting.removeValue(forKey: id) }) {
                    waiter.resume(throwing: Failure(description: "\(method): no reply in \(timeout) s"))
                }
            }
        }
        let object = try JSONSerialization.jsonObject(with: reply) as? [String: Any] ?? [:]
        if let error = object["error"] as? [String: Any] {
            throw Failure(description: "\(method): \(error["message"] ?? error)")
        }
        return object["result"] as? [String: Any] ?? [:]
    }

    /// A new tab (a page target) and a session attached to it.
    func newTab() async throws -> Tab {
        let target = try await send("Target.createTarget", ["url": "about:blank"])
        guard let targetID = target["targetId"] as? String else { throw Failure(description: "Target.createTarget gave no targetId") }
        let attached = try await send("Target.attachToTarget", ["targetId": targetID, "flatten": true])
        guard let session = attached["sessionId"] as? String else { throw Failure(description: "Target.attachToTarget gave no sessionId") }
        let tab = Tab(browser: self, session: session)
        try await tab.send("Page.enable")
        try await tab.send("Runtime.enable")
        return tab
    }

    /// Asks the browser to close, waits up to five seconds, then kills its process group and
    /// removes the profile. Safe to call twice.
    func close() {
        guard closed.withLock({ done in defer { done = true }; return !done }) else { return }
        // Browser.close is not awaited: the reply may never come as the browser goes.
        if var bytes = try? [UInt8](JSONSerialization.data(withJSONObject: ["id": 999_999, "method": "Browser.close"])) {
            bytes.append(0)
            _ = bytes.withUnsafeBytes { write(toBrowser, $0.baseAddress, $0.count) }
        }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(5)
        var exited = false
        while Date() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid {
                exited = true
                break
            }
            usleep(50_000)
        }
        // The group: helpers and renderers that outlive the browser process too.
        kill(-pid, SIGKILL)
        if !exited { waitpid(pid, &status, 0) }
        closeDescriptor(toBrowser)
        try? FileManager.default.removeItem(at: profile)
    }

    deinit {
        close()
    }
}

/// `close(2)`, by a name the class's own `close()` does not hide.
private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}

/// One tab of the browser.
struct Tab: Sendable {
    let browser: Chromium
    let session: String

    @discardableResult
    func send(_ method: String, _ parameters: [String: Any] = [:], timeout: Double = 30) async throws -> [String: Any] {
        try await browser.send(method, parameters, session: session, timeout: timeout)
    }

    /// Opens `url` and waits until the page it leads to (after redirects) has loaded.
    func navigate(_ url: String, timeout: Double = 20) async throws {
        let result = try await send("Page.navigate", ["url": url])
        if let error = result["errorText"] as? String { throw Chromium.Failure(description: "opening \(url): \(error)") }
        try await wait(until: "document.readyState === 'complete' && location.href !== 'about:blank'", timeout: timeout)
    }

    /// The value of a JavaScript expression (a promise's value once it settles).
    func evaluate(_ expression: String) async throws -> Any? {
        let result = try await send("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            let text = ((exception["exception"] as? [String: Any])?["description"] as? String) ?? (exception["text"] as? String) ?? "\(exception)"
            throw Chromium.Failure(description: "\(expression): \(text)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Waits until `condition` (JavaScript) is true in the page, polling every 100 ms; an
    /// evaluation that fails while a page is being replaced counts as false.
    func wait(until condition: String, timeout: Double = 20) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var last = "never evaluated"
        while Date() < deadline {
            do {
                if try await evaluate("Boolean(\(condition))") as? Bool == true { return }
                last = "false"
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let at = (try? await evaluate("location.href")) as? String ?? "?"
        throw Chromium.Failure(description: "waited \(timeout) s for \(condition) (last: \(last)) at \(at)")
    }

    /// The page's visible text.
    func text() async throws -> String {
        try await evaluate("document.body ? document.body.innerText : ''") as? String ?? ""
    }

    /// The page as a screen of this size (a phone: `mobile`, with touch and a device scale).
    func viewport(width: Int, height: Int, mobile: Bool) async throws {
        try await send("Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": mobile ? 2 : 1, "mobile": mobile])
    }

    /// Saves the whole page as a PNG.
    func screenshot(to file: URL) async throws {
        let result = try await send("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true])
        guard let base64 = result["data"] as? String, let data = Data(base64Encoded: base64) else {
            throw Chromium.Failure(description: "Page.captureScreenshot gave no image")
        }
        try data.write(to: file)
    }
}
