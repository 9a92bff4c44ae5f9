import Durations
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The client side of `edge-video status`: finds the running instance, asks it for a fresh
/// snapshot with SIGUSR1 and reads the status file once it has been replaced.
package struct StatusClient: Sendable {
    /// Why no status could be obtained.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        /// What went wrong, for the user.
        package var description: String
    }

    /// The status and pid files of the instance.
    package let paths: StatusPaths
    /// How long to wait for the fresh file.
    package let timeout: Duration

    /// Creates a client for the instance running with these paths.
    package init(paths: StatusPaths, timeout: Duration = .seconds(5)) {
        self.paths = paths
        self.timeout = timeout
    }

    /// The pid of the running instance: `$MAINPID` under systemd (e.g. in `ExecReload=`), else the
    /// pid file, whose process must still be that instance: the same start time and an
    /// edge-video executable. A pid file that names anything else is stale: it is removed and
    /// this throws, so no other process is ever signalled.
    package func instancePID(environment: [String: String] = ProcessInfo.processInfo.environment) throws(Failure) -> Int32 {
        if let main = environment["MAINPID"].flatMap(Int32.init), main > 0 {
            guard kill(main, 0) == 0 || errno == EPERM else {
                throw Failure(description: "edge-video is not running: $MAINPID \(main) does not exist")
            }
            return main
        }
        let path = paths.pidFile
        guard let record = PIDFile.read(at: path) else {
            throw Failure(description: "no running edge-video found: no pid file at \(path) (is it running with this --config?)")
        }
        guard let recorded = record.startTime else {
            throw Failure(
                description: "the pid file \(path) has no start time (written by an older edge-video?); "
                    + "cannot tell whether pid \(record.pid) is edge-video, so it is not signalled")
        }
        let why: String
        if let actual = ProcessIdentity.startTime(of: record.pid) {
            if actual != recorded {
                why = "pid \(record.pid) is now another process (started at tick \(actual), not \(recorded))"
            } else {
                switch ProcessIdentity.executable(of: record.pid) {
                case .success(let executable) where ProcessIdentity.isEdgeVideo(executable):
                    return record.pid
                case .success(let executable):
                    why = "pid \(record.pid) is now \(executable)"
                case .failure(let error):
                    throw Failure(
                        description: "cannot check that pid \(record.pid) from \(path) is edge-video (\(error)); "
                            + "run edge-video status as the service's user or root")
                }
            }
        } else {
            why = "pid \(record.pid) does not exist"
        }
        let removed = PIDFile.removeStale(record, at: path) ? "; removed the stale pid file" : ""
        throw Failure(description: "edge-video is not running: \(path) names pid \(record.pid), but \(why)\(removed)")
    }

    /// Sends SIGUSR1 to the instance and returns the raw JSON of the status file it then writes.
    ///
    /// Watches the file's directory (``ConfigWatcher``, inotify) from before the signal, so the
    /// instance's atomic replace wakes this at once; gives up after ``timeout``.
    package func requestJSON() async throws -> Data {
        let pid = try instancePID()
        let (path, requestFile, timeout) = (paths.statusFile, paths.requestFile, timeout)
        let before = Self.identity(of: path)
        let fresh: @Sendable () -> Data? = {
            guard let now = Self.identity(of: path), now != before else { return nil }
            return FileManager.default.contents(atPath: path)
        }
        let (watching, watched) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let (changes, changed) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let answer: Result<Data, any Error>? = await withTimeout(timeout) {
            do {
                return .success(try await withThrowingTaskGroup(of: Data?.self) { group in
                    group.addTask {
                        try await ConfigWatcher(path: path).run(onWatching: { watched.yield() }) { changed.yield() }
                        return nil
                    }
                    group.addTask {
                        for await _ in watching { break }
                        // Marks this SIGUSR1 as ours (no echo of the tree into the instance's log).
                        // Best effort: without the file the instance still answers, it only echoes.
                        let request = open(requestFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
                        if request >= 0 { close(request) }
                        guard kill(pid, SIGUSR1) == 0 else {
                            unlink(requestFile)
                            throw Failure(description: "cannot signal pid \(pid): \(String(cString: strerror(errno)))")
                        }
                        if let data = fresh() { return data }
                        for await _ in changes {
                            if let data = fresh() { return data }
                        }
                        return nil
                    }
                    defer { group.cancelAll() }
                    while let result = try await group.next() {
                        if let result { return result }
                    }
                    throw CancellationError()
                })
            } catch {
                return .failure(error)
            }
        }
        guard let answer else { throw Failure(description: "pid \(pid) did not write \(path) within \(timeout)") }
        return try answer.get()
    }

    /// Like ``requestJSON()``, decoded.
    package func request() async throws -> StatusDocument {
        try JSONDecoder().decode(StatusDocument.self, from: await requestJSON())
    }

    /// Inode and modification time: an atomic replace always changes the inode.
    private static func identity(of path: String) -> [Int]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [Int(info.st_ino), info.st_mtim.tv_sec, info.st_mtim.tv_nsec]
    }
}
