import HelplineDomain
import Routing
import Testing

/// Which department a queue's calls are filed under (the daily report, a callback owed after
/// an abandoned queue): a department's own queue wins over another's overflow, whatever the
/// dictionary order.
@Suite struct QueueOwnershipTests {
    @Test func aDepartmentsOwnQueueWinsOverAnotherDepartmentsOverflow() throws {
        let directory = try DirectoryLoader.load(contentsOf: DirectoryLoaderTests.sample)
        // health-l1 is health's own queue and the control room's overflow.
        #expect(directory.departments["control-room"]?.queues["pbx1"]?.overflow == "health-l1")
        for _ in 0..<20 {
            // A fresh dictionary each time: its order differs from run to run and copy to copy.
            var copy = directory
            copy.departments = Dictionary(uniqueKeysWithValues: directory.departments.map { ($0.key, $0.value) }.shuffled())
            #expect(copy.department(owningQueue: "health-l1", on: "pbx1") == "health")
            #expect(copy.department(owningQueue: "control-room", on: "pbx1") == "control-room")
        }
        #expect(directory.department(owningQueue: "water-overflow", on: "pbx1") == "water", "an overflow no department owns is its department's")
        #expect(directory.department(owningQueue: "helpline-general", on: "pbx1") == nil)
        #expect(directory.department(owningQueue: "water-l1", on: "pbx9") == nil, "no such PBX")
        #expect(directory.department(owningQueue: "water-l1") == "water")
        #expect(directory.queues(on: "pbx1").isSuperset(of: ["water-l1", "water-overflow", "health-l1", "control-room", "helpline-general"]))
    }

    @Test func equalClaimsGoToTheLowestDepartmentID() {
        let directory = Directory(
            departments: [
                Department(id: "b-dept", queues: ["p": DepartmentQueues(primary: "b", overflow: "shared")]),
                Department(id: "a-dept", queues: ["p": DepartmentQueues(primary: "a", overflow: "shared")]),
            ],
            categories: [], districts: [], officers: [], generalQueues: ["p": "general"])
        #expect(directory.department(owningQueue: "shared", on: "p") == "a-dept")
        #expect(directory.department(owningQueue: "b", on: "p") == "b-dept")
    }
}
