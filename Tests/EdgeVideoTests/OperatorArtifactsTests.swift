import EdgeVideoTestSupport
import Foundation
import Testing

/// deploy/prometheus-rules.yml and deploy/grafana-dashboard.json: valid to promtool, alerts that
/// fire on their faults (`promtool test rules`), and only metric names the binary exports.
@Suite struct OperatorArtifactsTests {
    static let promtool = "/usr/bin/promtool"
    static let rules = RepositoryFiles.path("deploy/prometheus-rules.yml")
    static let dashboard = RepositoryFiles.path("deploy/grafana-dashboard.json")

    /// Runs promtool; its exit status and output.
    static func promtool(_ arguments: [String]) async throws -> (Int32, String) {
        guard FileManager.default.isExecutableFile(atPath: promtool) else {
            throw TestProcess.Failure(description: "promtool missing: scripts/install-deps.sh test installs Debian's prometheus package")
        }
        do {
            return (0, try await Command.run(promtool, arguments))
        } catch {
            return (1, "\(error)")
        }
    }

    /// Every PromQL expression of the dashboard, with Grafana's variables given values.
    static func dashboardExpressions() throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dashboard))
        let root = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(root["panels"] as? [[String: Any]])
        return panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
            .map {
                $0.replacingOccurrences(of: "$__rate_interval", with: "5m").replacingOccurrences(of: "$instance", with: ".*")
                    .replacingOccurrences(of: "$camera", with: ".*")
            }
    }

    /// The `edge_video_*` names used by the rules and the dashboard.
    static func usedNames() throws -> Set<String> {
        let text = try String(contentsOfFile: rules, encoding: .utf8) + String(contentsOfFile: dashboard, encoding: .utf8)
        let regex = try NSRegularExpression(pattern: #"edge_video_\w+"#)
        return Set(regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range, in: text)!]) })
    }

    @Test(.timeLimit(.minutes(1))) func rulesAreValidAndFireOnTheirFaults() async throws {
        let (checked, checkOutput) = try await Self.promtool(["check", "rules", Self.rules])
        #expect(checked == 0 && checkOutput.contains("SUCCESS"), "\(checkOutput)")
        let (tested, testOutput) = try await Self.promtool(["test", "rules", RepositoryFiles.path("deploy/prometheus-rules.test.yml")])
        #expect(tested == 0 && testOutput.contains("SUCCESS"), "\(testOutput)")
        // Every alert the rules define is exercised by the tests file.
        let ruleText = try String(contentsOfFile: Self.rules, encoding: .utf8)
        let testText = try String(contentsOfFile: RepositoryFiles.path("deploy/prometheus-rules.test.yml"), encoding: .utf8)
        let alerts = ruleText.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.hasPrefix("- alert: ") ? String(trimmed.dropFirst("- alert: ".count)) : nil
        }
        #expect(alerts.count >= 7)
        for alert in alerts { #expect(testText.contains("alertname: \(alert)\n"), "\(alert) has no promtool test") }
    }

    /// The dashboard's queries parse as PromQL: promtool checks them as recording rules.
    @Test(.timeLimit(.minutes(1))) func dashboardQueriesAreValidPromQL() async throws {
        let expressions = try Self.dashboardExpressions()
        #expect(expressions.count >= 20)
        var yaml = "groups:\n  - name: dashboard\n    rules:\n"
        for (index, expression) in expressions.enumerated() {
            let quoted = expression.replacingOccurrences(of: "'", with: "''")
            yaml += "      - record: dashboard:query\(index)\n        expr: '\(quoted)'\n"
        }
        let path = NSTemporaryDirectory() + "ev-dashboard-\(UUID().uuidString).yml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (status, output) = try await Self.promtool(["check", "rules", path])
        #expect(status == 0 && output.contains("SUCCESS: \(expressions.count) rules found"), "\(output)")
    }
}

extension BinaryTests {
    /// The rules and the dashboard against a real scrape of the binary.
    @Suite struct OperatorMetricNamesTests {
        @Test(.timeLimit(.minutes(3))) func everyNameTheRulesAndDashboardUseIsExported() async throws {
            let h = try ApplianceHarness("metric-names", httpPort: 0)
            try h.writeConfig([ApplianceHarness.camera("cam", "testsrc:?size=320x180&rate=10", fps: 5)])
            let app = try h.start()
            let port = try await HTTPEndpointTests.listeningPort(of: app)
            // Once a frame is confirmed, every series exists (the histograms have observations).
            _ = try await h.waitForStatus("a frame confirmed", app: app) { ($0.cameras["cam"]?.confirmed ?? 0) >= 1 }
            let text = try #require(try await HTTPEndpointTests.probe(port, "get", "/metrics")["body"] as? String)
            let exported = Set(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
                line.split(whereSeparator: { $0 == "{" || $0 == " " }).first.map(String.init)
            })
            #expect(exported.contains("edge_video_frames_confirmed_total"), "a real scrape: \(text.prefix(300))")
            let used = try OperatorArtifactsTests.usedNames()
            #expect(used.count >= 20)
            let missing = used.subtracting(exported)
            #expect(missing.isEmpty, "used but not exported: \(missing.sorted())")
            app.signal(SIGTERM)
            #expect(try await app.waitForExit(within: .seconds(30)) == 0)
        }
    }
}
