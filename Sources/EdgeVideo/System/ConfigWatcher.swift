import DedicatedThread
import Foundation
import Locking
import SystemCalls
#if canImport(Glibc)
import Glibc
#endif

/// Watches the configuration file, and the files it names (password files, TLS files), with
/// inotify on their directories, so both an in-place write (`IN_CLOSE_WRITE`) and an atomic rename
/// over a file (`IN_MOVED_TO`) count as a change.
///
/// The blocking `poll` runs on a dedicated thread, never on the cooperative pool; cancelling
/// ``run(refreshes:onWatching:onChange:)`` wakes that thread through a ``WakePipe`` and joins it.
package struct ConfigWatcher: Sendable {
    /// The watched configuration file.
    package let path: String
    /// The other files to watch, read when the watch starts and at each refresh.
    package let files: @Sendable () -> [String]

    /// Creates a watcher of the file at `path` (which need not exist yet) and of `files()`: the
    /// appliance passes the files of the configuration in force (``AppConfig/watchedFiles``).
    package init(path: String, files: @escaping @Sendable () -> [String] = { [] }) {
        self.path = path
        self.files = files
    }

    /// Calls `onChange` after each change of a watched file until the task is cancelled. Changes
    /// made while `onChange` runs are coalesced into one more call.
    ///
    /// - Parameters:
    ///   - refreshes: each element re-reads ``files`` and watches that set from then on (the
    ///     appliance sends one after each reload).
    ///   - onWatching: called once the watch of the file and of `files()` is installed, and again
    ///     after each refresh installed its set; changes from then on are seen.
    ///   - onChange: called after each (coalesced) change.
    /// - Throws: ``SystemError`` when inotify, the wake pipe or the watcher thread cannot be set up.
    package func run(
        refreshes: AsyncStream<Void>? = nil, onWatching: @escaping @Sendable () -> Void = {}, onChange: @Sendable () async -> Void
    ) async throws(SystemError) {
        // Closed when this function returns or throws: the thread and the table only borrow the number.
        let inotify = OwnedDescriptor(adopting: try syscall("inotify_init1") { inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK)) })
        let table = WatchTable(inotify: inotify.rawValue)
        let wake: WakePipe
        let thread: DedicatedThread
        let (changes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        do {
            try table.watch([path])
            table.watchBestEffort([path] + files())
            wake = try WakePipe()
            thread = try DedicatedThread(name: "config watcher") { [wake, inotify = inotify.rawValue] in
                Self.watch(inotify: inotify, wake: wake, table: table, continuation: continuation)
                continuation.finish()
            }
        } catch let error as SystemError {
            throw error
        } catch let error as WakePipeError {
            throw SystemError(code: .init(errno: error.errno), operation: "pipe")
        } catch let error as DedicatedThreadError {
            throw SystemError(code: .init(errno: error.errno), operation: "pthread_create \(error.name)")
        } catch {
            throw SystemError(code: .init(errno: EINVAL), operation: "starting the config watcher: \(error)")
        }
        onWatching()
        await withTaskGroup(of: Void.self) { group in
            if let refreshes {
                group.addTask { [files, path] in
                    for await _ in refreshes {
                        table.watchBestEffort([path] + files())
                        onWatching()
                    }
                }
            }
            await withTaskCancellationHandler {
                for await _ in changes {
                    await onChange()
                }
            } onCancel: {
                wake.wake()
            }
            group.cancelAll()
        }
        await thread.join()
        // Closed only now: no refresh can reach a descriptor number that was reused meanwhile.
        _ = consume inotify
    }

    /// The watcher thread's loop: returns when the wake pipe is written.
    private static func watch(inotify: Int32, wake: WakePipe, table: WatchTable, continuation: AsyncStream<Void>.Continuation) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var fds = [
                pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0),
            ]
            guard (try? syscall("poll", { poll(&fds, 2, -1) })) != nil else { return }
            if fds[1].revents != 0 { return }
            let count = read(inotify, &buffer, buffer.count)
            if count <= 0 { continue }
            var offset = 0
            var matched = false
            while offset + MemoryLayout<inotify_event>.size <= count {
                let descriptor = buffer.withUnsafeBytes { $0.load(fromByteOffset: offset, as: Int32.self) }
                let length = buffer.withUnsafeBytes { Int($0.load(fromByteOffset: offset + 12, as: UInt32.self)) }
                let start = offset + MemoryLayout<inotify_event>.size
                let nameBytes = buffer[start..<min(start + length, count)].prefix { $0 != 0 }
                if table.matches(descriptor: descriptor, name: String(decoding: nameBytes, as: UTF8.self)) { matched = true }
                offset = start + length
            }
            if matched { continuation.yield(()) }
        }
    }
}

/// The watched names by inotify watch descriptor (one per directory), shared by the watcher
/// thread, which matches events against it, and the refreshes, which replace it.
private final class WatchTable: Sendable {
    private let inotify: Int32
    private let names = Locked<[Int32: Set<String>]>([:])

    init(inotify: Int32) {
        self.inotify = inotify
    }

    /// Watches exactly `paths` from now on (their directories; others are dropped).
    /// - Throws: ``SystemError`` for the first directory that cannot be watched.
    func watch(_ paths: [String]) throws(SystemError) {
        var table: [Int32: Set<String>] = [:]
        for path in paths {
            let directory = (path as NSString).deletingLastPathComponent
            let watched = directory.isEmpty ? "." : directory
            let descriptor = try syscall("inotify_add_watch \(watched)") {
                inotify_add_watch(inotify, watched, UInt32(IN_CLOSE_WRITE | IN_MOVED_TO))
            }
            table[descriptor, default: []].insert((path as NSString).lastPathComponent)
        }
        let dropped = names.withLock { names in
            defer { names = table }
            return Set(names.keys).subtracting(table.keys)
        }
        for descriptor in dropped { inotify_rm_watch(inotify, descriptor) }
    }

    /// Like ``watch(_:)``, skipping files whose directory cannot be watched (a reload reports a
    /// file that cannot be read).
    func watchBestEffort(_ paths: [String]) {
        let watchable = paths.filter { path in
            let directory = (path as NSString).deletingLastPathComponent
            var info = stat()
            return stat(directory.isEmpty ? "." : directory, &info) == 0
        }
        try? watch(watchable)
    }

    /// Whether an event for `name` in the directory of `descriptor` concerns a watched file.
    func matches(descriptor: Int32, name: String) -> Bool {
        names.withLock { $0[descriptor]?.contains(name) ?? false }
    }
}
