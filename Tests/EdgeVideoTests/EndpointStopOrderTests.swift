import EdgeVideoTestSupport
import Foundation
import Logging
import Supervision
import Locking
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig

extension BinaryTests {
    /// A service started with `startService` (as the HTTP endpoint is) runs under the root of the
    /// real tree, with a real camera publishing to the local broker.
    @Suite struct EndpointStopOrderTests {
        @Test(.timeLimit(.minutes(1))) func servicesStopAfterTheCameras() async throws {
            let unique = UUID().uuidString.prefix(8).lowercased()
            var camera = AppConfig.Camera(id: "order-\(unique)", url: "testsrc:?size=160x90&rate=10")
            camera.fps = 5
            let cameraNodeID = FleetChild.camera(camera.id).id
            var config = AppConfig(cameras: [camera])
            config.amqp.exchange = "ev.test.order.\(unique)"
            // No queue is bound (this test is about stop order): without mandatory the broker
            // confirms what it routes nowhere, and a confirm is the event waited on below.
            config.amqp.mandatory = false
            let fleet = SupervisedFleet(config: config, logger: Logger(label: "test"))
            let run = Task { try await fleet.run() }
            // What the tree looked like when the service was asked to stop.
            let (stops, stopped) = AsyncStream.makeStream(of: String.self)
            try await fleet.startService(
                // Weak: the fleet keeps this spec in its child table, so a strong capture would be a
                // cycle that outlives the test (LeakSanitizer reported the whole tree under it).
                ChildSpec(id: "service") { [weak fleet] in
                    do { try await Task.sleep(for: .seconds(3600)) } catch {}
                    let cameraNode = fleet?.snapshot().tree.children.first { $0.id == cameraNodeID }
                    stopped.yield(cameraNode?.state.rawValue ?? "gone")
                    stopped.finish()
                })
            try await fleet.apply(.start(camera), config: config)
            _ = try await eventually(within: .seconds(30), "camera confirmed frames") {
                (fleet.snapshot().cameras[camera.id]?.confirmed ?? 0) > 0 ? true : nil
            }
            #expect(fleet.snapshot().tree.children.map(\.id) == ["service", cameraNodeID])
            fleet.stop()
            try await run.value
            var iterator = stops.makeAsyncIterator()
            let cameraStateAtServiceStop = await iterator.next()
            #expect(cameraStateAtServiceStop == "stopped", "started first, the service stops last")
        }
    }
}
