import EdgeVideoTestSupport
import Testing

/// The test support's one polling helper (Tests/TestSupport/Eventually.swift), here because this
/// target builds and runs fast and needs no broker.
@Suite struct EventuallyTests {
    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    @Test(.timeLimit(.minutes(1))) func theValueIsReturnedOnceTheConditionYieldsIt() async throws {
        var asks = 0
        let value = try await eventually(within: .seconds(30), "the fourth ask", poll: .milliseconds(1)) { () -> Int? in
            asks += 1
            return asks == 4 ? 42 : nil
        }
        #expect(value == 42 && asks == 4)
        // Asked at least once, even with no time to wait.
        #expect(try await eventually(within: .zero, "the first ask") { 7 } == 7)
    }

    @Test(.timeLimit(.minutes(1))) func aBoolConditionReturnsOnceItHolds() async throws {
        var asks = 0
        try await eventually(within: .seconds(30), "the third ask", poll: .milliseconds(1)) {
            asks += 1
            return asks == 3
        }
        #expect(asks == 3)
    }

    /// `false` is not a value: a `Bool` closure resolves to the `Bool` overload, never to `T = Bool`.
    @Test(.timeLimit(.minutes(1))) func aConditionThatNeverHoldsThrowsTheTimeoutNamingWhat() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        var asks = 0
        let error = await #expect(throws: EventuallyTimeout.self) {
            try await eventually(within: .milliseconds(200), "the impossible") {
                asks += 1
                return false
            }
        }
        #expect(clock.now - start >= .milliseconds(200))
        #expect(asks > 1, "polled, not asked once")
        #expect(error?.description == "the impossible did not happen within 0.2 seconds")
        await #expect(throws: EventuallyTimeout.self) {
            try await eventually(within: .milliseconds(200), "a literal false") { false }
        }
    }

    @Test(.timeLimit(.minutes(1))) func theLastErrorTheConditionThrewIsInTheDescription() async throws {
        var asks = 0
        let error = await #expect(throws: EventuallyTimeout.self) {
            try await eventually(within: .milliseconds(200), "an answer from the broker") { () -> Int? in
                asks += 1
                throw Refusal(description: "refusal \(asks)")
            }
        }
        #expect(error?.what == "an answer from the broker")
        #expect(error?.description == "an answer from the broker did not happen within 0.2 seconds (last error: refusal \(asks))")
    }

    @Test(.timeLimit(.minutes(1))) func cancellingTheTaskEndsTheWaitWithCancellationError() async throws {
        let (asked, asking) = AsyncStream.makeStream(of: Void.self)
        let waiting = Task {
            try await eventually(within: .seconds(3600), "never") {
                asking.yield()
                return false
            }
        }
        for await _ in asked { break }
        let clock = ContinuousClock()
        let cancelledAt = clock.now
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(clock.now - cancelledAt < .seconds(5))
    }
}
