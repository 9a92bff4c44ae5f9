import CFFmpeg
import Logging
import SecretRedaction
import Locking

/// Maps libav return codes to ``PipelineError`` in one place.
enum FFmpegCall {
    /// The text of a libav error code (`av_strerror`).
    static func describe(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        if av_strerror(code, &buffer, buffer.count) < 0 {
            return "libav error \(code)"
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Returns `rc` when it is not negative, else throws `code` with `what` and the libav text.
    @discardableResult
    static func check(_ rc: Int32, _ code: PipelineError.Code, _ what: @autoclosure () -> String) throws -> Int32 {
        guard rc < 0 else { return rc }
        throw PipelineError(code, "\(what()): \(describe(rc))")
    }

    static let eof = CFFmpeg_AVERROR_EOF()
    static let again = CFFmpeg_AVERROR(EAGAIN)
    static let exit = CFFmpeg_AVERROR_EXIT()
    static let noTimestamp = CFFmpeg_AV_NOPTS_VALUE()
}

/// Routes libav's own log lines to swift-log: each line whole, with URL passwords redacted,
/// then shortened to ``maxLineBytes``.
enum FFmpegLog {
    private static let logger = Logger(label: "edge-video.ffmpeg")
    /// Longest line logged, in UTF-8 bytes (after redaction).
    static let maxLineBytes = 1024
    /// Receivers that take the lines instead of the logger (``withObserver(_:_:)``).
    private static let observers = Locked<[Int: @Sendable (String) -> Void]>([:])

    /// Installs the handler once per process (libav's log callback is global).
    static let install: Void = {
        CFFmpeg_set_log_handler({ level, line in
            guard let line else { return }
            let text = FFmpegLog.render(String(cString: line))
            let observers = FFmpegLog.observers.withLock { Array($0.values) }
            guard observers.isEmpty else {
                for observer in observers { observer(text) }
                return
            }
            switch level {
            case ...AV_LOG_ERROR: FFmpegLog.logger.error("\(text)")
            case ...AV_LOG_WARNING: FFmpegLog.logger.warning("\(text)")
            default: FFmpegLog.logger.debug("\(text)")
            }
        }, AV_LOG_ERROR)
    }()

    /// A libav line as logged: redacted first, then cut to ``maxLineBytes`` on a character
    /// boundary (a cut marked with `…`).
    static func render(_ line: String) -> String {
        let redacted = Redaction.redactingSecrets(in: line)
        let bytes = Array(redacted.utf8)
        guard bytes.count > maxLineBytes else { return redacted }
        var cut = maxLineBytes
        while cut > 0, bytes[cut] & 0xC0 == 0x80 { cut -= 1 }  // not inside a UTF-8 sequence
        return String(decoding: bytes[..<cut], as: UTF8.self) + "…"
    }

    /// Runs `body` with `observer` receiving every line meanwhile, rendered as it would be
    /// logged, instead of the logger (tests).
    static func withObserver<T>(
        _ observer: @escaping @Sendable (String) -> Void, _ body: () async throws -> T
    ) async rethrows -> T {
        _ = install
        let key = Int.random(in: Int.min...Int.max)
        observers.withLock { $0[key] = observer }
        defer { _ = observers.withLock { $0.removeValue(forKey: key) } }
        return try await body()
    }
}
