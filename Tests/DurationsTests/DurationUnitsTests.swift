import Durations
import Foundation
import Testing

@Suite("Duration units")
struct DurationUnitsTests {
    @Test func convertsToWholeUnitsTruncatingTowardZero() {
        let d = Duration.seconds(3) + .nanoseconds(1_999_999)
        #expect(d.nanoseconds == 3_001_999_999)
        #expect(d.microseconds == 3_001_999)
        #expect(d.milliseconds == 3_001)
        #expect(d.seconds == 3.001999999)
        #expect(Duration.nanoseconds(-1_500).microseconds == -1)
        #expect(Duration.zero.seconds == 0)
    }

    @Test func saturatesInsteadOfTrapping() {
        let huge = Duration.seconds(Int64.max)
        #expect(huge.nanoseconds == .max && huge.microseconds == .max && huge.milliseconds == .max)
        #expect(Duration.seconds(Int64.min).nanoseconds == .min)
        // The whole seconds still fit in nanoseconds; the 999 ms past them do not.
        let edge = Duration.seconds(Int64.max / 1_000_000_000) + .milliseconds(999)
        #expect(edge.nanoseconds == .max)
    }

    @Test func readsSecondsSaturatingToTheNearestNanosecond() {
        #expect(Duration(secondsSaturating: 0.25) == .milliseconds(250))
        #expect(Duration(secondsSaturating: 1e-10) == .zero)
        #expect(Duration(secondsSaturating: 6e-10) == .nanoseconds(1))
        #expect(Duration(secondsSaturating: .nan) == .zero)
        #expect(Duration(secondsSaturating: .infinity) == .seconds(1_000_000_000))
        #expect(Duration(secondsSaturating: -.infinity) == .seconds(-1_000_000_000))
        #expect(Duration(secondsSaturating: 2.5).seconds == 2.5)
    }

    @Test func theMonotonicClockNeverGoesBack() {
        var last = monotonicNanos()
        for _ in 0..<10_000 {
            let now = monotonicNanos()
            #expect(now >= last)
            last = now
        }
        #expect(last > 0)
    }

    @Test func theWallClockReadsTheEpochInMicroseconds() {
        let foundation = Int64(Date().timeIntervalSince1970 * 1e6)
        #expect(abs(wallClockMicros() - foundation) < 1_000_000)
    }
}
