import Foundation
import Testing

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
        ] {
            #expect(settings.contains(line), "missing \(line)")
        }
        #expect(settings.contains { $0.hasPrefix("WatchdogSec=") })
        #expect(settings.contains { $0.hasPrefix("ExecStart=/usr/local/bin/edge-video run --config ") })
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
}
