import CFFmpeg
import Logging
import SecretRedaction

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

/// Routes libav's own log lines to swift-log, with URL passwords redacted.
enum FFmpegLog {
    private static let logger = Logger(label: "edge-video.ffmpeg")

    /// Installs the handler once per process (libav's log callback is global).
    static let install: Void = {
        CFFmpeg_set_log_handler({ level, line in
            guard let line else { return }
            let text = Redaction.redactingSecrets(in: String(cString: line))
            switch level {
            case ...AV_LOG_ERROR: FFmpegLog.logger.error("\(text)")
            case ...AV_LOG_WARNING: FFmpegLog.logger.warning("\(text)")
            default: FFmpegLog.logger.debug("\(text)")
            }
        }, AV_LOG_ERROR)
    }()
}
