import Foundation
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// The process's threads, open file descriptors and resident memory, read from `/proc/self`.
struct ProcessFigures: Sendable, Equatable {
    /// `Threads:` of `/proc/self/status`.
    var threads: Int
    /// Entries of `/proc/self/fd` (the directory handle used to count them excluded).
    var openFDs: Int
    /// Resident pages of `/proc/self/statm` times the page size.
    var residentBytes: Int

    /// Reads the figures now; a figure that cannot be read is 0.
    static func current() -> ProcessFigures {
        let status = ProcFile.read("/proc/self/status") ?? ""
        let threads = ProcFile.value(of: "Threads", inStatus: status).flatMap { Int($0) } ?? 0
        let statm = ProcFile.read("/proc/self/statm") ?? ""
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return ProcessFigures(threads: threads, openFDs: countOpenFDs(), residentBytes: pages * Int(sysconf(Int32(_SC_PAGESIZE))))
    }

    private static func countOpenFDs() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { count += 1 }
        }
        return max(0, count - 1)
    }
}
