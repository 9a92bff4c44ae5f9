import Foundation
import Logging

/// The swift-log handler of `edge-video run`: one line per message on stderr, formatted by the
/// shared ``LogSettings`` (text or JSON, journald priority prefixes), whose level a live reload
/// can change.
///
/// Thread-safety: a value; the shared state lives in ``LogSettings``.
package struct LogLineHandler: LogHandler {
    /// The logger's label, shown on every line.
    package let label: String
    /// The process-wide settings.
    package let settings: LogSettings
    /// Metadata attached to this logger.
    package var metadata: Logger.Metadata = [:]
    /// A level set on this logger alone; the settings' level otherwise.
    private var ownLevel: Logger.Level?

    /// Creates a handler for `label`.
    package init(label: String, settings: LogSettings) {
        self.label = label
        self.settings = settings
    }

    /// This logger's level: its own if one was set, else the process-wide one in force.
    package var logLevel: Logger.Level {
        get { ownLevel ?? settings.level }
        set { ownLevel = newValue }
    }

    /// One metadata value of this logger.
    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Formats and writes one line.
    package func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        settings.write(
            LogLine.render(
                level: event.level, label: label, message: "\(event.message)", metadata: merged,
                format: settings.format, journal: settings.journal, at: Date()))
    }
}

/// Renders log lines; pure, so each format is tested without a process.
package enum LogLine {
    /// The syslog priority journald files a line under: trace and debug 7 … critical 2.
    package static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// One complete line, newline included. Newlines inside the message or metadata are
    /// escaped (`\n`), so one event is always one line (and one journal entry).
    package static func render(
        level: Logger.Level, label: String, message: String, metadata: Logger.Metadata,
        format: LogSettings.Format, journal: Bool, at date: Date
    ) -> String {
        var line = journal ? "<\(priority(level))>" : ""
        switch format {
        case .text:
            if !journal { line += timestamp(date) + " " + level.rawValue + " " }
            line += label + ": " + oneLine(message)
            for key in metadata.keys.sorted() {
                line += " " + key + "=" + oneLine(text(metadata[key]!))
            }
        case .json:
            line += "{\"ts\":\"" + timestamp(date) + "\",\"level\":\"" + level.rawValue + "\",\"logger\":"
            line += quoted(label) + ",\"msg\":" + quoted(message)
            for key in metadata.keys.sorted() {
                let name = ["ts", "level", "logger", "msg"].contains(key) ? "meta." + key : key
                line += "," + quoted(name) + ":" + json(metadata[key]!)
            }
            line += "}"
        }
        return line + "\n"
    }

    /// RFC 3339 in UTC with milliseconds: `2026-11-30T10:17:12.345Z`.
    static func timestamp(_ date: Date) -> String {
        let total = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(total / 1000)
        let millis = Int(total % 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(ms)Z"
    }

    private static func oneLine(_ text: String) -> String {
        text.contains(where: \.isNewline) ? text.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n") : text
    }

    private static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): "[" + values.map(text).joined(separator: ", ") + "]"
        case .dictionary(let fields): "[" + fields.keys.sorted().map { "\($0): \(text(fields[$0]!))" }.joined(separator: ", ") + "]"
        }
    }

    private static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): quoted(string)
        case .stringConvertible(let convertible): quoted(convertible.description)
        case .array(let values): "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let fields): "{" + fields.keys.sorted().map { quoted($0) + ":" + json(fields[$0]!) }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal (RFC 8259 escapes; control characters as `\u00XX`).
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
