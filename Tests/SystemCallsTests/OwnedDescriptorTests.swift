import Glibc
import SystemCalls
import Testing

/// Whether an owner closed its descriptor is read from the other end of a pipe, not from the
/// number: tests run in parallel, so another thread may be given the number the moment it is
/// closed, and `fcntl(number, F_GETFD)` would then see that thread's descriptor. A pipe's read
/// end sees end of file once its write end is closed, whoever holds the number afterwards.
@Suite("owned descriptor")
struct OwnedDescriptorTests {
    /// A pipe whose write end a test hands to an owner; the test keeps the read end.
    struct Pipe: ~Copyable {
        /// The non-blocking read end, closed with the pipe.
        let reader: OwnedDescriptor
        /// The write end's number, for the test to give away.
        let writer: Int32

        init() throws {
            var ends: [Int32] = [-1, -1]
            try syscall("pipe") { pipe(&ends) }
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            _ = fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK)
            reader = OwnedDescriptor(adopting: ends[0])
            writer = ends[1]
        }

        /// Whether the write end is still open somewhere: a read with no data waits for a writer
        /// (`EAGAIN`) while one exists, and returns end of file (0) once none is left.
        func writerIsOpen() throws -> Bool {
            var byte: UInt8 = 0
            switch try nonBlockingSyscall("read", { read(reader.rawValue, &byte, 1) }) {
            case .wouldBlock: return true
            case .processed(let count):
                #expect(count == 0, "nothing was written")
                return false
            }
        }
    }

    /// Opens a descriptor that it throws away with an error, as a failed setup does.
    private static func adoptThenFail(_ number: Int32) throws(SystemError) {
        let owner = OwnedDescriptor(adopting: number)
        #expect(owner.rawValue == number)
        throw SystemError(code: .init(errno: EIO), operation: "setup")
    }

    @Test(.timeLimit(.minutes(1))) func closesWhenTheOwnerGoesOutOfScope() throws {
        let pipe = try Pipe()
        do {
            let owner = OwnedDescriptor(adopting: pipe.writer)
            #expect(owner.rawValue == pipe.writer)
            #expect(try pipe.writerIsOpen())
        }
        #expect(try !pipe.writerIsOpen())
    }

    @Test(.timeLimit(.minutes(1))) func closesWhenAnErrorLeavesTheScope() throws {
        let pipe = try Pipe()
        #expect(throws: SystemError.self) { try Self.adoptThenFail(pipe.writer) }
        #expect(try !pipe.writerIsOpen())
    }

    @Test(.timeLimit(.minutes(1))) func closesWhereItIsConsumed() throws {
        let pipe = try Pipe()
        let owner = OwnedDescriptor(adopting: pipe.writer)
        #expect(try pipe.writerIsOpen())
        _ = consume owner
        #expect(try !pipe.writerIsOpen())
    }

    @Test(.timeLimit(.minutes(1))) func releaseHandsTheNumberOnWithoutClosingIt() throws {
        let pipe = try Pipe()
        do {
            let owner = OwnedDescriptor(adopting: pipe.writer)
            #expect(owner.release() == pipe.writer)
        }
        #expect(try pipe.writerIsOpen())
        // The number is still ours (no other thread can have been given it): its new owner closes it.
        #expect(fcntl(pipe.writer, F_GETFD) != -1)
        try closeDescriptor(pipe.writer, "close")
        #expect(try !pipe.writerIsOpen())
    }

    @Test(.timeLimit(.minutes(1))) func anExplicitCloseClosesOnce() throws {
        let pipe = try Pipe()
        let owner = OwnedDescriptor(adopting: pipe.writer)
        try owner.close("close pipe")
        #expect(try !pipe.writerIsOpen())
    }

    @Test(.timeLimit(.minutes(1))) func anExplicitCloseReportsAFailure() throws {
        // The highest number the process may have: free unless every lower one is taken, so no
        // other thread is given it meanwhile. Closing it fails with EBADF.
        var limit = rlimit()
        try syscall("getrlimit") { getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) }
        let unused = Int32(min(limit.rlim_cur, 1 << 20) - 1)
        #expect(fcntl(unused, F_GETFD) == -1 && errno == EBADF)
        let owner = OwnedDescriptor(adopting: unused)
        do {
            try owner.close("close \(unused)")
            Issue.record("closing a number that is not open succeeded")
        } catch {
            #expect(error.code.errno == EBADF)
            #expect(error.operation == "close \(unused)")
        }
    }
}
