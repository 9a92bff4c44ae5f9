import Foundation
import Logging
import Locking
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// How log lines look and where they go: the level and format in force, and whether stderr is
/// the systemd journal. Shared by every ``LogLineHandler`` of the process, so a live reload that
/// changes `logging.level` or `logging.format` takes effect for every logger at once.
///
/// Thread-safety: the level and format sit behind a `Locked`; writes of whole lines are serialised.
package final class LogSettings: Sendable {
    /// The line format (`logging.format`).
    package enum Format: String, Sendable, Encodable, CaseIterable {
        /// `2026-11-30T10:17:12.345Z info edge-video: message key=value`; under journald,
        /// `<6>edge-video: message key=value` (journald adds the time itself).
        case text
        /// One JSON object per line: `ts`, `level`, `logger`, `msg` and the metadata keys.
        case json
    }

    private struct State {
        var level: Logger.Level
        var format: Format
    }

    private let state: Locked<State>
    /// Serialises lines longer than the pipe's atomic write size.
    private let writeLock = Locked(())
    /// Where lines are written (normally 2, stderr).
    let descriptor: Int32
    /// stderr is the journal: lines get their `<N>` syslog priority prefix and no timestamp.
    package let journal: Bool

    /// Creates settings writing to `descriptor`.
    ///
    /// - Parameters:
    ///   - journal: lines carry `<N>` prefixes and no timestamp; see ``isJournal(descriptor:environment:)``.
    package init(level: Logger.Level = .info, format: Format = .text, journal: Bool, descriptor: Int32 = 2) {
        state = Locked(State(level: level, format: format))
        self.journal = journal
        self.descriptor = descriptor
    }

    /// The lowest level logged.
    package var level: Logger.Level {
        get { state.withLock { $0.level } }
        set { state.withLock { $0.level = newValue } }
    }

    /// The line format.
    package var format: Format {
        get { state.withLock { $0.format } }
        set { state.withLock { $0.format = newValue } }
    }

    /// Applies a `logging` section (at start and on every live reload).
    package func apply(_ logging: AppConfig.Logging) {
        state.withLock { $0 = State(level: logging.level, format: logging.format) }
    }

    /// Whether `descriptor` is the journal's stream, as systemd documents it: `JOURNAL_STREAM`
    /// holds `<device>:<inode>` of the stream it connected, and only when that matches the
    /// descriptor is it still the journal (a child that redirected stderr inherits the variable).
    package static func isJournal(
        descriptor: Int32 = 2, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    /// Writes a block of lines meant for a person (the status tree on SIGUSR1) at `level`: as is
    /// in text format, each line with its `<N>` prefix under journald, one `msg` in JSON.
    package func writeBlock(_ text: String, label: String, level: Logger.Level = .info) {
        switch format {
        case .json:
            write(LogLine.render(level: level, label: label, message: text, metadata: [:], format: .json, journal: journal, at: Date()))
        case .text where journal:
            write(text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0)
                .map { "<\(LogLine.priority(level))>" + $0 + "\n" }.joined())
        case .text:
            write(text)
        }
    }

    /// Writes one finished line (with its newline) in a single `write` where possible.
    func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            writeLock.withLock { _ in
                var offset = 0
                while offset < bytes.count {
                    guard let written = try? syscall("write", { Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset) })
                    else { return }
                    offset += written
                }
            }
        }
    }
}
