import EdgeVideoTestSupport
import Foundation
import Glibc
import Supervision
import Testing

@testable import EdgeVideo

extension BinaryTests {
    /// The spool against the real binary and a real broker (a scratch node each): a long outage,
    /// a SIGKILL during an outage in `always` mode, a camera removed while the broker is away, a
    /// full disk, a read-only and a vanished spool directory, damaged spool files at start. Each
    /// checks the ledger by identity: every frame the status calls confirmed is in the queue, and
    /// every other frame is in a counted place.
    @Suite struct SpoolFaultTests {
        static func cameras(_ count: Int, fps: Double = 5) -> [[String: Any]] {
            (0..<count).map { ApplianceHarness.camera("s\($0)", "testsrc:?size=320x180&rate=10", fps: fps) }
        }

        static var amqp: [String: Any] { ["heartbeat_s": 2, "confirm_timeout_s": 8, "connect_timeout_s": 5] }

        /// How long the long outage lasts, in frames per camera at 5 fps: 60 s in the suite,
        /// `EDGE_VIDEO_OUTAGE_S` (scripts/faults.sh runs 600).
        static var outageFrames: Int {
            Int(ProcessInfo.processInfo.environment["EDGE_VIDEO_OUTAGE_S"].flatMap(Double.init) ?? 60) * 5
        }

        @Test(.timeLimit(.minutes(FaultRun.minutes(6) + outageFrames / 300)))
        func longOutageLosesNothing() async throws {
            try await ScratchNode.with("outage") { node in
                let h = try ApplianceHarness("outage", scratch: node)
                let run = try await FaultRun("stop_app, long outage, spool", harness: h, cameras: Self.cameras(4), amqp: Self.amqp)
                let before = try await h.status()
                try await node.ctl("stop_app")
                // The outage lasts until every camera has captured this many frames more, all kept.
                let target = Self.outageFrames
                _ = try await h.waitForStatus("\(target) frames captured during the outage", within: .seconds(Double(target) / 5 * 2 + 60), app: run.app) { status in
                    run.cameraIDs.allSatisfy { id in
                        (status.cameras[id]?.framesCaptured ?? 0) >= (before.cameras[id]?.framesCaptured ?? 0) + target
                    }
                }
                let during = try await h.status()
                for id in run.cameraIDs {
                    let camera = try #require(during.cameras[id])
                    // Every frame captured since `before` is confirmed (before the broker went), in
                    // memory (the publish queue), or on disk: at 5 fps, most of them on disk.
                    let confirmedSince = camera.confirmed - (before.cameras[id]?.confirmed ?? 0)
                    #expect(camera.spooled + camera.queuedForPublish + camera.inFlight + confirmedSince >= target, "\(id): \(camera)")
                    #expect(camera.spooled >= target / 2, "\(id): frames on disk during the outage: \(camera)")
                    #expect(camera.droppedAfterEncode == 0 && camera.spoolDropped == 0, "\(id): \(camera)")
                }
                async let started = node.ctl("start_app")
                let accepted = try await node.waitUntilAccepting()
                _ = try await started
                try await run.waitForRecovery(acceptedAt: accepted, within: .seconds(120))
                _ = try await h.waitForStatus("the backlog drained", within: .seconds(300), app: run.app) { status in
                    run.cameraIDs.allSatisfy { status.cameras[$0]?.spooled == 0 }
                }
                let report = try await run.finish(runs: 1, leaks: nil, maxRecovery: nil)
                #expect(report.lost == 0)
                let final = try JSONDecoder().decode(StatusDocument.self, from: Data(contentsOf: URL(fileURLWithPath: h.statusPath)))
                for id in run.cameraIDs {
                    let camera = try #require(final.cameras[id])
                    #expect(camera.dropped == 0 && camera.spooled == 0 && camera.queuedForPublish == 0, "\(id): \(camera)")
                    #expect(camera.confirmed == camera.framesEncoded, "\(id): every frame confirmed: \(camera)")
                }
            }
        }

        @Test(.timeLimit(.minutes(6))) func sigkillDuringAnOutageInAlwaysModeLosesNoWrittenFrame() async throws {
            try await ScratchNode.with("kill9") { node in
                let h = try ApplianceHarness("kill9", scratch: node)
                let queue = "ev.test.kill9.\(UUID().uuidString.prefix(8))"
                let cameras = Self.cameras(2)
                let ids = cameras.compactMap { $0["id"] as? String }
                try h.writeConfig(cameras, amqp: Self.amqp, spool: ["mode": "always"])
                _ = try await h.tap(queue: queue, declareOnly: true)
                let first = try h.start()
                _ = try await h.waitForStatus("confirming", app: first) { s in ids.allSatisfy { (s.cameras[$0]?.confirmed ?? 0) >= 5 } }
                try await node.ctl("stop_app")
                let killedAt = try await h.waitForStatus("frames on disk during the outage", app: first) { s in
                    ids.allSatisfy { (s.cameras[$0]?.spooled ?? 0) + (s.cameras[$0]?.queuedForPublish ?? 0) >= 40 }
                }
                first.signal(SIGKILL)
                _ = try await first.waitForExit(within: .seconds(10))
                try await node.ctl("start_app")
                _ = try await node.waitUntilAccepting()
                let second = try h.start()
                _ = try await h.waitForStatus("the frames of the killed run published", within: .seconds(120), app: second) { s in
                    ids.allSatisfy { id in
                        guard let c = s.cameras[id] else { return false }
                        return c.recovered > 0 && c.spooled == 0 && c.queuedForPublish == 0 && c.inFlight == 0
                    }
                }
                second.signal(SIGTERM)
                #expect(try await second.waitForExit(within: .seconds(60)) == 0, "\(second.stderr.suffix(3000))")
                let inQueue = try await h.drain(queue: queue)
                for id in ids {
                    // Every frame the killed run had encoded when its last status was read is in the
                    // queue: it was on disk before it was published.
                    let encoded = try #require(killedAt.cameras[id]).framesEncoded
                    let prefixes = ConfirmedIDs(summary: killedAt.cameras[id]?.confirmedIDs).byPrefix.keys.sorted()
                    let prefix = try #require(prefixes.first, "\(id): the killed run confirmed nothing before the outage")
                    let killedRun = (key: prefix, value: inQueue.ids.byPrefix[prefix] ?? [])
                    let missing = Set(0..<encoded).subtracting(killedRun.value)
                    #expect(missing.isEmpty, "\(id): frames of the killed run missing: \(missing.sorted().prefix(20)) of \(encoded)")
                }
            }
        }

        @Test(.timeLimit(.minutes(5))) func cameraRemovedDuringAnOutageStillDelivers() async throws {
            try await ScratchNode.with("remove") { node in
                let h = try ApplianceHarness("remove", scratch: node)
                let queue = "ev.test.remove.\(UUID().uuidString.prefix(8))"
                let cameras = Self.cameras(2)
                try h.writeConfig(cameras, amqp: Self.amqp)
                _ = try await h.tap(queue: queue, declareOnly: true)
                let app = try h.start()
                _ = try await h.waitForStatus("confirming", app: app) { s in (s.cameras["s1"]?.confirmed ?? 0) >= 5 }
                try await node.ctl("stop_app")
                _ = try await h.waitForStatus("frames on disk", app: app) { s in (s.cameras["s1"]?.spooled ?? 0) >= 20 }
                try h.writeConfig([cameras[0]], amqp: Self.amqp)
                let removed = try await h.waitForStatus("s1 removed, draining", app: app) { s in
                    s.config.generation == 2 && s.tree.children.contains { $0.id == "drain:s1" } == true
                }
                let encoded = try #require(removed.cameras["s1"]).framesEncoded
                #expect(removed.cameras["s1"]?.queuedForPublish == 0, "leftovers went to disk: \(removed.cameras["s1"]!)")
                try await node.ctl("start_app")
                _ = try await node.waitUntilAccepting()
                let drained = try await h.waitForStatus("s1 drained", within: .seconds(120), app: app) { s in
                    s.cameras["s1"] == nil && s.tree.children.contains { $0.id == "drain:s1" } == false
                }
                #expect(drained.cameras["s0"] != nil)
                app.signal(SIGTERM)
                #expect(try await app.waitForExit(within: .seconds(60)) == 0, "\(app.stderr.suffix(3000))")
                let inQueue = try await h.drain(queue: queue)
                let missing = Set(0..<encoded).subtracting(inQueue.seqs["s1"] ?? [])
                #expect(missing.isEmpty, "frames of the removed camera missing: \(missing.sorted().prefix(20)) of \(encoded)")
            }
        }

        /// Stopped during an outage, edited while stopped: the camera the new configuration no
        /// longer has still delivers what the spool holds for it, through a `drain:<id>` child.
        @Test(.timeLimit(.minutes(5))) func framesOfACameraRemovedWhileStoppedArriveAfterTheRestart() async throws {
            try await ScratchNode.with("orphan") { node in
                let h = try ApplianceHarness("orphan", scratch: node)
                let queue = "ev.test.orphan.\(UUID().uuidString.prefix(8))"
                let cameras = Self.cameras(2)
                try h.writeConfig(cameras, amqp: Self.amqp)
                _ = try await h.tap(queue: queue, declareOnly: true)
                let first = try h.start()
                _ = try await h.waitForStatus("confirming", app: first) { s in (s.cameras["s1"]?.confirmed ?? 0) >= 5 }
                try await node.ctl("stop_app")
                _ = try await h.waitForStatus("frames on disk", app: first) { s in (s.cameras["s1"]?.spooled ?? 0) >= 20 }
                first.signal(SIGTERM)
                #expect(try await first.waitForExit(within: .seconds(60)) == 0, "\(first.stderr.suffix(3000))")
                // The graceful stop wrote what was in memory to the spool too.
                let stopped = try JSONDecoder().decode(StatusDocument.self, from: Data(contentsOf: URL(fileURLWithPath: h.statusPath)))
                let s1 = try #require(stopped.cameras["s1"])
                #expect(s1.queuedForPublish == 0 && s1.inFlight == 0, "everything of s1 on disk at the stop: \(s1)")
                let prefix = try #require(ConfirmedIDs(summary: s1.confirmedIDs).byPrefix.keys.sorted().first)
                try h.writeConfig([cameras[0]], amqp: Self.amqp)
                try await node.ctl("start_app")
                _ = try await node.waitUntilAccepting()
                let second = try h.start()
                _ = try await h.waitForStatus("s1 drained by drain:s1", within: .seconds(120), app: second) { s in
                    s.cameras["s1"] == nil && s.tree.children.contains { $0.id == "drain:s1" } == false
                        && (s.cameras["s0"]?.spooled ?? 1) == 0
                }
                #expect(second.stderr.contains("frames found in the spool"), "\(second.stderr.suffix(2000))")
                second.signal(SIGTERM)
                #expect(try await second.waitForExit(within: .seconds(60)) == 0, "\(second.stderr.suffix(3000))")
                let inQueue = try await h.drain(queue: queue)
                let missing = Set(0..<s1.framesEncoded).subtracting(inQueue.ids.byPrefix[prefix] ?? [])
                #expect(missing.isEmpty, "frames of the removed camera missing: \(missing.sorted().prefix(20)) of \(s1.framesEncoded)")
            }
        }

        @Test(.timeLimit(.minutes(5))) func fullDiskDropsAndCountsThenDrains() async throws {
            try await ScratchNode.with("enospc") { node in
                let h = try ApplianceHarness("enospc", scratch: node)
                let mount = try TmpfsMount(at: h.directory + "/tiny", size: "256k")
                defer { mount.unmount() }
                let run = try await FaultRun(
                    "spool on a full disk", harness: h, cameras: Self.cameras(2, fps: 10), amqp: Self.amqp,
                    spool: ["directory": mount.path])
                try await node.ctl("stop_app")
                let full = try await h.waitForStatus("the disk full", within: .seconds(90), app: run.app) { s in
                    s.spool?.lastError != nil && s.cameras.values.contains { $0.spoolDropped > 0 }
                }
                #expect(full.spool?.lastError?.contains("space") == true, "\(String(describing: full.spool))")
                #expect(full.cameras.values.allSatisfy { $0.state == .running }, "capture goes on: \(full.cameras)")
                async let started = node.ctl("start_app")
                let accepted = try await node.waitUntilAccepting()
                _ = try await started
                try await run.waitForRecovery(acceptedAt: accepted)
                _ = try await h.waitForStatus("drained after the disk filled", within: .seconds(120), app: run.app) { s in
                    run.cameraIDs.allSatisfy { s.cameras[$0]?.spooled == 0 }
                }
                try await run.finish(runs: 1, leaks: nil, maxRecovery: nil)
            }
        }

        /// A spool directory that is read-only from the start (it cannot be opened) or that vanishes
        /// during an outage (`rm -rf`): the cameras go on in memory, the status says why, and every
        /// frame is still in the queue or counted.
        @Test(.timeLimit(.minutes(5)), arguments: [SpoolLoss.readOnly, .vanished])
        func spoolDirectoryLostGoesOnInMemory(_ loss: SpoolLoss) async throws {
            try await ScratchNode.with("spoollost") { node in
                let h = try ApplianceHarness("spoollost", scratch: node)
                let mount = try TmpfsMount(at: h.directory + "/disk", size: "64m")
                defer { mount.unmount() }
                let spoolDirectory = mount.path + "/spool"
                if loss == .readOnly { try mount.remount(readOnly: true) }
                let run = try await FaultRun(
                    "spool directory \(loss)", harness: h, cameras: Self.cameras(2), amqp: Self.amqp,
                    spool: ["directory": spoolDirectory])
                try await node.ctl("stop_app")
                if loss == .vanished {
                    _ = try await h.waitForStatus("frames on disk", app: run.app) { s in
                        run.cameraIDs.allSatisfy { (s.cameras[$0]?.spooled ?? 0) >= 5 }
                    }
                    try FileManager.default.removeItem(atPath: spoolDirectory)
                }
                let failing = try await h.waitForStatus("the spool failing, frames beyond memory counted", within: .seconds(60), app: run.app) { s in
                    s.spool?.lastError != nil && s.cameras.values.allSatisfy { $0.droppedAfterEncode + $0.spoolDropped > 0 }
                }
                #expect(failing.cameras.values.allSatisfy { $0.state == .running }, "\(failing.cameras)")
                async let started = node.ctl("start_app")
                let accepted = try await node.waitUntilAccepting()
                _ = try await started
                try await run.waitForRecovery(acceptedAt: accepted)
                _ = try await h.waitForStatus("what was on disk published", within: .seconds(120), app: run.app) { s in
                    run.cameraIDs.allSatisfy { s.cameras[$0]?.spooled == 0 }
                }
                try await run.finish(runs: 1, leaks: nil, maxRecovery: nil)
            }
        }

        enum SpoolLoss: String, Sendable, CustomStringConvertible {
            case readOnly = "read-only", vanished
            var description: String { rawValue }
        }

        @Test(.timeLimit(.minutes(8)), arguments: [UInt64(1), 2, 3])
        func damagedSpoolFilesAtStartAreSkippedAndCounted(seed: UInt64) async throws {
            try await ScratchNode.with("damage") { node in
                let h = try ApplianceHarness("damage\(seed)", scratch: node)
                let queue = "ev.test.damage.\(UUID().uuidString.prefix(8))"
                let cameras = Self.cameras(2, fps: 10)
                let ids = cameras.compactMap { $0["id"] as? String }
                try h.writeConfig(cameras, amqp: Self.amqp, spool: ["mode": "always"])
                _ = try await h.tap(queue: queue, declareOnly: true)
                try await node.ctl("stop_app")
                let first = try h.start()
                _ = try await h.waitForStatus("frames on disk", app: first) { s in
                    ids.allSatisfy { (s.cameras[$0]?.framesEncoded ?? 0) >= 60 }
                }
                first.signal(SIGKILL)
                _ = try await first.waitForExit(within: .seconds(10))
                let damage = try SpoolDamage.apply(seed: seed, to: h.directory + "/.run/spool")
                try await node.ctl("start_app")
                _ = try await node.waitUntilAccepting()
                let second = try h.start()
                let done = try await h.waitForStatus("the undamaged frames published", within: .seconds(120), app: second) { s in
                    ids.allSatisfy { id in
                        guard let c = s.cameras[id] else { return false }
                        return c.spooled == 0 && c.queuedForPublish == 0 && c.inFlight == 0
                    }
                }
                let recovered = ids.reduce(0) { $0 + (done.cameras[$1]?.recovered ?? 0) }
                let damaged = ids.reduce(0) { $0 + (done.cameras[$1]?.damaged ?? 0) } + (done.spool?.damagedAtStart ?? 0)
                #expect(recovered > 0, "\(damage): nothing recovered: \(done.cameras)")
                #expect(damaged > 0 || damage.harmless, "\(damage): damage not counted: \(done.cameras) \(String(describing: done.spool))")
                second.signal(SIGTERM)
                #expect(try await second.waitForExit(within: .seconds(60)) == 0, "\(second.stderr.suffix(3000))")
                let inQueue = try await h.drain(queue: queue)
                #expect(inQueue.count >= recovered - ids.reduce(0) { $0 + (done.cameras[$1]?.damaged ?? 0) }, "\(damage)")
            }
        }
    }
}

/// A tmpfs of the test's own (a tiny disk to fill, or one to turn read-only), unmounted at the end.
struct TmpfsMount: Sendable {
    let path: String

    init(at path: String, size: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Self.run(["-t", "tmpfs", "-o", "size=\(size),mode=0750", "tmpfs", path])
    }

    func remount(readOnly: Bool) throws {
        try Self.run(["-o", "remount,\(readOnly ? "ro" : "rw")", path])
    }

    func unmount() {
        _ = try? Self.run(["-l", path], command: "/usr/bin/umount")
    }

    private static func run(_ arguments: [String], command: String = "/usr/bin/mount") throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestProcess.Failure(description: "\(command) \(arguments) exited \(process.terminationStatus) (the suite runs as root)")
        }
    }
}

/// Seeded damage to a spool directory's files: a torn tail, garbage in the middle, an empty file.
struct SpoolDamage: Sendable, CustomStringConvertible {
    var description: String
    /// Whether the damage may have touched no record (garbage over bytes already acknowledged).
    var harmless: Bool

    static func apply(seed: UInt64, to directory: String) throws -> SpoolDamage {
        var random = SplitMix64(seed: seed)
        let files = (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".seg") }.sorted()
        guard !files.isEmpty else { throw TestProcess.Failure(description: "no segment file in \(directory)") }
        let file = directory + "/" + files[Int(random.next() % UInt64(files.count))]
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: file))
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        switch random.next() % 3 {
        case 0:
            let cut = size / 2 + random.next() % max(1, size / 2)
            try handle.truncate(atOffset: cut)
            return SpoolDamage(description: "seed \(seed): \(file) torn at \(cut) of \(size)", harmless: false)
        case 1:
            let offset = random.next() % max(1, size - 64)
            try handle.seek(toOffset: offset)
            try handle.write(contentsOf: (0..<64).map { _ in UInt8(truncatingIfNeeded: random.next()) })
            return SpoolDamage(description: "seed \(seed): 64 garbage bytes at \(offset) of \(file) (\(size))", harmless: false)
        default:
            let empty = (file as NSString).deletingLastPathComponent + "/99999999.seg"
            _ = FileManager.default.createFile(atPath: empty, contents: Data())
            try handle.truncate(atOffset: size - min(size, 7))
            return SpoolDamage(description: "seed \(seed): an empty segment file, and \(file) torn by 7 bytes", harmless: false)
        }
    }
}
