import Foundation
import Logging
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig
@testable import EdgeVideoHTTP

/// Liveness and readiness: one definition each, answered by `/livez` and `/readyz`, with
/// liveness also deciding the systemd watchdog's pings (`Appliance.pingWatchdog()`).
@Suite struct OperatorHealthTests {
    static func routes(_ fleet: StaticFleet, auth: AppConfig.HTTP.Auth = .init()) -> HTTPRoutes {
        let state = ConfigState(path: "/nonexistent/supervision.json", config: AppConfig())
        let reporter = StatusReporter(state: state, fleet: fleet, startedAt: .now, logger: Logger(label: "test"))
        return HTTPRoutes(fleet: fleet, reporter: reporter, exporter: nil, authentication: HTTPAuthentication(auth))
    }

    static func get(_ path: String, headers: [(String, String)] = []) -> HTTPRequestHead {
        HTTPRequestHead(method: "GET", path: path, version: "HTTP/1.1", headers: headers.map { (name: $0.0.lowercased(), value: $0.1) })
    }

    @Test func aBrokerOutageOrAFailingCameraIsNotALivenessProblem() {
        var outage = CameraStatus(state: .running)
        outage.lastError = "connection refused"
        let failing = CameraStatus(state: .backingOff)
        for snapshot in [
            StaticFleet.snapshot(["away": outage]), StaticFleet.snapshot(["bad": failing]),
            StaticFleet.snapshot(root: .starting, [:]), StaticFleet.snapshot(root: .stopping, ["away": outage]),
        ] {
            #expect(snapshot.liveness == .alive, "\(snapshot.tree.state) \(snapshot.cameras)")
        }
        #expect(StaticFleet.snapshot(root: .failed, [:]).liveness == .dead(reason: "root supervisor is failed"))
        #expect(StaticFleet.snapshot(root: .stopped, [:]).liveness == .dead(reason: "root supervisor is stopped"))
    }

    @Test func readinessNamesEveryCameraNotDeliveringAndTheRoot() {
        var outage = CameraStatus(state: .running)
        outage.lastError = "amqp://guest:***@b/: connection refused"
        let snapshot = StaticFleet.snapshot(["ok": StaticFleet.delivering(), "away": outage, "bad": CameraStatus(state: .backingOff)])
        #expect(snapshot.readinessProblems == [
            "camera away broker disconnected: amqp://guest:***@b/: connection refused", "camera bad is backing_off",
        ])
        #expect(StaticFleet.snapshot(["ok": StaticFleet.delivering()]).readinessProblems.isEmpty)
        #expect(StaticFleet.snapshot(root: .starting, ["ok": StaticFleet.delivering()]).readinessProblems == ["root supervisor is starting"])
    }

    @Test func livezAndReadyzAnswerFromTheSameDefinitions() {
        var outage = CameraStatus(state: .running)
        outage.lastError = "connection refused"
        let fleet = StaticFleet(StaticFleet.snapshot(["cam": outage, "ok": StaticFleet.delivering()]))
        let routes = Self.routes(fleet)
        let live = routes.respond(to: Self.get("/livez"))
        #expect(live.status == .ok && String(decoding: live.body, as: UTF8.self) == "alive\n")
        let ready = routes.respond(to: Self.get("/readyz"))
        #expect(ready.status == .serviceUnavailable)
        #expect(String(decoding: ready.body, as: UTF8.self) == "camera cam broker disconnected: connection refused\n")
        // /healthz keeps its JSON, with the same reasons.
        let health = routes.respond(to: Self.get("/healthz"))
        #expect(health.status == .serviceUnavailable && String(decoding: health.body, as: UTF8.self).contains(#""reasons":["camera cam broker disconnected"#))

        fleet.current.withLock { $0 = StaticFleet.snapshot(["cam": StaticFleet.delivering(), "ok": StaticFleet.delivering()]) }
        #expect(routes.respond(to: Self.get("/readyz")).status == .ok)
        fleet.current.withLock { $0 = StaticFleet.snapshot(root: .failed, [:]) }
        let dead = routes.respond(to: Self.get("/livez"))
        #expect(dead.status == .serviceUnavailable && String(decoding: dead.body, as: UTF8.self) == "root supervisor is failed\n")
        #expect(routes.respond(to: Self.get("/readyz")).status == .serviceUnavailable)
        #expect(routes.respond(to: HTTPRequestHead(method: "POST", path: "/livez", version: "HTTP/1.1", headers: [])).status == .methodNotAllowed)
    }

    /// A spool that fails (a full disk, a lost directory) keeps every camera running, but frames
    /// beyond the publish queue are then dropped in an outage: not ready, still alive, and
    /// `/readyz` and `/healthz` name it.
    @Test func aFailingSpoolIsNotReadyButAliveAndTheEndpointsNameIt() {
        var snapshot = StaticFleet.snapshot(["ok": StaticFleet.delivering()])
        snapshot.spool = SpoolStatus(mode: "outage", bytes: 0, records: 0, damagedAtStart: 0, lastError: "No space left on device")
        let problem = "spool: No space left on device (frames beyond the publish queue are dropped)"
        #expect(snapshot.readinessProblems == [problem])
        #expect(snapshot.liveness == .alive)
        let fleet = StaticFleet(snapshot)
        let routes = Self.routes(fleet)
        let ready = routes.respond(to: Self.get("/readyz"))
        #expect(ready.status == .serviceUnavailable && String(decoding: ready.body, as: UTF8.self) == problem + "\n")
        let health = routes.respond(to: Self.get("/healthz"))
        #expect(health.status == .serviceUnavailable && String(decoding: health.body, as: UTF8.self).contains(problem))
        #expect(routes.respond(to: Self.get("/livez")).status == .ok)
        // A spool that works is no problem.
        fleet.current.withLock { $0.spool?.lastError = nil }
        #expect(routes.respond(to: Self.get("/readyz")).status == .ok)
    }
}
