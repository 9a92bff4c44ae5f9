import Foundation
import Testing

@testable import EdgeVideo

/// The endpoint's pure parts: request parsing and its bounds, routing, health, metric samples,
/// and the `http` section of the configuration.
@Suite struct HTTPUnitTests {
    private func parse(_ text: String, limit: Int = 8192) -> HTTPRequestHead.Parse {
        HTTPRequestHead.parse(Array(text.utf8), limit: limit)
    }

    @Test func parsesAHeadAndStripsTheQuery() {
        guard case .complete(let head) = parse("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept:  text/plain \r\n\r\n") else {
            Issue.record("not complete")
            return
        }
        #expect(head.method == "GET" && head.path == "/metrics" && head.version == "HTTP/1.1")
        #expect(head.headers.map(\.name) == ["host", "accept"] && head.headers.map(\.value) == ["a", "text/plain"])
    }

    @Test func waitsForTheEndOfTheHeadWithinTheLimit() {
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\n") == .incomplete)
        #expect(parse("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 100), limit: 64) == .rejected(.headerFieldsTooLarge))
        #expect(parse("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 100) + "\r\n\r\n", limit: 64) == .rejected(.headerFieldsTooLarge))
    }

    @Test func rejectsMalformedHeads() {
        for bad in [
            "GARBAGE\r\n\r\n", "get / HTTP/1.1\r\n\r\n", "GET status HTTP/1.1\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nno colon\r\n\r\n", "GET / HTTP/1.1\r\n folded: x\r\n\r\n", "GET /\u{0} HTTP/1.1\r\n\r\n",
            "GET /é HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        ] {
            #expect(parse(bad) == .rejected(.badRequest), "\(bad.debugDescription)")
        }
        #expect(parse("GET / HTTP/2.0\r\n\r\n") == .rejected(.versionNotSupported))
    }

    @Test func healthNamesEveryCameraThatIsNotRunning() {
        var broken = CameraStatus(state: "backing_off")
        broken.lastError = "capture: open failed"
        let snapshot = FleetSnapshot(
            tree: StatusNode(id: "root", kind: "supervisor", state: "running"), liveTasks: 7,
            cameras: ["ok": CameraStatus(state: "running"), "bad": broken])
        let (status, health) = HTTPRoutes.health(of: snapshot)
        #expect(status == .serviceUnavailable && health.status == "unhealthy")
        #expect(health.reasons == ["camera bad is backing_off: capture: open failed"])
        let (fine, _) = HTTPRoutes.health(of: FleetSnapshot(
            tree: StatusNode(id: "root", kind: "supervisor", state: "running"), liveTasks: 5, cameras: ["ok": CameraStatus(state: "running")]))
        #expect(fine == .ok)
    }

    @Test func countersFollowTheSnapshotsAndResetWhenTheyGoDown() {
        let backend = PrometheusBackend()
        let exporter = MetricsExporter(registry: backend.registry)
        func scrape(confirmed: Int, cameras: Bool = true) -> String {
            var camera = CameraStatus(state: "running")
            camera.confirmed = confirmed
            let snapshot = FleetSnapshot(
                tree: StatusNode(id: "root", kind: "supervisor", state: "running"), liveTasks: 1,
                cameras: cameras ? ["gate": camera] : [:])
            let samples = MetricsExporter.samples(
                snapshot: snapshot, details: [:], process: ProcessFigures(threads: 3, openFDs: 4, residentBytes: 5), nowMicros: 0)
            return String(decoding: exporter.render(samples), as: UTF8.self)
        }
        #expect(scrape(confirmed: 5).contains(#"edge_video_frames_confirmed_total{camera="gate"} 5"#))
        #expect(scrape(confirmed: 9).contains(#"edge_video_frames_confirmed_total{camera="gate"} 9"#))
        #expect(scrape(confirmed: 2).contains(#"edge_video_frames_confirmed_total{camera="gate"} 2"#))
        let gone = scrape(confirmed: 0, cameras: false)
        #expect(!gone.contains("gate") && gone.contains("process_threads 3"))
    }

    @Test func httpSectionDefaultsAndBounds() throws {
        let config = try AppConfig.decode(Data(#"{"cameras":[]}"#.utf8))
        #expect(config.http == AppConfig.HTTP(enabled: true, address: "127.0.0.1", port: 9464))
        let issues: [String]
        do {
            _ = try AppConfig.decode(Data(#"{"http":{"address":"localhost","port":70000,"enabled":"yes","tls":1}}"#.utf8))
            issues = []
        } catch {
            issues = error.issues.map(\.description)
        }
        #expect(issues.contains("http.address: must be a numeric IPv4 or IPv6 address, such as 127.0.0.1 or ::1"))
        #expect(issues.contains { $0.hasPrefix("http.port: ") } && issues.contains { $0.hasPrefix("http.enabled: ") })
        #expect(issues.contains { $0.hasPrefix("http.tls") }, "\(issues)")
        #expect(try AppConfig.decode(Data(#"{"cameras":[],"http":{"address":"::1","port":0}}"#.utf8)).http.port == 0)
    }
}
