import Foundation
import Routing
import HelplineDomain
import Testing
import YAMLSupport

@Suite struct DirectoryLoaderTests {
    static var sample: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("deploy/directory.yaml").path
    }

    @Test func theShippedSampleLoads() throws {
        let directory = try DirectoryLoader.load(contentsOf: Self.sample)
        #expect(directory.departments.count == 4)
        #expect(directory.categories["medical-emergency"]?.emergency == true)
        #expect(directory.departments["water"]?.queues["pbx1"] == DepartmentQueues(primary: "water-l1", overflow: "water-overflow"))
        #expect(directory.departments["roads"]?.openingHours?.days[6] == [570..<810])
        #expect(directory.departments["health"]?.callbackAfterSeconds == 120)
        #expect(directory.officer(department: "water", district: "02", level: .l1)?.id == "l1-water-02")
        #expect(directory.officer(department: "water", district: "02", level: .l2)?.id == "l2-water")
        #expect(directory.generalQueues == ["pbx1": "helpline-general"])
        #expect(directory.policy.utcOffset == 19_800)
        #expect(directory.districts["01"]?.names["hi"] == "लखनऊ")
    }

    static let base = """
        pbxs:
          pbx1: {general_queue: general, queues: [water-l1]}
        departments:
          water: {queues: {pbx1: {queue: water-l1}}}
        categories:
          supply: {department: water}
        districts:
          "01": {}
          "02": {}
        officers:
          o1: {department: water, level: L1}

        """

    static func problems(_ yaml: String) -> [String] {
        do {
            _ = try DirectoryLoader.load(yaml: yaml, file: "directory.yaml")
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func aMinimalDirectoryLoads() throws {
        #expect(Self.problems(Self.base) == [])
    }

    @Test func everyProblemIsReportedAtItsPlace() {
        let yaml = """
            policy:
              callback_after: soon
            pbxs:
              pbx1: {general_queue: general, queues: [water-l1]}
              pbx2: {queues: [x]}
            departments:
              water: {queues: {pbx1: {queue: water-l2}}}
              roads: {queues: {pbx9: {queue: roads}}}
              health: {queues: {pbx1: {queue: general}}, colour: blue}
            categories:
              supply: {department: watr}
              pothole: {emergency: maybe, department: roads}
            districts:
              "01": {}
              "7a": {}
            officers:
              o1: {department: water, level: L3}
              o2: {department: health, level: L1, districts: ["01", "09"]}
            """
        #expect(Self.problems(yaml) == [
            "directory.yaml:2:19: policy.callback_after must be a duration such as 5, \"5s\", \"250ms\" or \"2m\", not 'soon'",
            "directory.yaml:5:9: pbxs.pbx2 needs a general_queue for calls without a department",
            "directory.yaml:7:34: departments.water.queues.pbx1.queue: unknown queue 'water-l2' on PBX 'pbx1'; declare it under pbxs.pbx1.queues",
            "directory.yaml:8:26: departments.roads.queues.pbx9: unknown PBX 'pbx9'; the pbxs section declares: pbx1, pbx2",
            "directory.yaml:9:46: unknown key 'departments.health.colour'; expected one of: names, queues, sla_hours, hours, callback_after",
            "directory.yaml:11:24: categories.supply.department: unknown department 'watr'",
            "directory.yaml:12:24: categories.pothole.emergency must be true or false, not 'maybe'",
            "directory.yaml:15:3: district codes are keyed on a phone: digits only, not '7a' (quote codes with leading zeros: \"07\")",
            "directory.yaml:17:34: officers.o1.level must be L1 or L2, not 'L3'",
            "directory.yaml:18:57: officers.o2.districts: unknown district '09'",
        ])
    }

    @Test func aDepartmentWithoutL1InSomeDistrictIsAProblem() {
        let yaml = Self.base.replacingOccurrences(of: "o1: {department: water, level: L1}", with: "o1: {department: water, level: L1, districts: [\"01\"]}")
        #expect(Self.problems(yaml) == ["directory.yaml:4:10: department 'water' has no L1 officer for district 02"])
    }

    @Test func openingHoursAndOffsetsAreChecked() {
        let hours = Self.base.replacingOccurrences(of: "water: {queues: {pbx1: {queue: water-l1}}}", with: "water: {queues: {pbx1: {queue: water-l1}}, hours: {mon-fri: \"17:00-09:00\"}}")
        #expect(Self.problems(hours) == ["directory.yaml:4:63: departments.water.hours.mon-fri: '17:00-09:00' is not a time range like \"09:00-17:00\""])
        let days = Self.base.replacingOccurrences(of: "water: {queues: {pbx1: {queue: water-l1}}}", with: "water: {queues: {pbx1: {queue: water-l1}}, hours: {fri-mon: \"09:00-17:00\"}}")
        #expect(Self.problems(days).first?.contains("'fri-mon' is not a day or a range of days") == true)
        let offset = "policy: {utc_offset: \"5:30\"}\n" + Self.base
        #expect(Self.problems(offset) == ["directory.yaml:1:22: policy.utc_offset must be like \"+05:30\" or \"-03:00\", not '5:30'"])
    }

    @Test func syntaxErrorsAndMissingSectionsAreReported() {
        let syntax = Self.problems("departments: [")
        #expect(syntax.count == 1)
        #expect(syntax.first?.hasPrefix("directory.yaml:2:1: YAML error:") == true, "\(syntax)")
        #expect(Self.problems("").first == "directory.yaml:1:1: the directory is empty; it needs pbxs, departments, categories, districts and officers")
        #expect(Self.problems("pbxs: {}\n").contains("directory.yaml:1:1: the directory has no 'departments' section"))
    }
}
