import DedicatedThread
import Foundation
import Glibc
import Testing

@Suite("WakePipe")
struct WakePipeTests {
    /// Whether `fd` is readable now.
    func readable(_ fd: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 1
    }

    @Test func wakeMakesTheReadEndReadableUntilDrained() throws {
        let pipe = try WakePipe()
        #expect(!readable(pipe.readEnd))
        for _ in 0..<100_000 { pipe.wake() }  // more than a pipe holds: never blocks
        #expect(readable(pipe.readEnd))
        pipe.drain()
        #expect(!readable(pipe.readEnd))
    }

    @Test func wakesAThreadSleepingInPoll() async throws {
        let pipe = try WakePipe()
        let thread = try DedicatedThread(name: uniqueThreadName()) {
            var descriptor = pollfd(fd: pipe.readEnd, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, -1)
        }
        pipe.wake()
        await thread.join()
        #expect(thread.isFinished)
    }

    @Test func theDescriptorsCloseWithTheLastReference() throws {
        var path = ""
        var open = ""
        do {
            let pipe = try WakePipe()
            path = "/proc/self/fd/\(pipe.readEnd)"
            open = try FileManager.default.destinationOfSymbolicLink(atPath: path)
            #expect(open.hasPrefix("pipe:"))
        }
        // Gone, or the number reused by another test for something else (another pipe inode).
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != open)
    }
}
