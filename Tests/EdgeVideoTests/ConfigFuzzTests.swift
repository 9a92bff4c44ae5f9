import Foundation
import Logging
import Supervision
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig

/// 10,000 mutated `supervision.json` files through `check`'s decoder and through live reload:
/// no crash, no hang, every verdict a list of issues with their paths, and a rejected reload
/// keeps the configuration in force.
@Suite struct ConfigFuzzTests {
    /// A valid file to mutate (computed: a stored global Data here is reported by LeakSanitizer).
    static var seedDocument: Data {
        Data(
        #"""
        {"$schema": "./supervision.schema.json",
         "amqp": {"urls": ["amqp://edge:pw@127.0.0.1:5672/%2f"], "exchange": "edge.video", "heartbeat_s": 10,
                  "confirm_timeout_s": 30, "tls": {"ca_file": null, "verify_peer": true}},
         "status": {"file": "run/status.json", "interval_s": 0},
         "supervision": {"intensity": 10, "period_s": 60, "backoff": {"initial_s": 0.5, "max_s": 30, "jitter": 0.25}},
         "logging": {"level": "info"},
         "cameras": [{"id": "a", "url": "testsrc:?size=320x180&rate=10", "fps": 5, "width": 160, "height": 90},
                     {"id": "b", "url": "rtsp://admin:s3cret@cam/s", "jpeg_quality": 80, "stall_timeout_s": 5}]}
        """#.utf8)
    }

    /// Byte-level mutations: flips, deletions, duplications, insertions of JSON tokens and
    /// extreme values, truncation, deep nesting.
    struct Mutator {
        var random: SplitMix64
        static let tokens = [
            "{", "}", "[", "]", ",", ":", "\"", "null", "true", "-0", "1e309", "-1e309", "1e-320", "NaN", "18446744073709551616",
            "\"\\u0000\"", "\"\\ud800\"", "\u{FEFF}", "\"$schema\"", "\"cameras\"", "\"url\"", "\"fps\"", "0.0000001",
            String(repeating: "9", count: 400), String(repeating: "[", count: 600), "\"" + String(repeating: "x", count: 70_000) + "\"",
        ]

        mutating func mutate(_ data: Data) -> Data {
            var bytes = [UInt8](data)
            for _ in 0..<Int(1 + random.next() % 4) where !bytes.isEmpty {
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 7 {
                case 0: bytes[at] ^= UInt8(truncatingIfNeeded: 1 << (random.next() % 8))
                case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int(1 + random.next() % 16)))
                case 2: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + Int(1 + random.next() % 64))], at: at)
                case 3: bytes.insert(contentsOf: Array(Self.tokens[Int(random.next() % UInt64(Self.tokens.count))].utf8), at: at)
                case 4: bytes.removeSubrange(at...)
                case 5: bytes[at] = UInt8(truncatingIfNeeded: random.next())
                default:
                    // Replace one number or string value (between ':' and ',' or '}') with a token.
                    guard let colon = bytes[at...].firstIndex(of: UInt8(ascii: ":")),
                        let end = bytes[(colon + 1)...].firstIndex(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "}") })
                    else { continue }
                    bytes.replaceSubrange((colon + 1)..<end, with: Array(Self.tokens[Int(random.next() % UInt64(Self.tokens.count))].utf8))
                }
            }
            return Data(bytes)
        }
    }

    @Test(.timeLimit(.minutes(6))) func tenThousandMutatedFilesThroughCheckAndReload() async throws {
        let dir = NSTemporaryDirectory() + "ev-fuzz-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/supervision.json"
        try Self.seedDocument.write(to: URL(fileURLWithPath: path))
        let state = ConfigState(path: path, config: try AppConfig.load(path: path, environment: [:]))
        let fleet = RecordingFleet()
        var logger = Logger(label: "fuzz")
        logger.logLevel = .critical
        let reloader = Reloader(state: state, fleet: fleet, logger: logger)

        var mutator = Mutator(random: SplitMix64(seed: 0xF022_0009))
        var structured = ConfigGenerator(seed: 0xF022_0010)
        var tally = (accepted: 0, rejected: 0, slowest: Duration.zero)
        let clock = ContinuousClock()
        for round in 0..<10_000 {
            let data: Data =
                round % 5 == 0
                ? try JSONSerialization.data(withJSONObject: structured.nearValid(mutations: 1 + round % 3).document)
                : mutator.mutate(Self.seedDocument)
            try data.write(to: URL(fileURLWithPath: path))
            let before = state.current
            let start = clock.now
            let checked: Bool
            do {
                _ = try AppConfig.load(path: path, environment: [:])
                checked = true
            } catch {
                checked = false
                #expect(!error.issues.isEmpty && !error.description.contains("s3cret"), "round \(round)")
            }
            let diff = await reloader.reload()
            tally.slowest = max(tally.slowest, clock.now - start)
            // Live reload gives check's verdict; a rejected file leaves the running configuration alone.
            #expect((diff != nil) == checked, "round \(round): check \(checked), reload \(diff != nil)")
            if diff == nil {
                tally.rejected += 1
                #expect(state.current.config == before.config && state.current.generation == before.generation)
                #expect(state.current.lastError?.contains("s3cret") == false)
            } else {
                tally.accepted += 1
            }
        }
        print("config fuzz: 10000 files, \(tally)")
        #expect(tally.accepted >= 100 && tally.rejected >= 5000)
        #expect(tally.slowest < .seconds(2))
    }

    @Test func oversizedAndSpecialFilesAreRefusedUnread() {
        for path in ["/dev/zero", "/proc/self", "/"] {
            do {
                _ = try AppConfig.load(path: path, environment: [:])
                Issue.record("loaded \(path)")
            } catch {
                #expect(!error.issues.isEmpty)
            }
        }
    }
}

extension BinaryTests {
    /// Mutated files through the real `edge-video check`: it exits 0 or 1, never crashes, and agrees
    /// with the in-process decoder.
    @Suite struct CheckFuzzBinaryTests {
        @Test(.timeLimit(.minutes(5))) func twoHundredMutatedFilesThroughTheBinary() async throws {
            let dir = NSTemporaryDirectory() + "ev-fuzzbin-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let path = dir + "/supervision.json"
            var mutator = ConfigFuzzTests.Mutator(random: SplitMix64(seed: 0xB1_0009))
            var counts = [Int32: Int]()
            for round in 0..<200 {
                let data = mutator.mutate(ConfigFuzzTests.seedDocument)
                try data.write(to: URL(fileURLWithPath: path))
                let expected: Int32 = (try? AppConfig.load(path: path, environment: [:])) == nil ? 1 : 0
                let process = try TestProcess(ApplianceHarness.binary, ["check", "--config", path], name: "check")
                let status = try await process.waitForExit(within: .seconds(30))
                counts[status, default: 0] += 1
                #expect(status == expected, "round \(round): exit \(status), stderr \(process.stderr.prefix(300))")
                #expect(!process.stderr.contains("s3cret"))
            }
            print("check fuzz through the binary: exit codes \(counts)")
        }
    }
}
