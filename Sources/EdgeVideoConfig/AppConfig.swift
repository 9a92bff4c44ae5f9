import AMQPPublisher
import Foundation
import Logging

/// The appliance configuration (`supervision.json`), with every default filled in.
///
/// Decode it with ``AppConfig/decode(_:)`` or ``AppConfig/load(path:)``: both report every problem
/// with its JSON path. The keys, defaults and descriptions are also published as a JSON Schema in
/// `supervision.schema.json`; a test keeps the two in agreement.
package struct AppConfig: Sendable, Equatable, Encodable {
    /// The broker connection shared by every camera (each camera opens its own connection).
    package var amqp: AMQP
    /// Where the status snapshot and the pid file go.
    package var status: Status
    /// Restart limits and timing of the supervision tree.
    package var supervision: Supervision
    /// Logging options.
    package var logging: Logging
    /// The HTTP endpoint (metrics, health, status, latest frames).
    package var http: HTTP
    /// What the process gives back to the kernel.
    package var memory: Memory
    /// The on-disk store of frames the broker cannot take (docs/delivery.md).
    package var spool: Spool
    /// The cameras, in start order.
    package var cameras: [Camera]
    /// The files this configuration was read from besides itself, resolved: every password file
    /// (`amqp`, `cameras[]`, `http.auth`) and the TLS files. The running service reloads when one
    /// changes (``ConfigWatcher``), so a rotated secret takes effect.
    package internal(set) var watchedFiles: [String] = []

    enum CodingKeys: String, CodingKey {
        case amqp, status, supervision, logging, http, memory, spool, cameras
    }

    /// The `amqp` section.
    package struct AMQP: Sendable, Equatable, Encodable {
        /// Broker URLs (`amqp://` or `amqps://`), tried in order on every (re)connect.
        package var urls: [String] = ["amqp://guest:guest@127.0.0.1:5672/%2f"]
        /// Exchange the frames are published to; declared durable.
        package var exchange = "edge.video"
        /// Exchange type: `topic`, `direct`, `fanout` or `headers`.
        package var exchangeType = AMQPConfiguration.ExchangeType.topic
        /// Routing key template; `{id}` is replaced by the camera id.
        package var routingKey = "camera.{id}.frame"
        /// Publish with delivery mode 2 (persistent) when true, 1 otherwise.
        package var persistent = true
        /// Publish with `mandatory`, so frames no queue takes come back (counted as `returned`,
        /// logged at a bounded rate, named by `/healthz`) instead of being confirmed and dropped
        /// silently by the broker.
        package var mandatory = true
        /// AMQP heartbeat in seconds; 0 disables heartbeats.
        package var heartbeatS = 10.0
        /// TCP connect and login timeout in seconds.
        package var connectTimeoutS = 10.0
        /// How long a message may stay unconfirmed before the connection is considered broken;
        /// at least twice `heartbeat_s`.
        package var confirmTimeoutS = 30.0
        /// Maximum unconfirmed messages per camera; the publisher waits when it is reached.
        package var inFlightWindow = 256
        /// TLS files for `amqps://` URLs.
        package var tls = TLS()
        /// File holding the broker password, put into every URL (which must name the user and no
        /// password). Already applied to ``urls``.
        package var passwordFile: String?

        enum CodingKeys: String, CodingKey {
            case urls, exchange, persistent, mandatory, tls
            case exchangeType = "exchange_type", routingKey = "routing_key", heartbeatS = "heartbeat_s"
            case connectTimeoutS = "connect_timeout_s", confirmTimeoutS = "confirm_timeout_s"
            case inFlightWindow = "in_flight_window", passwordFile = "password_file"
        }
    }

    /// The `amqp.tls` section.
    package struct TLS: Sendable, Equatable, Encodable {
        /// PEM file of the certificate authorities to trust; the system's when absent. This and the
        /// other two files are found like password files (``AppConfig/AMQP/passwordFile``).
        package var caFile: String?
        /// PEM client certificate for mutual TLS (with `key_file`).
        package var certFile: String?
        /// PEM private key of `cert_file`.
        package var keyFile: String?
        /// Verify the broker's certificate chain.
        package var verifyPeer = true
        /// Verify that the broker's certificate names its host.
        package var verifyHostname = true
        /// Which version of each TLS file was on disk when the configuration was read (device,
        /// inode, size, modification time; never the content), so that replacing a file makes
        /// the `amqp` section differ and a reload reconnects the cameras one at a time.
        var fileVersions: [String] = []

        enum CodingKeys: String, CodingKey {
            case caFile = "ca_file", certFile = "cert_file", keyFile = "key_file"
            case verifyPeer = "verify_peer", verifyHostname = "verify_hostname"
        }
    }

    /// The `status` section.
    package struct Status: Sendable, Equatable, Encodable {
        /// Status file written atomically on SIGUSR1; relative paths are resolved against the
        /// directory of the configuration file.
        package var file = ".run/status.json"
        /// Pid file read by `edge-video status`; `edge-video.pid` next to the status file when absent.
        package var pidFile: String?
        /// Also write the status file every this many seconds; 0 writes it only on request.
        package var intervalS = 0.0

        enum CodingKeys: String, CodingKey {
            case file, pidFile = "pid_file", intervalS = "interval_s"
        }
    }

    /// The `supervision` section.
    package struct Supervision: Sendable, Equatable, Encodable {
        /// Restarts of camera subtrees the root tolerates within `period_s` before it gives up
        /// (exit 70). Camera subtrees themselves restart without limit, with backoff.
        package var intensity = 10
        /// The window of `intensity`, in seconds.
        package var periodS = 60.0
        /// Backoff between restarts of a camera subtree.
        package var backoff = Backoff()
        /// How long a graceful stop may take (flush, publish, await confirms) before tasks are
        /// reported stuck and the process exits non-zero.
        package var shutdownTimeoutS = 10.0

        enum CodingKeys: String, CodingKey {
            case intensity, backoff, periodS = "period_s", shutdownTimeoutS = "shutdown_timeout_s"
        }
    }

    /// The `supervision.backoff` section.
    package struct Backoff: Sendable, Equatable, Encodable {
        /// First delay after a failure, in seconds.
        package var initialS = 0.5
        /// Largest delay, in seconds.
        package var maxS = 30.0
        /// Factor applied to the delay after each consecutive failure.
        package var multiplier = 2.0
        /// Random fraction (0...1) added to or removed from each delay so restarts spread out.
        package var jitter = 0.25

        enum CodingKeys: String, CodingKey {
            case initialS = "initial_s", maxS = "max_s", multiplier, jitter
        }
    }

    /// The `logging` section.
    package struct Logging: Sendable, Equatable, Encodable {
        /// Lowest level logged: trace, debug, info, notice, warning, error or critical.
        package var level = Logger.Level.info
        /// Line format: `text` (journald priority prefixes when stderr is the journal) or `json`.
        package var format = LogSettings.Format.text
    }

    /// The `http` section: the endpoint serving the status page `/`, `/metrics`, `/livez`,
    /// `/readyz`, `/healthz`, `/status` and `/cameras/<id>/latest.jpg`.
    package struct HTTP: Sendable, Equatable, Encodable {
        /// Serve the endpoint.
        package var enabled = true
        /// Numeric IPv4 or IPv6 address to listen on; loopback by default. Any other address
        /// needs ``auth`` or ``allowUnauthenticated``.
        package var address = "127.0.0.1"
        /// TCP port; 0 picks a free one (logged at start).
        package var port = 9464
        /// Credentials every request must carry; none by default.
        package var auth = Auth()
        /// Serve beyond loopback without credentials, on purpose.
        package var allowUnauthenticated = false

        /// The `http.auth` section: a bearer token, HTTP basic credentials, or both (either passes).
        package struct Auth: Sendable, Equatable, Encodable {
            /// File holding the bearer token, found like password files (``AppConfig/AMQP/passwordFile``:
            /// a bare name is first looked up among systemd credentials).
            package var tokenFile: String?
            /// User name for HTTP basic, with ``passwordFile``.
            package var user: String?
            /// File holding the HTTP basic password, found like ``tokenFile``.
            package var passwordFile: String?
            /// The token read from ``tokenFile``; never encoded or printed.
            package var token: Secret?
            /// The password read from ``passwordFile``; never encoded or printed.
            package var password: Secret?

            /// Whether requests must authenticate.
            package var isConfigured: Bool { token != nil || (user != nil && password != nil) }

            enum CodingKeys: String, CodingKey {
                case user, tokenFile = "token_file", passwordFile = "password_file"
            }
        }

        enum CodingKeys: String, CodingKey {
            case enabled, address, port, auth, allowUnauthenticated = "allow_unauthenticated"
        }
    }

    /// The `memory` section. It applies live: a reload that changes it takes effect at once.
    package struct Memory: Sendable, Equatable, Encodable {
        /// Once start-up is over, hand the kernel back the pages of the program's own files that
        /// only start-up touched (``StartupPages``).
        package var releaseStartupPages = true

        enum CodingKeys: String, CodingKey {
            case releaseStartupPages = "release_startup_pages"
        }
    }

    /// The `spool` section: a bounded, crash-safe store of encoded frames on disk, in the publish
    /// path (docs/delivery.md).
    package struct Spool: Sendable, Equatable, Encodable {
        /// When frames are written to disk.
        package enum Mode: String, Sendable, Equatable, Encodable, CaseIterable {
            /// Only the frames the broker cannot take (the publish queue is full: disconnected,
            /// blocked, or the confirm window full for longer than the queue lasts).
            case outage
            /// Every encoded frame, before it is published.
            case always
            /// Never: frames beyond the publish queue are dropped and counted.
            case off
        }

        /// Which frames go first while a backlog drains.
        package enum Replay: String, Sendable, Equatable, Encodable, CaseIterable {
            /// Per camera, frames are delivered in capture order: the backlog before live frames.
            case captureOrder = "capture_order"
            /// Live frames first; the backlog fills the gaps between them.
            case liveFirst = "live_first"
        }

        /// The spool directory; `$STATE_DIRECTORY/spool` under systemd, else `.run/spool`, relative
        /// to the configuration file's directory, when absent.
        package var directory: String?
        /// The most bytes the whole spool (every camera) may take on disk; the oldest frames are
        /// dropped and counted beyond it.
        package var maxBytes = 1 << 30
        /// When frames are written to disk.
        package var mode = Mode.outage
        /// How often written frames are flushed to the device (`fdatasync`): what a power cut can cost.
        package var syncIntervalMs = 1000
        /// Frames older than this when their turn comes are dropped and counted as expired; kept
        /// until delivered when absent.
        package var maxAgeS: Double?
        /// Which frames go first while a backlog drains.
        package var replay = Replay.captureOrder

        enum CodingKeys: String, CodingKey {
            case directory, mode, replay
            case maxBytes = "max_bytes", syncIntervalMs = "sync_interval_ms", maxAgeS = "max_age_s"
        }

        /// The defaults: spool in outage mode, in the default directory.
        package init() {}

        /// The directory in force: `directory`, else `$STATE_DIRECTORY/spool`, else `.run/spool`;
        /// a relative path is taken from `configDirectory`.
        package func resolvedDirectory(configDirectory: String, environment: [String: String]) -> String {
            let chosen: String
            if let directory {
                chosen = directory
            } else if let state = environment["STATE_DIRECTORY"]?.split(separator: ":").first, !state.isEmpty {
                chosen = "\(state)/spool"
            } else {
                chosen = ".run/spool"
            }
            if chosen.hasPrefix("/") { return chosen }
            return configDirectory.isEmpty ? chosen : "\(configDirectory)/\(chosen)"
        }
    }

    /// One entry of `cameras`.
    ///
    /// Encodes redacted (``AppConfig/Camera/encode(to:)``), the way `edge-video check --print` shows it.
    package struct Camera: Sendable, Equatable, Encodable {
        /// Unique id, 1-64 characters of `[A-Za-z0-9._-]`.
        package var id: String
        /// Source: rtsp(s)://, http(s)://, file://, /dev/videoN or testsrc:; with the password of
        /// ``passwordFile`` already in it.
        package var url: String
        /// File holding the camera's password, put into ``url`` (which must name the user).
        package var passwordFile: String?
        /// Frames per second sampled and published.
        package var fps = 5.0
        /// Published JPEG width; the source's when absent.
        package var width: Int?
        /// Published JPEG height; the source's when absent.
        package var height: Int?
        /// JPEG quality, 1 (smallest) to 100 (best).
        package var jpegQuality = 80
        /// Seconds without a frame before the camera is considered stalled and restarted; when
        /// absent, 10 s, or 3 / fps below 1 fps (a slow camera is not a stalled one).
        package var stallTimeoutS: Double?
        /// Frames held between stages; the oldest is dropped when full (decoded frames waiting for
        /// the encoder also within `CameraResources.capturedByteLimit` bytes).
        package var queueCapacity = 8
        /// Loop `file://` sources at their end instead of stopping.
        package var loop = true
        /// libav options for `avformat_open_input` (``InputOptions``), `camera_defaults`' merged
        /// key by key with the camera's own; they override the capture's defaults for the source.
        package var inputOptions: [String: String] = [:]

        /// Creates a camera with defaults for everything but its id and URL.
        package init(id: String, url: String) {
            self.id = id
            self.url = url
        }

        enum CodingKeys: String, CodingKey {
            case id, url, fps, width, height, loop
            case passwordFile = "password_file"
            case jpegQuality = "jpeg_quality", stallTimeoutS = "stall_timeout_s"
            case queueCapacity = "queue_capacity", inputOptions = "input_options"
        }
    }

    /// Creates a configuration with defaults and the given cameras.
    package init(cameras: [Camera] = []) {
        amqp = AMQP()
        status = Status()
        supervision = Supervision()
        logging = Logging()
        http = HTTP()
        memory = Memory()
        spool = Spool()
        self.cameras = cameras
    }
}

extension AppConfig.Camera {
    /// The routing key for this camera's frames under `template` (`{id}` replaced).
    package func routingKey(template: String) -> String {
        template.replacingOccurrences(of: "{id}", with: id)
    }
}
