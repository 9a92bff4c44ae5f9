import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The write end of a pipe that wakes a thread blocked in `poll()` (the config watcher's, the HTTP
/// endpoint's). A lock makes `wake()` from a cancellation handler safe against the descriptor
/// being closed concurrently (which could otherwise write to a reused descriptor number).
final class Waker: Sendable {
    private let fd: Mutex<Int32?>

    init(fd: Int32) { self.fd = Mutex(fd) }

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
