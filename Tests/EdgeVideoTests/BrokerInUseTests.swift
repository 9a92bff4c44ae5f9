import EdgeVideoTestSupport
import Foundation
import Logging
import Supervision
import Testing
import VideoPipeline

@testable import EdgeVideo
@testable import EdgeVideoConfig

/// Which of `amqp.urls` a camera is connected to, as its status entry shows it (`broker_url`):
/// one camera subtree in process against the real broker, its status read from its resources.
@Suite struct BrokerInUseTests {
    /// The first URL refuses (nothing listens on port 1), the second is the broker: the status
    /// names the second, redacted, and no password of either URL reaches the document.
    @Test(.timeLimit(.minutes(1))) func theStatusNamesTheSecondURLWhenTheFirstRefuses() async throws {
        let h = try ApplianceHarness("inuse")
        let refusing = "amqp://guest:first-s3cret@127.0.0.1:1/\(h.vhost)"
        let id = "in-use"
        let document = h.document([ApplianceHarness.camera(id, "testsrc:?size=160x120&rate=10", width: 160, height: 120)],
                                  amqp: ["urls": [refusing, h.directURL]])
        let config = try AppConfig.decode(try JSONSerialization.data(withJSONObject: document))
        let resources = CameraResources(
            camera: config.cameras[0], sequence: FrameSequence(), instance: "t",
            routingKey: config.cameras[0].routingKey(template: config.amqp.routingKey), spool: .none)
        let subtree = CameraSubtree(resources: resources, config: config, logger: Logger(label: "evtest.inuse"))
        let running = Task { try await subtree.supervisor.run() }

        _ = try await resources.link.wait { $0.url != nil }
        let connected = try Self.entry(of: resources, id: id)
        #expect(connected.text.contains(#""broker" : "connected""#), "\(connected.text)")
        #expect(connected.json["broker_url"] as? String == "amqp://guest:***@127.0.0.1:5672/\(h.vhost)", "\(connected.text)")
        for secret in ["first-s3cret", "guest:guest"] {
            #expect(!connected.text.contains(secret), "\(secret) reached the status")
        }
        // The same URL, and no password, in /metrics.
        let metrics = Self.metrics(of: resources, id: id)
        #expect(metrics.contains(#"edge_video_broker_info{camera="in-use",url="amqp://guest:***@127.0.0.1:5672/\#(h.vhost)"} 1.0"#), "\(metrics)")
        for secret in ["first-s3cret", "guest:guest"] {
            #expect(!metrics.contains(secret), "\(secret) reached /metrics")
        }

        subtree.supervisor.stop()
        try await running.value
        let stopped = try Self.entry(of: resources, id: id)
        #expect(stopped.json["broker"] as? String == "disconnected" && stopped.json["broker_url"] is NSNull, "\(stopped.text)")
        #expect(!Self.metrics(of: resources, id: id).contains("edge_video_broker_info"))
    }

    /// The exposition `/metrics` renders for a fleet of this one camera.
    private static func metrics(of resources: CameraResources, id: String) -> String {
        let snapshot = FleetSnapshot(
            tree: SupervisorSnapshot(id: "root", kind: .supervisor, state: .running), liveTasks: 1,
            cameras: [id: SupervisedFleet.status(of: resources, node: nil)])
        let samples = MetricsExporter.samples(
            snapshot: snapshot, details: [:], process: ProcessFigures(threads: 1, openFDs: 1, residentBytes: 1), nowMicros: 0)
        return String(decoding: MetricsExporter(registry: PrometheusBackend().registry).render(samples), as: UTF8.self)
    }

    /// The camera's entry in a status document built from `resources`: as JSON text and parsed.
    private static func entry(of resources: CameraResources, id: String) throws -> (text: String, json: [String: Any]) {
        let status = SupervisedFleet.status(of: resources, node: nil)
        let document = StatusDocument(
            pid: 1, version: "test", uptimeS: 1, liveTasks: 0, config: .init(path: "supervision.json", generation: 1, lastError: nil),
            tree: .init(id: "root", kind: .supervisor, state: .running), cameras: [id: status])
        let data = try document.jsonData()
        let root = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let camera = try #require((root["cameras"] as? [String: Any])?[id] as? [String: Any])
        return (String(decoding: data, as: UTF8.self), camera)
    }
}
