import Foundation

/// A thread of a process, as `/proc/PID/task` lists it.
public struct ListedThread: Sendable {
    /// Its thread id.
    public let tid: Int
    /// Its name (at most 15 bytes: the kernel's limit).
    public let name: String
}

/// The threads of process `pid` (this process by default) that have not begun to exit.
///
/// A thread that has begun to exit runs no more code of ours, but the kernel may still list it for
/// a moment: `pthread_join` returns when the kernel clears the thread's id, early in its exit, and
/// the thread leaves `/proc/PID/task` only when it is reaped, at the end. On this 2-core machine,
/// 63 of 500,000 threads were still listed right after their join. Every one of them carried the
/// kernel's `PF_EXITING` flag, which the kernel sets before it clears the id, so a census that skips
/// flagged threads counts a joined thread as gone at once, and a test can check at once instead of
/// waiting.
public func liveThreads(pid: Int32? = nil) -> [ListedThread] {
    let directory = "/proc/\(pid.map(String.init) ?? "self")/task"
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return tasks.compactMap { task in
        // A thread reaped between the listing and the reads has no files left: not listed.
        guard let tid = Int(task),
            let stat = try? String(contentsOfFile: "\(directory)/\(task)/stat", encoding: .utf8),
            let flags = taskFlags(stat), flags & exitingFlag == 0,
            let comm = try? String(contentsOfFile: "\(directory)/\(task)/comm", encoding: .utf8)
        else { return nil }
        return ListedThread(tid: tid, name: comm.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// The names of this process's threads that have not begun to exit (``liveThreads(pid:)``).
public func threadNames() -> [String] {
    liveThreads().map(\.name)
}

/// How many threads of this process carry `name` and have not begun to exit.
public func threads(named name: String) -> Int {
    threadNames().filter { $0 == name }.count
}

/// `PF_EXITING` (include/linux/sched.h): set on a task as it begins to exit.
private let exitingFlag: UInt = 0x4

/// The `flags` field of a `/proc/PID/task/TID/stat` line: the 9th field, the 7th after the name,
/// which is in parentheses and may itself hold spaces and parentheses.
private func taskFlags(_ stat: String) -> UInt? {
    guard let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    return fields.count > 6 ? UInt(fields[6]) : nil
}
