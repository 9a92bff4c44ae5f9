import EdgeVideoTestSupport
import Foundation
import Testing

extension BinaryTests {
    /// The Debian package under a real systemd as PID 1: `scripts/systemd-check.sh` boots Debian 12
    /// in a container, installs the `.deb` that `scripts/test.sh` built (``PackageTests/debPath``),
    /// follows README.Debian and checks start, reload, SIGUSR1, journal priorities, credentials,
    /// the watchdog, the extended stop timeout, the sandbox's exposure and upgrades
    /// (docs/operations.md lists them).
    @Suite struct SystemdCheckTests {
        /// Whether this machine can boot a container: root, systemd-nspawn, mmdebstrap and overlayfs
        /// (`scripts/install-deps.sh` installs the tools; a machine without them is not one to fail).
        static let canBootContainer: Bool = {
            let filesystems = (try? String(contentsOfFile: "/proc/filesystems", encoding: .utf8)) ?? ""
            return getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-nspawn")
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/mmdebstrap")
                && filesystems.contains("\toverlay\n")
        }()

        @Test(
            .enabled(if: canBootContainer, "needs root, systemd-nspawn, mmdebstrap and overlayfs"),
            .timeLimit(.minutes(10)))
        func thePackageWorksUnderSystemd() async throws {
            let deb = PackageTests.debPath
            try #require(FileManager.default.fileExists(atPath: deb), "\(deb) missing: run scripts/package-deb.sh before swift test (scripts/test.sh does)")
            let check = try TestProcess(
                "/bin/bash", [RepositoryFiles.path("scripts/systemd-check.sh"), deb], name: "systemd-check")
            // About 40 s with the root file system cached; building it the first time adds 3 min.
            let lines = try await check.allLines(within: .seconds(540))
            let status = try await check.waitForExit(within: .seconds(30))
            for line in lines { print(line) }
            #expect(status == 0, "\(lines.suffix(20).joined(separator: "\n"))\n\(check.stderr.suffix(4000))")
            for phase in ["start", "warnings", "pages", "reload", "usr1", "priority", "credentials", "watchdog", "stop", "security", "upgrade"] {
                #expect(lines.contains { $0.hasPrefix("systemd-check: ok \(phase) ") }, "no '\(phase)' check passed")
            }
        }
    }
}
