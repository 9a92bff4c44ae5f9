import EdgeVideoConfig
import Foundation
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Where the status snapshot and the pid file live, resolved from the configuration.
package struct StatusPaths: Sendable, Equatable {
    /// The status file (absolute, or relative to the working directory).
    package var statusFile: String
    /// The pid file read by `edge-video status`.
    package var pidFile: String
    /// Created by `edge-video status` just before its SIGUSR1, so that the instance writes the
    /// status file without echoing the tree to its log: only an operator's bare SIGUSR1 does that.
    package var requestFile: String { statusFile + ".request" }

    /// Resolves `status.file` and `status.pid_file`; relative paths are taken from the directory
    /// of the configuration file, so the result does not depend on the working directory.
    package init(config: AppConfig, configPath: String) {
        let base = (configPath as NSString).deletingLastPathComponent
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") || base.isEmpty ? path : (base as NSString).appendingPathComponent(path)
        }
        statusFile = resolve(config.status.file)
        let statusDirectory = (statusFile as NSString).deletingLastPathComponent
        pidFile = config.status.pidFile.map(resolve)
            ?? (statusDirectory.isEmpty ? "edge-video.pid" : (statusDirectory as NSString).appendingPathComponent("edge-video.pid"))
    }
}

/// Writes files readers must never see half-written: a temporary file in the same directory,
/// flushed and closed, then renamed over the target.
///
/// Files are created `0640` and directories `0750` (less under a stricter umask, such as the
/// unit's `UMask=0077`). The temporary file is a new file (`O_EXCL`) and never a symbolic link
/// (`O_NOFOLLOW`), so a link planted under its name cannot redirect the write.
package enum StatusFile {
    /// Atomically replaces `path` with `data`, creating the parent directory if needed.
    ///
    /// - Throws: ``SystemError`` naming the failing call and path.
    package static func write(_ data: Data, to path: String) throws(SystemError) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try makeDirectories(directory) }
        let temporary = path + ".tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let file = OwnedDescriptor(
            adopting: try syscall("open \(temporary)") { open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o640) }
        )
        do {
            try writeAndClose(data, to: file, named: temporary)
            try syscall("rename \(temporary) to \(path)") { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Writes all of `data` to `file` (the temporary file `name`), flushes it to the disk and
    /// closes it; `file` is closed when this returns, whether it threw or not.
    ///
    /// Closed before the rename: once the file has its name, this process holds nothing of it
    /// (a reader that counts its fds sees none left), and a failed close is never renamed in.
    ///
    /// - Throws: ``SystemError`` naming the failing call and `name`.
    private static func writeAndClose(_ data: Data, to file: consuming OwnedDescriptor, named name: String) throws(SystemError) {
        var offset = 0
        while offset < data.count {
            offset += try syscall("write \(name)") {
                data.withUnsafeBytes { Glibc.write(file.rawValue, $0.baseAddress! + offset, $0.count - offset) }
            }
        }
        try syscall("fsync \(name)") { fsync(file.rawValue) }
        try file.close("close \(name)")
    }

    /// `mkdir -p`: creates `directory` and its missing parents.
    static func makeDirectories(_ directory: String) throws(SystemError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue { return }
        let parent = (directory as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != directory { try makeDirectories(parent) }
        if mkdir(directory, 0o750) == -1, errno != EEXIST {
            throw SystemError(code: .init(errno: errno), operation: "mkdir \(directory)")
        }
    }
}
