@testable import AMQPPublisher
import Testing

@Suite("Confirm window (pure)")
struct ConfirmWindowTests {
    let t0 = ContinuousClock.now

    func message(_ id: String, size: Int = 10) -> OutgoingMessage {
        OutgoingMessage(body: [UInt8](repeating: 1, count: size), routingKey: "k", messageID: id)
    }

    @Test func limitsTheQueueByCountAndBytes() {
        var w = ConfirmWindow(maxCount: 2, maxBytes: 25)
        #expect(w.hasRoom(for: 100), "an empty queue takes any single message")
        w.accept(message("a"))
        #expect(w.hasRoom(for: 15))
        #expect(!w.hasRoom(for: 16), "bytes limit")
        w.accept(message("b"))
        #expect(!w.hasRoom(for: 1), "count limit")
        #expect(w.count == 2 && w.queuedBytes == 20)
    }

    @Test func limitsTheWireByCountAndBytes() {
        var w = ConfirmWindow(maxCount: 2, maxBytes: 25)
        for id in ["a", "b", "c"] { w.accept(message(id)) }
        #expect(w.takeSendable(at: t0).map(\.message.messageID) == ["a", "b"], "count limit on the wire")
        #expect(!w.canSend && w.wireCount == 2 && w.queuedCount == 1)
        #expect(w.hasRoom(for: 10), "the queue has room again while the wire is full")
        _ = w.settle(tag: 1, multiple: false, ack: true, at: t0)
        w.accept(message("big", size: 16))
        #expect(w.takeSendable(at: t0).map(\.message.messageID) == ["c"], "bytes limit: 10 + 10 on the wire, 16 waits")
        _ = w.settle(tag: 3, multiple: true, ack: true, at: t0)
        #expect(w.takeSendable(at: t0).map(\.message.messageID) == ["big"])
        #expect(w.nextTag == 5 && w.count == 1)
    }

    @Test func settlesSingleAndMultipleInOrder() {
        var w = ConfirmWindow(maxCount: 10, maxBytes: 1000)
        for id in ["a", "b", "c", "d"] { w.accept(message(id)) }
        let sent = w.takeSendable(at: t0)
        #expect(sent.map(\.message.messageID) == ["a", "b", "c", "d"])
        #expect(w.settle(tag: 3, multiple: false, ack: true, at: t0).map(\.message.messageID) == ["c"])
        #expect(w.firstTag == 1, "tag 1 still open")
        let multi = w.settle(tag: 3, multiple: true, ack: false, at: t0)
        #expect(multi.map(\.message.messageID) == ["a", "b"])
        #expect(multi.allSatisfy { $0.outcome == .nacked })
        #expect(w.firstTag == 4 && w.count == 1)
        #expect(w.settle(tag: 2, multiple: false, ack: true, at: t0).isEmpty, "already settled")
        #expect(w.settle(tag: 9, multiple: false, ack: true, at: t0).isEmpty, "never sent")
        #expect(w.settle(tag: 4, multiple: false, ack: true, at: t0).map(\.outcome) == [.confirmed])
        #expect(w.count == 0 && w.wireBytes == 0)
    }

    @Test func returnedThenAckedIsReturned() {
        var w = ConfirmWindow(maxCount: 10, maxBytes: 1000)
        w.accept(message("a"))
        w.accept(message("b"))
        _ = w.takeSendable(at: t0)
        #expect(w.markReturned(messageID: "b")?.messageID == "b")
        #expect(w.markReturned(messageID: "zz") == nil)
        #expect(w.settle(tag: 2, multiple: true, ack: true, at: t0).map(\.outcome) == [.confirmed, .returned])
    }

    @Test func handsBackSentThenQueuedInOrder() {
        var w = ConfirmWindow(maxCount: 10, maxBytes: 1000)
        for id in ["a", "b", "c"] { w.accept(message(id)) }
        _ = w.takeSendable(at: t0)
        w.accept(message("d"))
        _ = w.settle(tag: 2, multiple: false, ack: true, at: t0)
        #expect(w.takeUnsettled().map(\.messageID) == ["a", "c", "d"])
        #expect(w.count == 0 && w.queuedBytes == 0 && w.wireBytes == 0 && !w.canSend)
    }

    @Test func latencyRunsFromSendToSettlement() {
        var w = ConfirmWindow(maxCount: 10, maxBytes: 1000)
        w.accept(message("a"))
        _ = w.takeSendable(at: t0 + .milliseconds(5))
        #expect(w.settle(tag: 1, multiple: false, ack: true, at: t0 + .milliseconds(12)).map(\.latency) == [.milliseconds(7)])
    }

    @Test func confirmClockFollowsTheOldestUnsettled() {
        var w = ConfirmWindow(maxCount: 10, maxBytes: 1000)
        w.accept(message("a"))
        w.accept(message("b"))
        _ = w.takeSendable(at: t0)
        #expect(w.oldestSentAt == t0)
        _ = w.settle(tag: 1, multiple: false, ack: true, at: t0)
        w.restartConfirmClock(at: t0 + .seconds(5))
        #expect(w.oldestSentAt == t0 + .seconds(5))
    }

    @Test func lowWaterIsHalfTheQueueByCountAndBytes() {
        var w = ConfirmWindow(maxCount: 4, maxBytes: 100)
        #expect(w.isAtLowWater, "an empty queue")
        for id in ["a", "b", "c"] { w.accept(message(id)) }
        #expect(!w.isAtLowWater, "3 of 4 queued")
        var bytes = ConfirmWindow(maxCount: 4, maxBytes: 100)
        bytes.accept(message("big", size: 60))
        #expect(!bytes.isAtLowWater, "1 of 4 queued, but 60 of 100 bytes")
        _ = w.takeSendable(at: t0)
        #expect(w.isAtLowWater)
    }

    @Test func aSleepingThreadIsWokenOncePerSleep() {
        var state = GenerationState(window: ConfirmWindow(maxCount: 4, maxBytes: 1000))
        state.ioSleeping = true
        let idle = state.takeWake()
        #expect(!idle, "nothing to send: no wake")
        state.window.accept(message("a"))
        let first = state.takeWake()
        #expect(first, "the first publisher with work wakes the thread")
        state.window.accept(message("b"))
        let second = state.takeWake()
        #expect(!second, "later publishers of the same sleep do not write the pipe again")
        state.ioSleeping = true
        let next = state.takeWake()
        #expect(next, "a new sleep takes a new wake")
    }
}
