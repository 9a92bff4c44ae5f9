import EdgeVideoTestSupport
import Foundation
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig

/// `deploy/edge-video.service` carries the settings the appliance relies on, and systemd accepts it.
@Suite struct DeployFilesTests {
    private func unit() throws -> String {
        try String(contentsOfFile: RepositoryFiles.path("deploy/edge-video.service"), encoding: .utf8)
    }

    @Test func unitHasTheRequiredSettings() throws {
        let settings = Set(try unit().split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init))
        for line in [
            "Type=notify", "Restart=on-failure", "RuntimeDirectory=edge-video", "DynamicUser=yes", "NoNewPrivileges=yes",
            "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "ReadWritePaths=/run/edge-video",
            "UMask=0077", "CapabilityBoundingSet=", "SystemCallFilter=@system-service", "SystemCallArchitectures=native",
            "ProtectClock=yes", "ProtectHostname=yes", "ProtectKernelLogs=yes", "ProtectProc=invisible",
            "RestrictRealtime=yes", "MemoryDenyWriteExecute=yes", "RuntimeDirectoryMode=0750",
            // The spool's default home ($STATE_DIRECTORY/spool), writable under ProtectSystem=strict.
            "StateDirectory=edge-video",
            // The whole directory: a missing single file would stop the start (243/CREDENTIALS).
            "LoadCredential=edge-video:/etc/edge-video/credentials",
        ] {
            #expect(settings.contains(line), "missing \(line)")
        }
        #expect(settings.contains { $0.hasPrefix("WatchdogSec=") })
        #expect(settings.contains { $0.hasPrefix("MemoryMax=") } && settings.contains { $0.hasPrefix("TasksMax=") })
        // TimeoutStopSec covers the default shutdown_timeout_s and the stop deadline after it;
        // longer ones are extended at stop time (EXTEND_TIMEOUT_USEC).
        let stop = try #require(settings.first { $0.hasPrefix("TimeoutStopSec=") }.flatMap { Double($0.dropFirst("TimeoutStopSec=".count)) })
        #expect(Appliance.stopBudget(AppConfig().supervision.shutdownTimeoutS) <= .seconds(stop))
        #expect(settings.contains { $0.hasPrefix("ExecStart=/usr/local/bin/edge-video run --config ") })
        #expect(!settings.contains { $0.hasPrefix("LoadCredential=") && $0.hasSuffix(".password") }, "a single credential file")
        // No external binary for a reload: a minimal system has no /bin/kill (procps).
        #expect(settings.contains { $0.hasPrefix("ExecReload=/bin/sh -c ") })
        #expect(settings.contains("Documentation=file:///usr/local/share/doc/edge-video/INSTALL.md"))
    }

    @Test(.timeLimit(.minutes(1))) func systemdAcceptsTheUnit() async throws {
        let analyze = "/usr/bin/systemd-analyze"
        try #require(FileManager.default.isExecutableFile(atPath: analyze), "systemd-analyze is part of Debian's systemd")
        let directory = NSTemporaryDirectory() + "ev-unit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The unit as installed, pointing at this build's binary.
        let text = try unit().replacingOccurrences(of: "/usr/local/bin/edge-video", with: ApplianceHarness.binary)
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/edge-video.service"))
        let verify = try TestProcess(analyze, ["verify", directory + "/edge-video.service"], name: "systemd-analyze")
        let status = try await verify.waitForExit(within: .seconds(30))
        let complaints = verify.stderr.split(separator: "\n").filter { $0.contains("edge-video.service") }
        #expect(status == 0 && complaints.isEmpty, "\(verify.stderr)")
    }

    @Test(.timeLimit(.minutes(1))) func securityExposureIsOK() async throws {
        let analyze = try TestProcess(
            "/usr/bin/systemd-analyze", ["security", "--offline=yes", RepositoryFiles.path("deploy/edge-video.service")],
            name: "systemd-analyze")
        let lines = try await analyze.allLines(within: .seconds(30))
        let last = try #require(lines.last { $0.contains("Overall exposure level") })
        let figure = try #require(last.split(separator: " ").compactMap { Double($0) }.first)
        #expect(figure <= 2.0, "\(last)")
        #expect(last.contains("OK"))
    }

    /// Whether this build reads `password_file` keys, which the install steps use.
    static let readsPasswordFiles: Bool = {
        let directory = NSTemporaryDirectory() + "ev-pwfile-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data("x\n".utf8).write(to: URL(fileURLWithPath: directory + "/p"))
            let config = #"{"amqp": {"urls": ["amqp://u@h/"], "password_file": "p"}, "cameras": []}"#
            try Data(config.utf8).write(to: URL(fileURLWithPath: directory + "/c.json"))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ApplianceHarness.binary)
            process.arguments = ["check", "--config", directory + "/c.json"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus == 0
        } catch {
            return false
        }
    }()

    /// deploy/INSTALL.md's steps, as far as a container allows (scripts/install-check.sh says how).
    @Test(
        .enabled(if: getuid() == 0, "installs files with owners and runs as nobody: needs root"),
        .enabled(if: readsPasswordFiles, "the install steps name passwords with password_file"),
        .timeLimit(.minutes(3)))
    func installStepsWork() async throws {
        let script = try TestProcess(
            "/bin/bash", [RepositoryFiles.path("scripts/install-check.sh"), ApplianceHarness.binary], name: "install-check")
        let lines = try await script.allLines(within: .seconds(150))
        let status = try await script.waitForExit(within: .seconds(30))
        #expect(status == 0, "\(lines.joined(separator: "\n"))\n\(script.stderr)")
        for line in lines { print(line) }
    }
}
