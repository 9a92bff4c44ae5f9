import Foundation
import Locking
#if canImport(Glibc)
import Glibc
#endif

/// Watches the configuration file with inotify on its directory, so both an in-place write
/// (`IN_CLOSE_WRITE`) and an atomic rename over it (`IN_MOVED_TO`) count as a change.
///
/// The blocking `poll` runs on a dedicated thread, never on the cooperative pool; cancelling
/// ``run(onChange:)`` wakes that thread through a pipe and waits for it to finish.
public struct ConfigWatcher: Sendable {
    /// The watched file.
    public let path: String

    /// Creates a watcher of the file at `path` (which need not exist yet).
    public init(path: String) {
        self.path = path
    }

    /// Calls `onChange` after each change of the file until the task is cancelled. Changes made
    /// while `onChange` runs are coalesced into one more call.
    ///
    /// - Parameters:
    ///   - onWatching: called once the watch is installed; changes from then on are seen.
    ///   - onChange: called after each (coalesced) change.
    /// - Throws: ``SystemError`` when inotify cannot be set up.
    public func run(
        onWatching: @Sendable () -> Void = {}, onChange: @Sendable () async -> Void
    ) async throws(SystemError) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let inotify = try syscall("inotify_init1") { inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK)) }
        var pipeEnds: [Int32] = [-1, -1]
        do {
            try syscall("inotify_add_watch \(directory.isEmpty ? "." : directory)") {
                inotify_add_watch(inotify, directory.isEmpty ? "." : directory, UInt32(IN_CLOSE_WRITE | IN_MOVED_TO))
            }
            try syscall("pipe") { pipe(&pipeEnds) }
            for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        } catch {
            close(inotify)
            throw error
        }
        let (wake, waker) = (pipeEnds[0], Waker(fd: pipeEnds[1]))
        let (changes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let thread = Thread {
            Self.watch(inotify: inotify, wake: wake, name: name, continuation: continuation)
            waker.close()
            close(wake)
            close(inotify)
            continuation.finish()
        }
        thread.name = "edge-video config watcher"
        thread.start()
        onWatching()
        await withTaskCancellationHandler {
            for await _ in changes {
                await onChange()
            }
        } onCancel: {
            waker.wake()
        }
    }

    /// The watcher thread's loop: returns when the wake pipe is written.
    private static func watch(inotify: Int32, wake: Int32, name: String, continuation: AsyncStream<Void>.Continuation) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 { return }
            let count = read(inotify, &buffer, buffer.count)
            if count <= 0 { continue }
            var offset = 0
            var matched = false
            while offset + MemoryLayout<inotify_event>.size <= count {
                let length = buffer.withUnsafeBytes { Int($0.load(fromByteOffset: offset + 12, as: UInt32.self)) }
                let start = offset + MemoryLayout<inotify_event>.size
                let nameBytes = buffer[start..<min(start + length, count)].prefix { $0 != 0 }
                if String(decoding: nameBytes, as: UTF8.self) == name { matched = true }
                offset = start + length
            }
            if matched { continuation.yield(()) }
        }
    }
}

/// The write end of the pipe that wakes the watcher thread. A lock makes `wake()` from a cancellation handler
/// safe against the thread closing the descriptor concurrently (which could otherwise write to a
/// reused descriptor number).
private final class Waker: Sendable {
    private let fd: Locked<Int32?>

    init(fd: Int32) { self.fd = Locked(fd) }

    func wake() {
        fd.withLock { fd in
            guard let fd else { return }
            var one: UInt8 = 1
            _ = write(fd, &one, 1)
        }
    }

    func close() {
        fd.withLock { fd in
            if let open = fd { Glibc.close(open) }
            fd = nil
        }
    }
}
