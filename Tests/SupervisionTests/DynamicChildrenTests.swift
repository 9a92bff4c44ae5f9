import Supervision
import SupervisionTestKit
import Testing

@Suite("Dynamic children")
struct DynamicChildrenTests {
    @Test(.timeLimit(.minutes(1)))
    func duplicateAndUnknownIdsAreRefused() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let sup = Supervisor(id: "root", intensity: .unlimited, backoff: .none, logger: quietLogger, children: [probe.child("a")])
        let (_, result) = try await withRunning(sup) {
            _ = await events.next(1)
            await #expect(throws: SupervisorError.self) { try await sup.startChild(probe.child("a")) }
            await #expect {
                try await sup.terminateChild(id: "nope")
            } throws: { ($0 as? SupervisorError)?.code == .childNotFound }
        }
        try result.get()
    }

    /// Also pins a departure from OTP on purpose (docs/architecture.md, "Departures from OTP, on
    /// purpose"): OTP's `terminate_child` keeps the spec until `delete_child`; `terminateChild` removes it.
    @Test(.timeLimit(.minutes(1)))
    func addAndRemoveUnderLoadTouchOnlyTheirOwnChild() async throws {
        let statics = Probe()
        let probe = Probe()
        let sup = Supervisor(
            id: "root", strategy: .oneForOne, intensity: .unlimited, backoff: .none, logger: quietLogger,
            children: [statics.child("s0"), statics.child("s1"), statics.child("s2")]
        )
        let (_, result) = try await withRunning(sup) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Load: static children crash over and over while dynamic ones come and go.
                group.addTask {
                    var events = EventReader(statics)
                    #expect(await events.next(3) == ["s0#1 started", "s1#1 started", "s2#1 started"])
                    for n in 0..<300 {
                        #expect(statics.crash("s\(n % 3)"))
                        let incarnation = n / 3 + 1
                        #expect(await events.next(2) == ["s\(n % 3)#\(incarnation) failed", "s\(n % 3)#\(incarnation + 1) started"])
                    }
                }
                for prefix in ["d", "e"] {
                    group.addTask {
                        for n in 0..<40 { try await sup.startChild(probe.child("\(prefix)\(n)")) }
                        for n in (0..<40).reversed() { try await sup.terminateChild(id: "\(prefix)\(n)") }
                    }
                }
                try await group.waitForAll()
            }
            #expect(sup.snapshot().children.map(\.id) == ["s0", "s1", "s2"])
            #expect(sup.snapshot().liveTasks == 3)
        }
        try result.get()
        probe.close()
        var byID: [String: [String]] = [:]
        for await event in probe.events { byID[event.id, default: []].append("\(event.kind.rawValue)#\(event.incarnation)") }
        for prefix in ["d", "e"] {
            for n in 0..<40 { #expect(byID["\(prefix)\(n)"] == ["started#1", "cancelled#1"]) }
        }
        statics.close()
        var last: [String: Probe.Event] = [:]
        var cancellations = 0
        for await event in statics.events {
            last[event.id] = event
            if event.kind == .cancelled { cancellations += 1 }
        }
        // Never stopped by a sibling's removal: the only cancellations are the final stop's.
        #expect(cancellations == 3)
        #expect(last.values.allSatisfy { $0.kind == .cancelled && $0.incarnation == 101 })
        #expect(sup.snapshot().liveTasks == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func dynamicChildSurvivesAOneForAllRestart() async throws {
        let probe = Probe()
        var events = EventReader(probe)
        let sup = Supervisor(
            id: "root", strategy: .oneForAll, intensity: .unlimited, backoff: .none, logger: quietLogger,
            children: [probe.child("a")]
        )
        let (_, result) = try await withRunning(sup) {
            _ = await events.next(1)
            try await sup.startChild(probe.child("dyn"))
            #expect(await events.next(1) == ["dyn#1 started"])
            probe.crash("a")
            #expect(await events.next(4) == ["a#1 failed", "dyn#1 cancelled", "a#2 started", "dyn#2 started"])
        }
        try result.get()
    }
}
