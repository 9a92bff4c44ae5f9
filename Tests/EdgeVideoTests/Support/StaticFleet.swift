import Locking
import Supervision
import VideoPipeline

@testable import EdgeVideo
@testable import EdgeVideoConfig

/// A camera tree that is a fixed snapshot a test sets (health, auth and page logic; the real tree
/// is tested end to end with the binary).
final class StaticFleet: CameraFleet {
    let current: Locked<FleetSnapshot>
    let frames: Locked<[String: EncodedFrame]>

    init(_ snapshot: FleetSnapshot, frames: [String: EncodedFrame] = [:]) {
        current = Locked(snapshot)
        self.frames = Locked(frames)
    }

    func run() async throws {}
    func stop() {}
    func apply(_ step: ConfigDiff.Step, config: AppConfig) async throws {}
    func snapshot() -> FleetSnapshot { current.withLock { $0 } }
    func latestFrame(of cameraID: String) -> LatestFrame {
        if let frame = frames.withLock({ $0[cameraID] }) { return .frame(frame) }
        return current.withLock { $0.cameras[cameraID] } == nil ? .unknownCamera : .noFrameYet
    }

    /// A root in `state` over `cameras`.
    static func snapshot(root state: SupervisorSnapshot.State = .running, _ cameras: [String: CameraStatus]) -> FleetSnapshot {
        FleetSnapshot(tree: SupervisorSnapshot(id: "root", kind: .supervisor, strategy: .oneForOne, state: state), liveTasks: 3, cameras: cameras)
    }

    /// A camera running with its broker connected and some frames through.
    static func delivering(confirmed: Int = 10) -> CameraStatus {
        var camera = CameraStatus(state: .running)
        camera.broker = .connected
        (camera.framesCaptured, camera.framesEncoded, camera.published, camera.confirmed) = (confirmed, confirmed, confirmed, confirmed)
        return camera
    }
}
