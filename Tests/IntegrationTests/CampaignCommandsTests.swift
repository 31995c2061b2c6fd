import Foundation
import Store
import HelplineDomain
import Testing

extension Integration {
    @Suite(.serialized) struct CampaignCommandsTests {
        @Test func importReportsBadRowsWithTheirLineAndAddsTheRest() async throws {
            let directory = try HelplineServeTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            _ = try HelplineDatabase(path: directory.appendingPathComponent("helpline.sqlite").path)
            try "phone,name,district\n9876500000,Asha,07\nnot-a-number,Ravi,02\n9876500001,Mohan,01\n".write(
                to: directory.appendingPathComponent("contacts.csv"), atomically: true, encoding: .utf8)
            let (status, errors, output) = try await HelplineServeTests.run(["campaigns", "import", "scheme-survey", "contacts.csv", "--menu", "scheme-survey"], in: directory)
            #expect(status == 0, "\(errors)")
            #expect(errors.contains("contacts.csv:3: 'not-a-number' is not a phone number (7 to 15 digits)"), "\(errors)")
            #expect(output.contains("2 contacts added, 0 already there, 1 rows kept out"), "\(output)")
            let (_, _, listed) = try await HelplineServeTests.run(["campaigns", "list"], in: directory)
            #expect(listed.contains("scheme-survey  (draft, menu scheme-survey): pending 2, dialling 0, done 0, failed 0, skipped 0"), "\(listed)")

            try "phone\nabc\n".write(to: directory.appendingPathComponent("bad.csv"), atomically: true, encoding: .utf8)
            let (badStatus, badErrors, _) = try await HelplineServeTests.run(["campaigns", "import", "scheme-survey", "bad.csv", "--menu", "scheme-survey"], in: directory)
            #expect(badStatus == 65)
            #expect(badErrors.contains("bad.csv:2: 'abc' is not a phone number"), "\(badErrors)")
        }
    }
}
