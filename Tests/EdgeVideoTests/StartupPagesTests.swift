import EdgeVideoTestSupport
import Foundation
import Supervision
import Testing

@testable import EdgeVideo

/// ``StartupPages``: the `smaps` parser and which mappings it may release, and
/// ``StartupPagesPolicy``: when. Pure logic on generated inputs; the binary test below shows the
/// kernel dropping the pages of the running appliance.
@Suite struct StartupPagesTests {
    /// A mapping with its figures, rendered as the kernel renders `/proc/PID/smaps`.
    private func render(_ mapping: StartupPages.Mapping, inode: Int) -> String {
        let range = String(mapping.start, radix: 16) + "-" + String(mapping.end, radix: 16)
        let header = "\(range) \(mapping.permissions) 00000000 fe:00 \(inode)"
        let named = mapping.path.isEmpty ? header : header.padding(toLength: 73, withPad: " ", startingAt: 0) + mapping.path
        let fields = [
            ("Size", Int((mapping.end - mapping.start) / 1024)), ("KernelPageSize", 4), ("Rss", mapping.residentKiB),
            ("Pss", mapping.residentKiB / 2), ("Shared_Clean", 0), ("Private_Dirty", mapping.anonymousKiB),
            ("Referenced", mapping.residentKiB), ("Anonymous", mapping.anonymousKiB), ("Swap", 0),
        ]
        return ([named] + fields.map { "\($0.0 + ":")".padding(toLength: 16, withPad: " ", startingAt: 0) + "\($0.1) kB" }
            + ["VmFlags: rd mr mw me"])
            .joined(separator: "\n")
    }

    private func randomMapping(at start: inout UInt, _ random: inout SplitMix64) -> StartupPages.Mapping {
        let pages = UInt.random(in: 1...4096, using: &random)
        let end = start + pages * 4096
        defer { start = end + 4096 * UInt.random(in: 0...16, using: &random) }
        let paths = [
            "", "[heap]", "[stack]", "[vdso]", "/usr/lib/x86_64-linux-gnu/libavcodec.so.59.37.100",
            "/opt/edge video/bin/edge-video", "/usr/bin/edge-video (deleted)", "/memfd:x (deleted)",
        ]
        let permissions = ["r--p", "r-xp", "rw-p", "---p", "r--s", "rwxp"].randomElement(using: &random)!
        let resident = Int.random(in: 0...Int(pages * 4), using: &random)
        let anonymous = Bool.random(using: &random) ? 0 : Int.random(in: 0...resident, using: &random)
        return StartupPages.Mapping(
            start: start, end: end, permissions: permissions, path: paths.randomElement(using: &random)!,
            residentKiB: resident, anonymousKiB: anonymous)
    }

    @Test func generatedSmapsParseBackToTheirMappings() {
        for seed in UInt64(1)...200 {
            var random = SplitMix64(seed: seed)
            var start: UInt = 0x5555_0000_0000
            let mappings = (0..<Int.random(in: 0...40, using: &random)).map { _ in randomMapping(at: &start, &random) }
            let text = mappings.enumerated().map { render($1, inode: $0) }.joined(separator: "\n") + "\n"
            #expect(StartupPages.mappings(smaps: text) == mappings, "seed \(seed)")
        }
    }

    @Test func onlyReadOnlyFileMappingsNeverWrittenAreReleasable() {
        var random = SplitMix64(seed: 7)
        var start: UInt = 0x7f00_0000_0000
        var seen = (releasable: 0, kept: 0)
        for _ in 0..<2000 {
            let mapping = randomMapping(at: &start, &random)
            // Stated apart from the implementation: a file (not a pseudo-name, not anonymous), no
            // write permission, and not one page the process wrote.
            let permissions = Array(mapping.permissions)
            let expected =
                mapping.path.first == "/" && permissions[0] == "r" && permissions[1] == "-" && permissions[3] == "p"
                && mapping.anonymousKiB == 0
            #expect(mapping.isReleasable == expected, "\(mapping)")
            if expected { seen.releasable += 1 } else { seen.kept += 1 }
        }
        #expect(seen.releasable > 50 && seen.kept > 50)
    }

    @Test func thisProcessesOwnSmapsParse() throws {
        let text = try String(decoding: FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/smaps")).readToEnd() ?? Data(), as: UTF8.self)
        // A mapping's header starts with its range, two hex numbers around a dash; a field line
        // starts with a name and a colon.
        let headers = text.split(separator: "\n").filter { line in
            let range = line.prefix { $0 != " " }.split(separator: "-", omittingEmptySubsequences: false)
            return range.count == 2 && range.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isHexDigit) }
        }
        let mappings = StartupPages.mappings(smaps: text)
        #expect(mappings.count == headers.count && mappings.count > 10)
        // The test binary's code mapping: executable, resident (this code runs), never written.
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let own = mappings.filter { $0.path == executable && $0.permissions == "r-xp" }
        #expect(own.count == 1 && own[0].residentKiB > 0 && own[0].isReleasable, "\(own)")
    }

    /// One sample of the policy's input.
    private struct Sample {
        var generation: Int
        var delivered: [String: Int]
        var time: Double
    }

    private func samples(_ random: inout SplitMix64) -> [Sample] {
        var generation = 1
        var time = 0.0
        var delivered: [String: Int] = [:]
        for id in ["a", "b", "c", "d"].prefix(Int.random(in: 0...4, using: &random)) { delivered[id] = 0 }
        var result: [Sample] = []
        for _ in 0..<Int.random(in: 1...200, using: &random) {
            time += Double.random(in: 0.5...3, using: &random)
            if Int.random(in: 0..<40, using: &random) == 0 {
                generation += 1
                if Bool.random(using: &random) { delivered["n\(generation)"] = 0 }
                if Bool.random(using: &random), let gone = delivered.keys.sorted().first { delivered[gone] = nil }
            }
            for id in delivered.keys where Int.random(in: 0..<(id == "a" ? 30 : 4), using: &random) == 0 {
                delivered[id]! += 1
            }
            result.append(Sample(generation: generation, delivered: delivered, time: time))
        }
        return result
    }

    @Test func releasesOncePerGenerationWhenEveryCameraDeliveredOrAtTheDeadline() {
        for seed in UInt64(1)...500 {
            var random = SplitMix64(seed: seed)
            let run = samples(&random)
            var policy = StartupPagesPolicy()
            var releases: [Int: Int] = [:]
            for (index, sample) in run.enumerated() {
                let released = policy.shouldRelease(generation: sample.generation, delivered: sample.delivered, at: sample.time)
                let first = run.firstIndex { $0.generation == sample.generation }!
                let began = run[first]
                let everyCamera =
                    !sample.delivered.isEmpty && sample.delivered.allSatisfy { $0.value > (began.delivered[$0.key] ?? 0) }
                let due = everyCamera || sample.time - began.time >= StartupPagesPolicy.deadline
                let earlier = run[first..<index].enumerated().contains { offset, earlier in
                    let everyEarlier =
                        !earlier.delivered.isEmpty && earlier.delivered.allSatisfy { $0.value > (began.delivered[$0.key] ?? 0) }
                    return everyEarlier || earlier.time - began.time >= StartupPagesPolicy.deadline
                }
                #expect(released == (due && !earlier), "seed \(seed), sample \(index)")
                #expect(policy.hasReleased(generation: sample.generation) == (due || earlier), "seed \(seed), sample \(index)")
                if released { releases[sample.generation, default: 0] += 1 }
            }
            #expect(releases.values.allSatisfy { $0 == 1 }, "seed \(seed)")
        }
    }
}

extension BinaryTests {
    /// The running appliance gives its start-up pages back and goes on publishing.
    @Suite struct StartupPagesReleaseTests {
        /// Resident KiB of the mappings of a process's own binary.
        private func resident(_ pid: Int32, binary: String) throws -> Int {
            let data = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/\(pid)/smaps")).readToEnd() ?? Data()
            let mappings = StartupPages.mappings(smaps: String(decoding: data, as: UTF8.self))
            return mappings.filter { $0.path == binary }.reduce(0) { $0 + $1.residentKiB }
        }

        private func released(_ stderr: String, generation: Int) -> [String: Int]? {
            guard let line = stderr.split(separator: "\n").first(where: {
                $0.contains("released start-up pages") && $0.contains("config_generation=\(generation) ")
            }) else { return nil }
            func value(_ key: String) -> Int? {
                line.split(separator: " ").first { $0.hasPrefix(key + "=") }.flatMap { Int($0.dropFirst(key.count + 1)) }
            }
            let keys = ["mappings", "resident_kib", "remaining_kib", "binary_kib", "binary_remaining_kib", "duration_ms"]
            let values = keys.compactMap { key in value(key).map { (key, $0) } }
            return values.count == keys.count ? Dictionary(uniqueKeysWithValues: values) : nil
        }

        @Test(.timeLimit(.minutes(3))) func startupPagesAreReleasedOncePerGenerationAndFramesGoOn() async throws {
            let h = try ApplianceHarness("pageout")
            // Other tests run the same binary side by side, and the kernel keeps pages that another
            // process maps; a binary just linked has dirty pages, which no reclaim drops before they
            // are written back. An installed binary, run by one service, has neither: so does this copy.
            try h.writeConfig([ApplianceHarness.camera("p0", "testsrc:?size=320x180&rate=10")])
            let app = try h.start(binary: h.privateBinary())
            let binary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(app.pid)/exe")
            let first = try await eventually(within: .seconds(60), "the first release") { released(app.stderr, generation: 1) }
            #expect(first["mappings"]! > 10 && first["remaining_kib"]! <= first["resident_kib"]!, "\(first)")
            // The kernel dropped them: what is resident again is only the code the appliance's
            // threads ran between the advice and the count, and how much that is depends on the
            // scheduler (13–36 % of the binary with two busy loops beside it, 38 % once in CI). A
            // release that did nothing leaves all of it (100 %, seen under the unit before the
            // `MADV_DONTNEED`), so the bound is three quarters.
            let binaryKiB = first["binary_kib"]!
            #expect(binaryKiB > 1024 && first["binary_remaining_kib"]! < binaryKiB * 3 / 4, "\(first)")
            // Seen from outside as well, a moment later: the code that runs since came back (about
            // half of the binary, from the same measurement), not all of it.
            let seen = try resident(app.pid, binary: binary)
            #expect(seen < binaryKiB, "\(seen) KiB of the binary resident, of \(binaryKiB) KiB released")
            // Code needed again comes back from the file: frames keep flowing.
            let before = try await h.status().cameras["p0"]?.confirmed ?? 0
            _ = try await h.waitForStatus("frames after the release", app: app) { ($0.cameras["p0"]?.confirmed ?? 0) >= before + 10 }
            // How much comes back (the code that runs from then on) is a figure of the fleet
            // benchmark, not a promise a test can make.

            // A reload is a new generation: once the new camera delivered, the start-up pages of its
            // subtree go too; generation 1's release is not repeated.
            try h.writeConfig([
                ApplianceHarness.camera("p0", "testsrc:?size=320x180&rate=10"),
                ApplianceHarness.camera("p1", "testsrc:?size=320x180&rate=10"),
            ])
            let second = try await eventually(within: .seconds(60), "the release after the reload") { released(app.stderr, generation: 2) }
            #expect(second["mappings"]! > 0)
            let status = try await h.status()
            #expect((status.cameras["p1"]?.confirmed ?? 0) > 0)
            #expect(app.stderr.components(separatedBy: "config_generation=1 ").count == 2, "\(app.stderr.suffix(2000))")
            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(30)) == 0)
        }
    }
}
