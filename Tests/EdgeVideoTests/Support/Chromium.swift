import EdgeVideoTestSupport
import Foundation

/// Debian's `chromium`, headless, as the status page's real browser (`scripts/install-deps.sh`
/// installs it with the test group). Each run uses a profile directory of its own.
enum Chromium {
    static let executable = "/usr/bin/chromium"

    /// The DOM of `url`: with JavaScript, after its scripts ran within `budget` of virtual time
    /// (`--dump-dom`; time passes only while the page waits, so its timers and fetches complete);
    /// without, as the browser parsed it with script execution off (`scripts/page-dom.py`: the
    /// browser's `--dump-dom` prints nothing once scripts are disabled).
    static func dumpDOM(_ url: String, javaScript: Bool = true, budget: Duration = .seconds(10)) async throws -> String {
        try requireInstalled()
        guard javaScript else { return try await Command.run(ApplianceHarness.python, [RepositoryFiles.path("scripts/page-dom.py"), url]) }
        return try await Command.run(executable, arguments(budget: budget) + ["--dump-dom", url])
    }

    /// Saves a PNG of `url` at `size` (after `budget` of virtual time) to `path`.
    static func screenshot(_ url: String, to path: String, size: String = "1280,1100", budget: Duration = .seconds(8)) async throws {
        try requireInstalled()
        try await Command.run(executable, arguments(budget: budget) + ["--screenshot=\(path)", "--window-size=\(size)", url])
    }

    private static func arguments(budget: Duration) -> [String] {
        let profile = NSTemporaryDirectory() + "evtest-chromium-" + UUID().uuidString.prefix(8)
        return [
            "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-dev-shm-usage",
            "--user-data-dir=\(profile)", "--virtual-time-budget=\(budget.components.seconds * 1000)",
        ]
    }

    private static func requireInstalled() throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestProcess.Failure(description: "chromium missing: scripts/install-deps.sh test installs it")
        }
    }
}
