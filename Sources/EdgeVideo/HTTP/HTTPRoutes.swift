import EdgeVideoConfig
import EdgeVideoHTTP
import Foundation

/// What the endpoint answers; it only reads snapshots of the tree and never changes it.
///
/// `GET` and `HEAD` on `/` (the status page) and its `/page.js`, `/metrics`, `/livez`, `/readyz`,
/// `/healthz`, `/status` and `/cameras/<id>/latest.jpg`; other methods on those paths get 405,
/// other paths 404. With `http.auth`, every request must authenticate first (401 otherwise, before
/// any routing). Paths are matched exactly, never decoded and never mapped to files, so there is
/// nothing to traverse; a camera id is looked up in memory only if it follows the configuration's
/// rule for ids.
struct HTTPRoutes: Sendable {
    /// The camera tree.
    let fleet: any CameraFleet
    /// Builds the status document (the same as the status file's).
    let reporter: StatusReporter
    /// Renders `/metrics`; `nil` when no metrics backend was set up (404 then).
    let exporter: MetricsExporter?
    /// The credentials requests must carry; `nil`: none.
    var authentication: HTTPAuthentication? = nil

    /// The response to one request.
    func respond(to head: HTTPRequestHead) -> HTTPResponse {
        if let authentication, !authentication.allows(head) { return authentication.challenge }
        guard let route = Route(path: head.path) else { return .text(.notFound) }
        guard head.method == "GET" || head.method == "HEAD" else {
            return .text(.methodNotAllowed, headers: [("Allow", "GET, HEAD")])
        }
        switch route {
        case .page: return page()
        case .script: return StatusPage.script
        case .metrics: return metrics()
        case .live: return live()
        case .ready: return ready()
        case .health: return health()
        case .status: return status()
        case .latest(let id): return latest(id)
        }
    }

    private enum Route {
        case page, script, metrics, live, ready, health, status, latest(String)

        init?(path: String) {
            switch path {
            case "/": self = .page
            case StatusPage.scriptPath: self = .script
            case "/metrics": self = .metrics
            case "/livez": self = .live
            case "/readyz": self = .ready
            case "/healthz": self = .health
            case "/status": self = .status
            default:
                let parts = path.split(separator: "/", omittingEmptySubsequences: false)
                guard parts.count == 4, parts[0].isEmpty, parts[1] == "cameras", parts[3] == "latest.jpg",
                    AppConfig.isValidID(String(parts[2]))
                else { return nil }
                self = .latest(String(parts[2]))
            }
        }
    }

    /// `/livez`: 200 `alive` while ``FleetSnapshot/liveness`` (what the systemd watchdog follows)
    /// says so, else 503 with the reason.
    private func live() -> HTTPResponse {
        switch fleet.snapshot().liveness {
        case .alive: .text(.ok, "alive")
        case .dead(let reason): .text(.serviceUnavailable, reason)
        }
    }

    /// `/readyz`: 200 `ready` while every camera delivers to the broker, else 503 with
    /// ``FleetSnapshot/readinessProblems``, one per line.
    private func ready() -> HTTPResponse {
        let problems = fleet.snapshot().readinessProblems
        return problems.isEmpty ? .text(.ok, "ready") : .text(.serviceUnavailable, problems.joined(separator: "\n"))
    }

    private func page() -> HTTPResponse {
        let config = reporter.state.current.config
        let html = StatusPage.render(reporter.document(), brokers: config.amqp.urls, exchange: config.amqp.exchange)
        return HTTPResponse(.ok, contentType: "text/html; charset=utf-8", body: Array(html.utf8), headers: StatusPage.headers)
    }

    private func metrics() -> HTTPResponse {
        guard let exporter else { return .text(.notFound, "metrics are off") }
        let samples = MetricsExporter.samples(
            snapshot: fleet.snapshot(), details: fleet.cameraDetails(), process: .current(),
            nowMicros: Int64(Date().timeIntervalSince1970 * 1_000_000))
        return HTTPResponse(.ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: exporter.render(samples))
    }

    /// The `/healthz` body.
    struct Health: Encodable {
        /// `ok` or `unhealthy`.
        var status: String
        /// Each camera's state.
        var cameras: [String: String]
        /// Why it is unhealthy, one line per problem; empty when healthy.
        var reasons: [String]
    }

    /// 200 when the root runs and every configured camera runs with its broker connected; else
    /// 503 with the reasons: readiness (``FleetSnapshot/readinessProblems``) as JSON.
    static func health(of snapshot: FleetSnapshot) -> (HTTPStatus, Health) {
        let reasons = snapshot.readinessProblems
        let health = Health(
            status: reasons.isEmpty ? "ok" : "unhealthy", cameras: snapshot.cameras.mapValues(\.state.rawValue), reasons: reasons)
        return (reasons.isEmpty ? .ok : .serviceUnavailable, health)
    }

    private func health() -> HTTPResponse {
        let (status, health) = Self.health(of: fleet.snapshot())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let body = try? encoder.encode(health) else { return .text(.internalServerError) }
        return HTTPResponse(status, contentType: "application/json", body: Array(body) + [10])
    }

    private func status() -> HTTPResponse {
        guard let body = try? reporter.document().jsonData() else { return .text(.internalServerError) }
        return HTTPResponse(.ok, contentType: "application/json", body: Array(body))
    }

    private func latest(_ id: String) -> HTTPResponse {
        switch fleet.latestFrame(of: id) {
        case .unknownCamera:
            return .text(.notFound, "no camera \(id)")
        case .noFrameYet:
            return .text(.serviceUnavailable, "camera \(id) has not encoded a frame yet", headers: [("Retry-After", "1")])
        case .frame(let frame):
            return HTTPResponse(
                .ok, contentType: "image/jpeg", body: frame.jpeg,
                headers: [("X-Frame-Seq", "\(frame.seq)"), ("X-Captured-At-Us", "\(frame.capturedAtMicros)")])
        }
    }
}
