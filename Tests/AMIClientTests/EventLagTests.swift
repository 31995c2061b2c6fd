@testable import AMIClient
import Testing

/// `ami_event_lag_seconds` from the `Timestamp` header Asterisk adds with `timestampevents = yes`.
@Suite struct EventLagTests {
    @Test func lagIsNowMinusTheEventsStamp() {
        #expect(eventLagNanoseconds(timestamp: "1732200000.250000", now: 1_732_200_000.75) == 500_000_000)
    }

    @Test func aStampFromTheFutureIsNoLag() {
        #expect(eventLagNanoseconds(timestamp: "1732200001.000000", now: 1_732_200_000) == 0)
    }

    @Test(arguments: [nil, "", "soon", "0", "-5"])
    func noUsableStampIsNoSample(_ stamp: String?) {
        #expect(eventLagNanoseconds(timestamp: stamp, now: 1_732_200_000) == nil)
    }
}
