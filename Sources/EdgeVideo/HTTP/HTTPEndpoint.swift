import EdgeVideoConfig
import EdgeVideoHTTP
import Logging
import Supervision

/// The HTTP endpoint as a supervised service: an `http` supervisor under the root with one
/// `server` child. It restarts without limit, with backoff (a port in use shows as `backing_off`
/// with its error and never takes the cameras down), and, started before the cameras, it stops
/// after them.
package struct HTTPEndpoint: Sendable {
    /// The `http` section in force at start.
    package let configuration: AppConfig.HTTP
    private let routes: HTTPRoutes
    private let limits: HTTPLimits
    private let logger: Logger

    /// An endpoint serving `fleet` and `reporter`; `/metrics` renders `metrics` (404 when `nil`).
    package init(
        configuration: AppConfig.HTTP, fleet: any CameraFleet, reporter: StatusReporter, metrics: PrometheusBackend?,
        logger: Logger
    ) {
        self.configuration = configuration
        routes = HTTPRoutes(
            fleet: fleet, reporter: reporter, exporter: metrics.map { MetricsExporter(registry: $0.registry) },
            authentication: HTTPAuthentication(configuration.auth))
        limits = HTTPLimits()
        self.logger = logger
    }

    /// The child spec that puts the endpoint under the root.
    package var spec: ChildSpec {
        let address = configuration.address
        let port = configuration.port
        let auth = configuration.auth.isConfigured ? "required" : "none"
        let server: HTTPServer? = SocketAddress.numeric(address, port: port).map {
            HTTPServer(address: $0, limits: limits, handler: { [routes] head in routes.respond(to: head) })
        }
        let logger = logger
        let supervisor = Supervisor(
            id: "http", strategy: .oneForOne, intensity: .unlimited,
            backoff: Backoff(initial: .milliseconds(500), maximum: .seconds(30)), logger: logger,
            children: [
                ChildSpec(id: "server", shutdownTimeout: .seconds(2)) {
                    guard let server else { throw HTTPEndpointError(message: "http.address \(address) is not a numeric address") }
                    do {
                        try await server.run { bound in
                            let shown = address.contains(":") ? "[\(address)]:\(bound)" : "\(address):\(bound)"
                            logger.info("HTTP endpoint listening on \(shown)", metadata: ["port": "\(bound)", "auth": "\(auth)"])
                        }
                    } catch let error as SystemError {
                        throw HTTPEndpointError(message: "cannot listen on \(address):\(port): \(error)")
                    }
                }
            ])
        return .supervisor(supervisor)
    }
}

/// The endpoint could not serve (the address is taken, say).
struct HTTPEndpointError: Error, CustomStringConvertible {
    /// What went wrong.
    var message: String
    var description: String { message }
}
