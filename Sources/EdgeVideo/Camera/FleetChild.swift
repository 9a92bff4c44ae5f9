/// One of the root's children for a camera, by the camera's id: the running camera's subtree, or
/// the drain that publishes what a removed camera left behind. Its tree id is rendered and parsed
/// here only.
enum FleetChild: Hashable, Sendable {
    /// `camera:<id>`: the subtree of a configured camera.
    case camera(String)
    /// `drain:<id>`: the drain of a camera no longer configured.
    case drain(String)

    /// The child's id in the supervision tree: `camera:<id>` or `drain:<id>`.
    var id: String {
        switch self {
        case .camera(let camera): "camera:\(camera)"
        case .drain(let camera): "drain:\(camera)"
        }
    }

    /// The child a tree id names; `nil` for an id of another kind (a service's).
    init?(id: String) {
        guard let colon = id.firstIndex(of: ":") else { return nil }
        let camera = String(id[id.index(after: colon)...])
        switch id[..<colon] {
        case "camera": self = .camera(camera)
        case "drain": self = .drain(camera)
        default: return nil
        }
    }
}
