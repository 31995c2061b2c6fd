import ArgumentParser
import Foundation
import IVR

/// `helpline prompts`: the prompts of the call flows.
struct Prompts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make placeholder recordings of the prompts.",
        subcommands: [Synth.self])

    /// `helpline prompts synth`.
    struct Synth: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Speak every prompt of the prompt lists with espeak-ng into 8 kHz WAV files, so a flow can be heard before studio recordings exist.",
            discussion: """
                Reads the prompt lists in MENUS/prompts (one file per language, like hi.yaml) and \
                writes OUT/<language>/<prompt>.wav, mono 16-bit 8 kHz as Asterisk plays it. Needs \
                espeak-ng and sox (Debian: apt-get install espeak-ng sox). Existing files are kept \
                unless --force. Point Asterisk's sounds at OUT, or copy the language folders into \
                /var/lib/asterisk/sounds. Exit status 0 when done, 69 when a tool is missing, 66 \
                when there are no prompt lists, 1 when a prompt could not be made.
                """)

        @Option(name: .long, help: ArgumentHelp("The menu folder whose prompts/ lists to speak.", valueName: "dir"))
        var menus = "menus"

        @Option(name: .long, help: ArgumentHelp("Where the language folders go.", valueName: "dir"))
        var out: String

        @Option(name: .long, help: ArgumentHelp("Only these languages, comma-separated (default: every list).", valueName: "codes"))
        var languages: String?

        @Flag(name: .long, help: "Replace recordings that exist.")
        var force = false

        /// espeak-ng voices for the helpline's languages (its voice names are language codes).
        static let voices = ["en": "en", "hi": "hi", "vi": "vi", "ta": "ta", "bn": "bn", "mr": "mr", "te": "te", "gu": "gu", "kn": "kn", "ml": "ml", "pa": "pa", "ur": "ur"]

        func run() async throws {
            let espeak = Self.executable("espeak-ng"), sox = Self.executable("sox")
            let missing = [("espeak-ng", espeak), ("sox", sox)].filter { $0.1 == nil }.map(\.0)
            guard let espeak, let sox else {
                fail("helpline prompts synth needs \(missing.joined(separator: " and ")) on PATH (Debian: apt-get install espeak-ng sox); they are optional and only needed for placeholder prompts", code: 69)
            }
            let folder = menus + "/prompts"
            let (lists, problems) = PromptList.loadAll(folder: folder)
            for problem in problems { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
            guard !lists.isEmpty else { fail("no prompt lists in \(folder) (one YAML file per language, see menus/README.md)", code: 66) }
            let wanted = languages.map { Set($0.split(separator: ",").map(String.init)) }
            var made = 0, kept = 0, failed = 0
            for (language, list) in lists.sorted(by: { $0.key < $1.key }) where wanted?.contains(language) ?? true {
                let directory = URL(fileURLWithPath: out).appendingPathComponent(language)
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let voice = Self.voices[language] ?? language
                for (prompt, text) in list.texts.sorted(by: { $0.key < $1.key }) {
                    let target = directory.appendingPathComponent("\(prompt).wav")
                    if !force, FileManager.default.fileExists(atPath: target.path) {
                        kept += 1
                        continue
                    }
                    let raw = FileManager.default.temporaryDirectory.appendingPathComponent("helpline-synth-\(UUID().uuidString).wav")
                    defer { try? FileManager.default.removeItem(at: raw) }
                    let spoken = Self.launch(espeak, ["-v", voice, "-s", "150", "-w", raw.path, text])
                    let converted = spoken == 0 ? Self.launch(sox, [raw.path, "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", target.path]) : spoken
                    if converted == 0 {
                        made += 1
                    } else {
                        failed += 1
                        FileHandle.standardError.write(Data("error: \(language)/\(prompt): \(spoken == 0 ? "sox" : "espeak-ng") exited with status \(converted)\n".utf8))
                    }
                }
                print("\(language): \(list.texts.count) prompts in \(directory.path)")
            }
            print("\(made) made, \(kept) kept (use --force to replace), \(failed) failed")
            if failed > 0 || !problems.isEmpty { throw ExitCode(1) }
        }

        /// The path of `name` on PATH, if any.
        static func executable(_ name: String) -> String? {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            for folder in path.split(separator: ":") {
                let candidate = "\(folder)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
            return nil
        }

        /// Runs a program and returns its exit status (-1 when it cannot start).
        static func launch(_ program: String, _ arguments: [String]) -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            do { try process.run() } catch { return -1 }
            process.waitUntilExit()
            return process.terminationStatus
        }
    }
}
