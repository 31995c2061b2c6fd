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
        #expect(directory.department(owningQueue: "health-l1", on: "pbx1") == "health")
        #expect(directory.department(owningQueue: "control-room", on: "pbx1") == "control-room")
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

    /// Whatever the ids: the department whose own queue it is wins, though the one that
    /// only overflows into it sorts first.
    @Test func theOwnQueueWinsOverALowerIDsOverflow() {
        let directory = Directory(
            departments: [
                Department(id: "a-control-room", queues: ["p": DepartmentQueues(primary: "control", overflow: "z-health")]),
                Department(id: "z-health", queues: ["p": DepartmentQueues(primary: "z-health")]),
            ],
            categories: [], districts: [], officers: [], generalQueues: ["p": "general"])
        #expect(directory.department(owningQueue: "z-health", on: "p") == "z-health")
    }
}
