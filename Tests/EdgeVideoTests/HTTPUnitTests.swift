import Foundation
import Testing
import Supervision

@testable import EdgeVideo
@testable import EdgeVideoConfig
@testable import EdgeVideoHTTP

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

    @Test func healthNamesEveryCameraThatIsNotRunningOrHasNoBroker() {
        var connected = CameraStatus(state: .running)
        connected.broker = .connected
        var broken = CameraStatus(state: .backingOff)
        broken.lastError = "capture: open failed"
        var outage = CameraStatus(state: .running)
        outage.lastError = "connection refused"
        let snapshot = FleetSnapshot(
            tree: SupervisorSnapshot(id: "root", kind: .supervisor, state: .running), liveTasks: 7,
            cameras: ["ok": connected, "bad": broken, "away": outage])
        let (status, health) = HTTPRoutes.health(of: snapshot)
        #expect(status == .serviceUnavailable && health.status == "unhealthy")
        #expect(health.reasons == [
            "camera away broker disconnected: connection refused", "camera bad is backing_off: capture: open failed",
        ])
        let (fine, _) = HTTPRoutes.health(of: FleetSnapshot(
            tree: SupervisorSnapshot(id: "root", kind: .supervisor, state: .running), liveTasks: 5, cameras: ["ok": connected]))
        #expect(fine == .ok)
    }

    @Test func everyLedgerPlaceAndTheBrokerLinkAreMetrics() throws {
        var camera = CameraStatus(state: .running)
        camera.broker = .connected
        (camera.framesCaptured, camera.framesEncoded, camera.queuedForEncode, camera.droppedBeforeEncode) = (100, 90, 4, 6)
        (camera.confirmed, camera.inFlight, camera.queuedForPublish, camera.droppedAfterEncode) = (70, 5, 3, 2)
        (camera.nacked, camera.returned, camera.rejected, camera.published) = (4, 5, 1, 85)
        try #require(camera.ledgerIdentitiesHold)
        let snapshot = FleetSnapshot(
            tree: SupervisorSnapshot(id: "root", kind: .supervisor, state: .running), liveTasks: 1, cameras: ["gate": camera])
        let exporter = MetricsExporter(registry: PrometheusBackend().registry)
        func scrape() -> Set<String> {
            let samples = MetricsExporter.samples(
                snapshot: snapshot, details: [:], process: ProcessFigures(threads: 3, openFDs: 4, residentBytes: 5), nowMicros: 0)
            return Set(String(decoding: exporter.render(samples), as: UTF8.self).split(separator: "\n").map(String.init))
        }
        let lines = scrape()
        for expected in [
            #"edge_video_frames_total{camera="gate",stage="captured"} 100"#,
            #"edge_video_frames_total{camera="gate",stage="encoded"} 90"#,
            #"edge_video_frames_total{camera="gate",stage="published"} 85"#,
            #"edge_video_frames_queued_for_encode{camera="gate"} 4.0"#,
            #"edge_video_frames_dropped_total{camera="gate",stage="before_encode"} 6"#,
            #"edge_video_frames_confirmed_total{camera="gate"} 70"#,
            #"edge_video_frames_in_flight{camera="gate"} 5.0"#,
            #"edge_video_frames_queued_for_publish{camera="gate"} 3.0"#,
            #"edge_video_frames_dropped_total{camera="gate",stage="after_encode"} 2"#,
            #"edge_video_frames_nacked_total{camera="gate"} 4"#,
            #"edge_video_frames_returned_total{camera="gate"} 5"#,
            #"edge_video_frames_rejected_total{camera="gate"} 1"#,
            #"edge_video_broker_connected{camera="gate"} 1.0"#,
        ] {
            #expect(lines.contains(expected), "\(expected) missing")
        }
        #expect(scrape() == lines, "a second scrape of the same snapshot changes nothing")
    }

    /// `edge_video_broker_info` names the broker in use: one series while connected, which moves
    /// with the URL (the old one gone), none while disconnected. A quote, a backslash and a line
    /// feed in the URL (a vhost may hold them) stay inside the label value.
    @Test func theBrokerInUseIsALabelThatFollowsTheConnection() {
        let exporter = MetricsExporter(registry: PrometheusBackend().registry)
        func scrape(_ url: String?) -> [String] {
            var camera = CameraStatus(state: .running)
            camera.broker = url == nil ? .disconnected : .connected
            camera.brokerURL = url
            let snapshot = FleetSnapshot(
                tree: SupervisorSnapshot(id: "root", kind: .supervisor, state: .running), liveTasks: 1, cameras: ["gate": camera])
            let samples = MetricsExporter.samples(
                snapshot: snapshot, details: [:], process: ProcessFigures(threads: 3, openFDs: 4, residentBytes: 5), nowMicros: 0)
            return String(decoding: exporter.render(samples), as: UTF8.self).split(separator: "\n")
                .map(String.init).filter { $0.hasPrefix("edge_video_broker_info") }
        }
        #expect(scrape("amqp://guest:***@10.0.0.1:5672/%2f") == [#"edge_video_broker_info{camera="gate",url="amqp://guest:***@10.0.0.1:5672/%2f"} 1.0"#])
        #expect(scrape("amqp://guest:***@10.0.0.2:5672/site") == [#"edge_video_broker_info{camera="gate",url="amqp://guest:***@10.0.0.2:5672/site"} 1.0"#])
        #expect(scrape(nil) == [])
        #expect(scrape("amqp://guest:***@h:5672/a\"b\\c\nd") == [#"edge_video_broker_info{camera="gate",url="amqp://guest:***@h:5672/a\"b\\c\nd"} 1.0"#])
    }

    @Test func countersFollowTheSnapshotsAndResetWhenTheyGoDown() {
        let backend = PrometheusBackend()
        let exporter = MetricsExporter(registry: backend.registry)
        func scrape(confirmed: Int, cameras: Bool = true) -> String {
            var camera = CameraStatus(state: .running)
            camera.confirmed = confirmed
            let snapshot = FleetSnapshot(
                tree: SupervisorSnapshot(id: "root", kind: .supervisor, state: .running), liveTasks: 1,
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
