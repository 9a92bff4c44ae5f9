import Foundation
import Locking
import Testing

@testable import EdgeVideo

@Suite struct ConfigWatcherTests {
    enum Event: Equatable { case watching(String), changed(String) }

    /// Starts watchers of `files`, runs `change` once all are watching, and returns the first
    /// change reported; cancels the watchers and waits for them (and their threads) to end.
    private func firstChange(watching files: [String], _ change: @escaping @Sendable () throws -> Void) async throws -> String? {
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for file in files {
                group.addTask {
                    try await ConfigWatcher(path: file).run {
                        continuation.yield(.watching(file))
                    } onChange: {
                        continuation.yield(.changed(file))
                    }
                }
            }
            var watching = 0
            var changed: String?
            for await event in events {
                switch event {
                case .watching:
                    watching += 1
                    if watching == files.count { try change() }
                case .changed(let file):
                    changed = file
                }
                if changed != nil { break }
            }
            group.cancelAll()
            try await group.waitForAll()
            return changed
        }
    }

    private func directory() throws -> String {
        let path = NSTemporaryDirectory() + "ev-watch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test(.timeLimit(.minutes(1))) func inPlaceWriteCounts() async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/supervision.json"
        try Data("{}".utf8).write(to: URL(fileURLWithPath: file))
        let changed = try await firstChange(watching: [file]) {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
            try handle.write(contentsOf: Data("{ }".utf8))
            try handle.close()
        }
        #expect(changed == file)
    }

    @Test(.timeLimit(.minutes(1))) func atomicRenameCounts() async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/supervision.json"
        let changed = try await firstChange(watching: [file]) {
            try Data("{}".utf8).write(to: URL(fileURLWithPath: dir + "/.new"))
            guard rename(dir + "/.new", file) == 0 else { throw SystemError(code: .init(errno: errno), operation: "rename") }
        }
        #expect(changed == file)
    }

    @Test(.timeLimit(.minutes(1))) func otherFilesInTheDirectoryDoNotCount() async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (a, b) = (dir + "/a.json", dir + "/b.json")
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for file in [a, b] {
                group.addTask {
                    try await ConfigWatcher(path: file).run {
                        continuation.yield(.watching(file))
                    } onChange: {
                        continuation.yield(.changed(file))
                    }
                }
            }
            var watching = 0
            var aWritten = false
            for await event in events {
                switch event {
                case .watching:
                    watching += 1
                    // b.json is written (twice) first; a.json only after b's watcher saw it.
                    if watching == 2 {
                        for _ in 0..<2 { try Data("{}".utf8).write(to: URL(fileURLWithPath: b)) }
                    }
                case .changed(b):
                    if !aWritten {
                        aWritten = true
                        try Data("{}".utf8).write(to: URL(fileURLWithPath: a))
                    }
                case .changed(let file):
                    #expect(file == a && aWritten, "a.json's watcher fired on another file's change")
                }
                if case .changed(a) = event { break }
            }
            group.cancelAll()
            try await group.waitForAll()
        }
    }
}

/// The files a configuration names (password and TLS files) are watched too, in their own
/// directories, and a refresh takes up a new set.
@Suite struct NamedFilesWatchTests {
    enum Event: Equatable { case watching, changed }

    @Test(.timeLimit(.minutes(1))) func namedFilesCountAndARefreshTakesUpNewOnes() async throws {
        let root = NSTemporaryDirectory() + "ev-watch-named-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        for sub in ["config", "secrets", "later"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true)
        }
        let (first, second) = ("\(root)/secrets/cam.pw", "\(root)/later/broker.pw")
        let named = NamedFiles([first])
        let (refreshes, refresh) = AsyncStream.makeStream(of: Void.self)
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await ConfigWatcher(path: "\(root)/config/supervision.json", files: { named.files }).run(refreshes: refreshes) {
                    continuation.yield(.watching)
                } onChange: {
                    continuation.yield(.changed)
                }
            }
            var step = 0
            for await event in events {
                switch (step, event) {
                case (0, .watching):
                    // An atomic rename over the password file, as a rotation does.
                    try Data("new\n".utf8).write(to: URL(fileURLWithPath: first), options: .atomic)
                case (1, .changed):
                    named.files = [second]
                    refresh.yield()
                case (2, .watching):
                    try Data("new\n".utf8).write(to: URL(fileURLWithPath: second))
                case (3, .changed):
                    break
                case (2, .changed):
                    // The rename of step 0 seen a second time (coalesced changes may call twice).
                    continue
                default:
                    Issue.record("unexpected \(event) at step \(step)")
                }
                step += 1
                if step == 4 { break }
            }
            #expect(step == 4)
            group.cancelAll()
            try await group.waitForAll()
        }
    }

    /// The set a test changes between refreshes.
    final class NamedFiles: Sendable {
        private let value: Locked<[String]>
        init(_ files: [String]) { value = Locked(files) }
        var files: [String] {
            get { value.withLock { $0 } }
            set { value.withLock { $0 = newValue } }
        }
    }
}
