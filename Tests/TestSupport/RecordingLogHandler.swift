import Logging

/// A swift-log handler that hands every event, with the handler's own metadata, to `record`
/// (tests collect lines, or trace events, from it).
public struct RecordingLogHandler: LogHandler {
    /// The handler's metadata (`logger[metadataKey:]`), passed to `record` beside the event.
    public var metadata: Logger.Metadata = [:]
    /// The lowest level recorded.
    public var logLevel: Logger.Level
    private let record: @Sendable (LogEvent, Logger.Metadata) -> Void

    /// A handler from `logLevel` up that calls `record` with each event and the handler's metadata.
    public init(logLevel: Logger.Level = .trace, _ record: @escaping @Sendable (LogEvent, Logger.Metadata) -> Void) {
        self.logLevel = logLevel
        self.record = record
    }

    /// The handler's metadata value for `key`.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Hands `event` to `record`.
    public func log(event: LogEvent) {
        record(event, metadata)
    }
}
