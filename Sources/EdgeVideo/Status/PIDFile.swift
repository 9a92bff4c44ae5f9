import Foundation
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// The pid file `edge-video status` reads: `PID STARTTIME`, where STARTTIME is field 22 of
/// `/proc/PID/stat` (clock ticks since boot). A pid alone can name another process once the
/// instance is gone and the pid is reused; the pair names one process for the life of the machine.
package struct PIDFile: Sendable, Equatable {
    /// The instance's pid.
    package var pid: Int32
    /// The instance's start time from `/proc/PID/stat`, or `nil` in a file without one.
    package var startTime: UInt64?

    /// Creates a record.
    package init(pid: Int32, startTime: UInt64?) {
        self.pid = pid
        self.startTime = startTime
    }

    /// This process.
    package static var current: PIDFile { PIDFile(pid: getpid(), startTime: ProcessIdentity.startTime(of: getpid())) }

    /// The file's text.
    var text: String { startTime.map { "\(pid) \($0)\n" } ?? "\(pid)\n" }

    /// Reads the record at `path`; `nil` when absent or not a pid file.
    package static func read(at path: String) -> PIDFile? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let fields = text.split(whereSeparator: \.isWhitespace)
        guard (1...2).contains(fields.count), let pid = Int32(fields[0]), pid > 0 else { return nil }
        if fields.count == 1 { return PIDFile(pid: pid, startTime: nil) }
        guard let start = UInt64(fields[1]) else { return nil }
        return PIDFile(pid: pid, startTime: start)
    }

    /// Writes this process's record to `path` atomically (``StatusFile/write(_:to:)``).
    package static func write(to path: String) throws(SystemError) {
        try StatusFile.write(Data(current.text.utf8), to: path)
    }

    /// Removes the file at `path` if it still names this process.
    package static func remove(at path: String) {
        if read(at: path)?.pid == getpid() { unlink(path) }
    }

    /// Removes the file at `path` if it still holds exactly `record` (not a newer instance's).
    static func removeStale(_ record: PIDFile, at path: String) -> Bool {
        guard read(at: path) == record else { return false }
        return unlink(path) == 0
    }
}

/// What `/proc` says about a process.
enum ProcessIdentity {
    /// Field 22 of `/proc/PID/stat`, the start time in clock ticks since boot; `nil` when the
    /// process does not exist.
    static func startTime(of pid: Int32) -> UInt64? {
        ProcFile.read("/proc/\(pid)/stat").flatMap { ProcFile.statField(22, inStat: $0) }.flatMap { UInt64($0) }
    }

    /// The executable of `pid` (`/proc/PID/exe`), without the ` (deleted)` mark of a replaced binary.
    static func executable(of pid: Int32) -> Result<String, SystemError> {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count: Int
        do { count = try syscall("readlink /proc/\(pid)/exe") { readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1) } } catch { return .failure(error) }
        var path = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
        return .success(path)
    }

    /// Whether `path` is an edge-video binary: named as installed (`edge-video`) or as built
    /// (`edge-video-main`, Package.swift), or this very executable.
    static func isEdgeVideo(_ path: String) -> Bool {
        if ["edge-video", "edge-video-main"].contains((path as NSString).lastPathComponent) { return true }
        if case .success(let mine) = executable(of: getpid()) { return mine == path }
        return false
    }
}
