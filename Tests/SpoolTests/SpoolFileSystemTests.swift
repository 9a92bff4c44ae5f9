import Foundation
import Testing

@testable import Spool

/// A full file system, a read-only one, and a directory that vanishes: errors, never crashes, and
/// a spool that stays consistent and usable.
@Suite(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
struct SpoolFileSystemTests {
    /// A tmpfs of `size` mounted on a fresh directory; unmounted by ``remove()``.
    struct Tmpfs {
        let directory: TemporaryDirectory

        init(size: String, options: String = "") throws {
            directory = try TemporaryDirectory("spool-tmpfs")
            let status = Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)" + options, "tmpfs", directory.path])
            if status != 0 {
                directory.remove()
                throw SpoolError(.io, "mount -t tmpfs failed (\(status)): this test needs CAP_SYS_ADMIN")
            }
        }

        func remove() {
            _ = Self.run("/bin/umount", [directory.path])
            directory.remove()
        }

        static func run(_ tool: String, _ arguments: [String]) -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            guard (try? process.run()) != nil else { return -1 }
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    @Test(.timeLimit(.minutes(1))) func aFullFileSystemThrowsNoSpaceStaysConsistentAndRecovers() async throws {
        let tmpfs = try Tmpfs(size: "256k")
        defer { tmpfs.remove() }
        let path = tmpfs.directory.child("spool")
        let configuration = testConfiguration(path, maxBytes: 16 << 20, syncInterval: .milliseconds(5))
        var stored: [Int64] = []
        var acknowledged = 0
        try await Spool.withSpool(configuration, onDiscard: DiscardLog().handler) { spool in
            var failure: SpoolError?
            for seq in Int64(0)..<200 {
                do {
                    try spool.append(makeRecord("s", seq), unread: true)
                    stored.append(seq)
                } catch let error as SpoolError {
                    failure = error
                    break
                }
            }
            #expect(failure?.code == .noSpace, "\(String(describing: failure))")
            #expect(failure?.message.contains(path) == true)
            #expect(stored.count > 10 && spool.usage.records == stored.count)
            #expect(spool.usage.bytes == segmentBytesOnDisk(path), "the partial write was cut away")
            // Drain the first half: whole segments go, and appends succeed again.
            acknowledged = stored.count / 2
            for _ in 0..<acknowledged { spool.acknowledge(try #require(try spool.next(stream: "s")).id) }
            let seq = Int64(stored.count)
            try spool.append(makeRecord("s", seq), unread: true)
            stored.append(seq)
        }
        try await Spool.withSpool(configuration, onDiscard: DiscardLog().handler) { spool in
            #expect(spool.recoveredDamage.isEmpty)
            let read = try drain(spool, "s").map(\.record)
            #expect(read == stored.suffix(from: acknowledged).map { makeRecord("s", $0) })
        }
    }

    @Test(.timeLimit(.minutes(1))) func aReadOnlyDirectoryMakesAppendsUnavailable() async throws {
        let tmpfs = try Tmpfs(size: "1m", options: ",ro")
        defer { tmpfs.remove() }
        try await Spool.withSpool(testConfiguration(tmpfs.directory.path), onDiscard: DiscardLog().handler) { spool in
            let error = #expect(throws: SpoolError.self) { try spool.append(makeRecord("s", 0), unread: true) }
            #expect(error?.code == .unavailable, "\(String(describing: error))")
            let next = try spool.next(stream: "s")
            #expect(next == nil && spool.usage.records == 0)
        }
    }

    @Test(.timeLimit(.minutes(1))) func aVanishedDirectoryMakesAppendsUnavailableUntilItIsBack() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.child("spool")
        try await Spool.withSpool(testConfiguration(path), onDiscard: DiscardLog().handler) { spool in
            try spool.append(makeRecord("s", 0), unread: true)
            try FileManager.default.removeItem(atPath: path)
            for seq in Int64(1)...2 {
                let error = #expect(throws: SpoolError.self) { try spool.append(makeRecord("s", seq), unread: true) }
                #expect(error?.code == .unavailable, "\(String(describing: error))")
            }
            #expect(try spool.next(stream: "s")?.record == makeRecord("s", 0), "still readable through its descriptor")
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            try spool.append(makeRecord("s", 3), unread: true)
            #expect(try drain(spool, "s").map(\.record.seq) == [3])
        }
    }
}
