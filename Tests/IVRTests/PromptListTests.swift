import Foundation
import IVR
import Testing
import YAMLSupport

@Suite struct PromptListTests {
    @Test func everyShippedPromptHasATextInEveryLanguage() throws {
        let folder = MenuCheckTests.repository.appendingPathComponent("menus").path
        let library = try MenuLibrary.load(folder: folder)
        #expect(library.problems.map(\.description) == [])
        let (lists, problems) = PromptList.loadAll(folder: folder + "/prompts")
        #expect(problems.isEmpty)
        #expect(lists.keys.sorted() == ["en", "hi", "vi"])
        #expect(lists["hi"]?.texts["welcome"] == "मुख्यमंत्री हेल्पलाइन में आपका स्वागत है।")
    }

    @Test func aPromptWithoutTextAndALanguageWithoutAListAreReported() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("helpline-menus-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("prompts"), withIntermediateDirectories: true)
        try "languages: [hi, en]\nstart: a\nnodes:\n  a:\n    play: [welcome, goodbye]\n    next: b\n  b:\n    hangup: true\n".write(to: folder.appendingPathComponent("m.yaml"), atomically: true, encoding: .utf8)
        try "language: hi\nprompts:\n  welcome: \"स्वागत\"\n".write(to: folder.appendingPathComponent("prompts/hi.yaml"), atomically: true, encoding: .utf8)
        let library = try MenuLibrary.load(folder: folder.path)
        let path = folder.path
        #expect(library.problems.map(\.description) == [
            "\(path)/m.yaml:2:1: no prompt list for language 'en' (\(path)/prompts/en.yaml)",
            "\(path)/m.yaml:5:5: nodes.a: prompt 'goodbye' has no text in \(path)/prompts/hi.yaml",
        ])
    }
}
