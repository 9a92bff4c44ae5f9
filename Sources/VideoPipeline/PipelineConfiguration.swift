import Durations
import SecretRedaction
/// How one camera is captured, sampled, scaled and encoded.
///
/// A plain value: the app builds one per camera from its configuration file and hands it to
/// ``Capture`` and ``Encoder``. Call ``validate()`` to get every problem as a ``PipelineError``.
package struct PipelineConfiguration: Sendable, Hashable {
    /// How a file or test-pattern source is paced.
    package enum Pacing: Sendable, Hashable {
        /// In real time, as a camera would deliver frames (normal use).
        case realtime
        /// As fast as the encoder keeps up, never dropping (benchmarks).
        case unpaced
    }

    /// The source: `rtsp://`, `rtsps://`, `http(s)://`, `file://`, `/dev/videoN` or `testsrc:`.
    package var url: String
    /// Output frames per second, timed by the source's timestamps; may be below 1.
    package var fps: Double
    /// Output JPEG width; `nil` keeps the source's width (both or neither must be set).
    package var width: Int?
    /// Output JPEG height; `nil` keeps the source's height.
    package var height: Int?
    /// JPEG quantiser, 2 (best) ... 31 (smallest); default 5.
    package var quality: Int
    /// No frame for this long raises a ``PipelineError/Code/stalled`` error; `nil` means the
    /// default: 10 s, or 3 / fps when fps is below 1.
    package var stallTimeout: Duration?
    /// Restart a `file://` source at its end instead of finishing.
    package var loop: Bool
    /// Pacing of `file://` and `testsrc:` sources (live sources are paced by the camera).
    package var pacing: Pacing
    /// Decoder threads (1 suits many cameras on few cores; 0 lets libav choose).
    package var decoderThreads: Int
    /// Extra libav options passed to `avformat_open_input` (e.g. `rtsp_transport: udp`);
    /// options libav does not consume are logged as unused.
    package var options: [String: String]

    /// Creates a configuration; see the properties for the meaning and defaults.
    package init(
        url: String, fps: Double, width: Int? = nil, height: Int? = nil, quality: Int = 5,
        stallTimeout: Duration? = nil, loop: Bool = true, pacing: Pacing = .realtime,
        decoderThreads: Int = 1, options: [String: String] = [:]
    ) {
        self.url = url
        self.fps = fps
        self.width = width
        self.height = height
        self.quality = quality
        self.stallTimeout = stallTimeout
        self.loop = loop
        self.pacing = pacing
        self.decoderThreads = decoderThreads
        self.options = options
    }

    /// The lowest accepted ``fps``: one frame every 1,000 s.
    package static let minimumFPS = 0.001
    /// The highest accepted ``fps``.
    package static let maximumFPS = 1000.0

    /// The stall timeout in force: the configured one, else 10 s, or 3 / fps for fps below 1.
    ///
    /// Never traps: for an fps below ``minimumFPS`` (which ``validate()`` rejects) it is capped at
    /// 3 / ``minimumFPS``.
    package var effectiveStallTimeout: Duration {
        if let stallTimeout { return stallTimeout }
        if fps > 0, fps < 1 { return Duration(secondsSaturating: 3.0 / max(fps, Self.minimumFPS)) }
        return .seconds(10)
    }

    /// Why `url` is not a usable camera source, or `nil` when it is; the message redacts passwords.
    ///
    /// The same parser ``Capture`` opens sources with, so a URL this accepts is one capture accepts.
    package static func urlProblem(_ url: String) -> String? {
        do {
            _ = try SourceKind(url: url)
            return nil
        } catch let error as PipelineError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    /// The URL with its password shown as `***`, for logs and status.
    package var redactedURL: String { Redaction.redactingSecrets(in: url) }

    /// Checks every field and the URL.
    /// - Throws: ``PipelineError`` with code ``PipelineError/Code/invalidConfiguration`` naming
    ///   every problem found.
    package func validate() throws {
        var problems: [String] = []
        if !(fps >= Self.minimumFPS && fps <= Self.maximumFPS) {
            problems.append("fps must be within \(Self.minimumFPS)...\(Self.maximumFPS), got \(fps)")
        }
        if (width == nil) != (height == nil) { problems.append("width and height must be given together") }
        if let width, let height, !(2...16384).contains(width) || !(2...16384).contains(height) || width % 2 != 0 || height % 2 != 0 {
            problems.append("width/height must be even and within 2...16384, got \(width)x\(height)")
        }
        if !(2...31).contains(quality) { problems.append("quality must be within 2...31, got \(quality)") }
        if let stallTimeout, stallTimeout <= .zero || stallTimeout > .seconds(86_400) {
            problems.append("stall timeout must be positive and at most 1 day")
        }
        if decoderThreads < 0 { problems.append("decoder threads must be >= 0") }
        do { _ = try SourceKind(url: url) } catch let error as PipelineError { problems.append(error.message) }
        if !problems.isEmpty {
            throw PipelineError(.invalidConfiguration, problems.joined(separator: "; "))
        }
    }
}
