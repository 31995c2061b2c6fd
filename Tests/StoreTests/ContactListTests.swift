import Foundation
import Store
import HelplineDomain
import Testing

@Suite struct ContactListTests {
    @Test func goodRowsAreReadAndBadOnesKeptOutWithTheirLine() {
        let lines = [
            "name,phone,district,language,scheme,note",
            #"Asha Devi,+91 98765 43210,07,hi,PM-KISAN,"met at camp, said ""call after 5""""#,
            "Ravi,9876501234,02,EN,Ujjwala,",
            "Bad Number,12-34,07,hi,x,",
            "Too Many,9876500001,07,hi,x,y,z",
            "Twice,9876501234,02,en,Ujjwala,",
            "Odd District,9876500002,7a,hi,x,",
            "",
            "\"Multi\nline\",9876500003,01,vi,x,ok",
            "Odd Language,9876500004,01,hindi,x,",
        ]
        let text = lines.joined(separator: "\r\n") + "\r\n"
        let (contacts, problems) = ContactList.parse(text)
        #expect(contacts.map(\.phone) == ["+919876543210", "9876501234", "9876500003"])
        #expect(contacts[0].name == "Asha Devi" && contacts[0].district == "07" && contacts[0].language == "hi")
        #expect(contacts[0].fields == ["scheme": "PM-KISAN", "note": "met at camp, said \"call after 5\""])
        #expect(contacts[1].language == "en" && contacts[1].fields == ["scheme": "Ujjwala"])
        #expect(contacts[2].name == "Multi\nline")
        #expect(problems.map(\.line) == [4, 5, 6, 7, 11])
        #expect(problems[0].message == "'12-34' is not a phone number (7 to 15 digits)")
        #expect(problems[1].message == "7 fields where the header has 6 columns")
        #expect(problems[2].message == "9876501234 is already on line 3")
        #expect(problems[3].message == "district '7a' is not a district code (digits)")
        #expect(problems[4].message == "language 'hindi' is not a language code like hi, en or vi")
    }

    @Test(arguments: [
        ("", "line 1: the file is empty; the first line names the columns, one of them phone"),
        ("name,number\nA,9876500000\n", "line 1: the first line names the columns and must have one called phone (it has: name, number)"),
        ("phone,Phone\n9876500000,1\n", "line 1: the column 'phone' is named twice"),
    ])
    func aFileWithoutAUsableHeaderIsRefused(_ text: String, _ expected: String) {
        let (contacts, problems) = ContactList.parse(text)
        #expect(contacts.isEmpty)
        #expect(problems.map(\.description) == [expected])
    }

    @Test func importingTwiceAddsOnlyNewNumbers() async throws {
        let file = try TemporaryDatabase()
        let store = try file.open()
        let first = try await store.importContacts([CampaignContact(phone: "9876500000"), CampaignContact(phone: "9876500001", fields: ["ward": "3"])], campaign: "welfare", menu: "welfare-check")
        #expect(first.added == 2)
        let second = try await store.importContacts([CampaignContact(phone: "9876500001"), CampaignContact(phone: "9876500002")], campaign: "welfare", menu: "welfare-check")
        #expect(second.campaign == first.campaign && second.added == 1)
        let campaigns = try await store.campaigns()
        #expect(campaigns.map(\.name) == ["welfare"])
        #expect(campaigns.first?.contacts == ["pending": 3])
        #expect(campaigns.first?.status == "draft")
    }
}
