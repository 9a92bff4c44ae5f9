import EdgeVideoTestSupport
import Foundation
import Testing

extension BinaryTests {
    /// The `.deb` of `scripts/package-deb.sh` installs with `dpkg -i`, depends on runtime libraries
    /// only (no Swift toolchain), and the installed binary publishes confirmed frames; lintian
    /// finds no error in it. The package is built before `swift test` (by `scripts/test.sh`: a
    /// release build cannot run inside `swift test`, which holds the build directory's lock);
    /// `EDGE_VIDEO_DEB` names another one.
    @Suite struct PackageTests {
        static var debPath: String {
            if let path = ProcessInfo.processInfo.environment["EDGE_VIDEO_DEB"] { return path }
            let version = (try? String(contentsOfFile: RepositoryFiles.path("Sources/EdgeVideo/EdgeVideoVersion.swift"), encoding: .utf8))
                .flatMap { $0.firstMatch(of: /current = "([^"]+)"/).map { String($0.1) } } ?? "?"
            #if arch(x86_64)
            let arch = "amd64"
            #else
            let arch = "arm64"
            #endif
            return RepositoryFiles.path("dist/edge-video_\(version)_\(arch).deb")
        }

        @Test(.timeLimit(.minutes(10))) func debInstallsAndTheInstalledBinaryPublishes() async throws {
            try #require(getuid() == 0, "dpkg -i needs root (CI and scripts/test.sh run as root)")
            let deb = Self.debPath
            try #require(FileManager.default.fileExists(atPath: deb), "\(deb) missing: run scripts/package-deb.sh before swift test (scripts/test.sh does)")

            let depends = try await run("/usr/bin/dpkg-deb", ["-f", deb, "Depends"])
            #expect(depends.contains("librabbitmq4") && depends.contains("libavformat59") && depends.contains("libc6"), "\(depends)")
            #expect(!depends.lowercased().contains("swift"), "\(depends)")
            let contents = try await run("/usr/bin/dpkg-deb", ["-c", deb])
            for path in [
                "./usr/bin/edge-video", "./usr/lib/edge-video/edge-video", "./lib/systemd/system/edge-video.service", "./usr/lib/sysusers.d/edge-video.conf",
                "./usr/lib/tmpfiles.d/edge-video.conf", "./usr/share/edge-video/supervision.schema.json",
                "./usr/share/doc/edge-video/examples/supervision.json", "./usr/share/doc/edge-video/README.Debian",
                "./usr/share/man/man1/edge-video.1.gz",
            ] {
                #expect(contents.contains(path), "\(path) missing from the package")
            }

            _ = try await run("/usr/bin/dpkg", ["-i", deb])
            defer { _ = try? Process.run(URL(fileURLWithPath: "/usr/bin/dpkg"), arguments: ["-r", "edge-video"]).waitUntilExit() }
            #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/edge-video"))
            // The real binary needs no Swift runtime from a toolchain; the command is the static
            // launcher that execs it (docs/operations.md, "Signals in the first moments of a start").
            let ldd = try await run("/usr/bin/ldd", ["/usr/lib/edge-video/edge-video"])
            #expect(!ldd.contains("libswift") && !ldd.contains("libFoundation") && !ldd.contains("not found"), "\(ldd)")
            let headers = try await run("/usr/bin/readelf", ["--program-headers", "--wide", "/usr/bin/edge-video"])
            #expect(!headers.contains("INTERP") && !headers.contains("DYNAMIC"), "/usr/bin/edge-video is not static:\n\(headers)")
            _ = try await run("/usr/bin/getent", ["passwd", "edge-video"])
            _ = try await run("/usr/bin/systemd-analyze", ["verify", "/lib/systemd/system/edge-video.service"])

            // The installed binary against the local broker: frames confirmed.
            let h = try ApplianceHarness("deb")
            try h.writeConfig([ApplianceHarness.camera("pkg", "testsrc:?size=320x180&rate=10", fps: 5)])
            let app = try TestProcess("/usr/bin/edge-video", ["run", "--config", h.configPath], name: "installed edge-video")
            let status = try await h.waitForStatus("frames confirmed by the installed binary", app: app) {
                ($0.cameras["pkg"]?.confirmed ?? 0) >= 5
            }
            #expect(status.version == "0.1.0")
            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(30)) == 0)

            // lintian: errors fail the test; warnings are printed.
            let lintian = "/usr/bin/lintian"
            try #require(FileManager.default.isExecutableFile(atPath: lintian), "lintian: scripts/install-deps.sh test installs it")
            let tags = try await run(lintian, ["--tag-display-limit", "0", deb], within: .seconds(600))
                .split(separator: "\n").filter { $0.range(of: #"^[EWIPX]: "#, options: .regularExpression) != nil }
            print("lintian:\n" + tags.joined(separator: "\n"))
            #expect(!tags.contains { $0.hasPrefix("E: ") }, "\(tags)")
        }

        /// Runs a command to its end; its stdout, or a failure with its output. The output goes
        /// to a file, not a pipe: a grandchild (dpkg's triggers, lintian's helpers) may keep a pipe open.
        private func run(_ executable: String, _ arguments: [String], within timeout: Duration = .seconds(300)) async throws -> String {
            let outputPath = NSTemporaryDirectory() + "ev-deb-out-\(UUID().uuidString.prefix(8))"
            _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
            defer { try? FileManager.default.removeItem(atPath: outputPath) }
            let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.standardOutput = output
            process.standardError = output
            process.standardInput = FileHandle.nullDevice
            try process.run()
            try output.close()
            let deadline = ContinuousClock.now + timeout
            while process.isRunning {
                guard ContinuousClock.now < deadline else {
                    process.terminate()
                    throw TestProcess.Failure(description: "\(executable) \(arguments) still running after \(timeout)")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            guard process.terminationStatus == 0 else {
                throw TestProcess.Failure(description: "\(executable) \(arguments) exited \(process.terminationStatus): \(text)")
            }
            return text
        }
    }
}
