import AGITestSupport
import Foundation
import Routing
import HelplineDomain
import Testing
import AsteriskFakes

@Suite struct WaitEstimateTests {
    /// One simulated queue: `serving` seats, `available` of them idle and the rest on calls
    /// with exponentially distributed talk times of mean `talk`; `waiting` callers ahead in
    /// FIFO order. Returns how long a caller joining now waits for a seat.
    static func newCallerWait(serving: Int, available: Int, waiting: Int, talk: Double, generator: inout SplitMix) -> Double {
        func exponential() -> Double { -talk * log(1 - Double.random(in: 0..<1, using: &generator)) }
        var free = (0..<serving).map { $0 < available ? 0 : exponential() }
        var start = 0.0
        for _ in 0...waiting {
            let seat = free.indices.min { free[$0] < free[$1] }!
            start = free[seat]
            free[seat] = start + exponential()
        }
        return start
    }

    @Test(arguments: [
        (serving: 1, available: 0, waiting: 0),
        (serving: 2, available: 0, waiting: 3),
        (serving: 5, available: 1, waiting: 4),
        (serving: 10, available: 0, waiting: 25),
        (serving: 3, available: 3, waiting: 1),
        (serving: 4, available: 2, waiting: 2),
    ])
    func theFormulaMatchesASimulatedQueue(_ shape: (serving: Int, available: Int, waiting: Int)) throws {
        let talk = 150.0
        var generator = SplitMix(seed: UInt64(shape.serving * 1000 + shape.available * 100 + shape.waiting))
        let runs = 40_000
        var total = 0.0
        for _ in 0..<runs {
            total += Self.newCallerWait(serving: shape.serving, available: shape.available, waiting: shape.waiting, talk: talk, generator: &generator)
        }
        let simulated = total / Double(runs)
        let load = QueueLoad(loggedIn: shape.serving, available: shape.available, callersWaiting: shape.waiting, averageTalkSeconds: talk)
        let estimate = try #require(load.estimatedWait(defaultTalkSeconds: 999))
        if shape.waiting < shape.available {
            #expect(estimate == 0)
            #expect(simulated == 0)
        } else {
            // 40,000 runs: the sample mean is within about 1 % of the true mean.
            #expect(abs(estimate - simulated) / simulated < 0.03, "formula \(estimate) s, simulation \(simulated) s")
        }
    }

    @Test func noServingSeatMeansNoEstimateAndDefaultsApply() {
        #expect(QueueLoad(loggedIn: 0, available: 0).estimatedWait(defaultTalkSeconds: 180) == nil)
        #expect(QueueLoad(loggedIn: 2, available: 0, paused: 2, callersWaiting: 1).estimatedWait(defaultTalkSeconds: 180) == nil)
        // No talk time yet: the default.
        #expect(QueueLoad(loggedIn: 2, available: 0, callersWaiting: 3).estimatedWait(defaultTalkSeconds: 180) == 360.0, "4 callers to serve at 180 s on 2 seats")
    }
}
