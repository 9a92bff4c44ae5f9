import EdgeVideoTestSupport
import Foundation
import Testing

@testable import Supervision

/// Random trees and fault schedules, run on Erlang/OTP's `supervisor` (by
/// `Tests/OTPDifferential/otp_supervisor_trace.escript`) and on `Supervision` (by ``TraceHarness``):
/// both traces must be equal line for line. Only a schedule where a nested supervisor can handle a
/// crash at start while its parent is still starting its siblings (both sides run them
/// concurrently; ``TraceHarness/nestedStartCase``) may instead be equal for every supervisor
/// between two quiescent points; those uses are counted and bounded, since that comparison drops
/// the order across supervisors. `SUPERVISION_OTP_SCHEDULES` (default 1000) and
/// `SUPERVISION_OTP_SEED` change the run; `scripts/otp-diff.sh` runs a larger one.
@Suite("Differential: Supervision against Erlang/OTP's supervisor")
struct OTPDifferentialTests {
    @Test(.timeLimit(.minutes(5)))
    func tracesEqualOTP() async throws {
        let environment = ProcessInfo.processInfo.environment
        let count = environment["SUPERVISION_OTP_SCHEDULES"].flatMap(Int.init) ?? 1000
        let seed = environment["SUPERVISION_OTP_SEED"].flatMap(UInt64.init) ?? 20_261_130
        var generator = ScheduleGenerator(seed: seed)
        let schedules = (1...count).map { generator.schedule($0) }

        let otp = try await runOTP(schedules.joined())
        #expect(otp.count == count, "OTP traced \(otp.count) of \(count) schedules")
        var differences = 0
        var nestedStartCases = 0
        var interleaved = 0
        var reorderedElsewhere = 0
        for (schedule, expected) in zip(schedules, otp) {
            var harness = TraceHarness(Substring(schedule))
            if harness.nestedStartCase { nestedStartCases += 1 }
            let actual = await harness.run()
            guard actual != expected else { continue }
            let samePerSupervisor = harness.perSupervisor(actual) == harness.perSupervisor(expected)
            if samePerSupervisor && harness.nestedStartCase {
                interleaved += 1  // the same events of every supervisor, in another interleaving
                continue
            }
            if samePerSupervisor { reorderedElsewhere += 1 }
            differences += 1
            if differences <= 3 {
                let line = zip(actual, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(actual.count, expected.count)
                Issue.record(
                    """
                    Supervision departs from OTP at trace line \(line + 1) (seed \(seed)):
                    schedule:
                    \(schedule)
                    OTP:
                    \(expected.joined(separator: "\n"))
                    Supervision:
                    \(actual.joined(separator: "\n"))
                    """
                )
            }
        }
        #expect(differences == 0, "\(differences) of \(count) schedules differ")
        #expect(reorderedElsewhere == 0, "\(reorderedElsewhere) schedules without a nested start differ in order across supervisors")
        // The regrouping is a fallback for a race, not a second way to pass: at most 1 in 20 schedules.
        #expect(interleaved * 20 <= count, "\(interleaved) of \(count) schedules equal OTP's only per supervisor")
        print(
            "OTP differential: \(count) schedules, \(count - differences - interleaved) identical, "
                + "\(interleaved) equal per supervisor (of \(nestedStartCases) with a nested start), \(differences) different"
        )
    }

    /// Runs every schedule through one escript; returns each schedule's trace lines.
    private func runOTP(_ schedules: String) async throws -> [[String]] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("otp-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("schedules.txt")
        let output = directory.appendingPathComponent("otp.txt")
        try schedules.write(to: input, atomically: true, encoding: .utf8)
        let script = RepositoryFiles.path("Tests/OTPDifferential/otp_supervisor_trace.escript")
        let outcome = try? await Command.outcome("escript", [script, input.path, output.path])
        guard let outcome, outcome.code == 0 else {
            throw OTPError(message: "escript exited with \(outcome?.code ?? -1) (is erlang-base installed?) \(outcome?.errors ?? "")")
        }
        var traces: [[String]] = []
        for line in try String(contentsOf: output, encoding: .utf8).split(separator: "\n") {
            if line.hasPrefix("S ") { traces.append([]) }
            traces[traces.count - 1].append(String(line))
        }
        return traces
    }
}

struct OTPError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
