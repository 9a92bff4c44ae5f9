import SecretRedaction
/// An error from the video pipeline: a stable ``Code`` plus a human message.
///
/// The message never contains a URL password: every URL in it is redacted with
/// ``Redaction/redactingSecrets(in:)`` when the error is made.
package struct PipelineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An opaque error category; compare against the static members (new ones may be added).
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidConfiguration = "invalid configuration"
            case openFailed = "open failed"
            case noVideoStream = "no video stream"
            case unsupportedCodec = "unsupported codec"
            case stalled
            case endOfStream = "end of stream"
            case readFailed = "read failed"
            case decodeFailed = "decode failed"
            case encodeFailed = "encode failed"
            case scaleFailed = "scale failed"
            case resourceExhausted = "resource exhausted"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The configuration (URL, fps, size, quality, options) is not usable.
        package static let invalidConfiguration = Code(.invalidConfiguration)
        /// The source could not be opened (connection refused, not found, bad data, auth, ...).
        package static let openFailed = Code(.openFailed)
        /// The source opened but carries no video stream.
        package static let noVideoStream = Code(.noVideoStream)
        /// The source's video codec has no decoder here.
        package static let unsupportedCodec = Code(.unsupportedCodec)
        /// No frame arrived for the stall timeout.
        package static let stalled = Code(.stalled)
        /// A live source ended (the server closed the stream).
        package static let endOfStream = Code(.endOfStream)
        /// Reading from an open source failed (connection reset, I/O error).
        package static let readFailed = Code(.readFailed)
        /// The decoder rejected the stream.
        package static let decodeFailed = Code(.decodeFailed)
        /// The JPEG encoder failed.
        package static let encodeFailed = Code(.encodeFailed)
        /// Scaling or pixel conversion failed.
        package static let scaleFailed = Code(.scaleFailed)
        /// An allocation or thread creation failed.
        package static let resourceExhausted = Code(.resourceExhausted)

        /// The category in words, e.g. `stalled`.
        package var description: String { base.rawValue }
    }

    /// The category of the failure.
    package let code: Code
    /// What happened, with any URL password shown as `***`.
    package let message: String

    /// Creates an error; `message` is redacted before it is stored.
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = Redaction.redactingSecrets(in: message)
    }

    /// `code: message`.
    package var description: String { "\(code): \(message)" }
}
