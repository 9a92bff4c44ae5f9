import Glibc
import SystemCalls
import Testing

@Suite("syscall helper")
struct SyscallTests {
    /// A fake call: fails with each errno of `failures` in turn (returning -1), then returns `value`.
    final class FakeCall {
        var failures: [Int32]
        var calls = 0
        let value: Int32
        init(failing failures: [Int32], then value: Int32) {
            self.failures = failures
            self.value = value
        }
        func callAsFunction() -> Int32 {
            calls += 1
            guard !failures.isEmpty else { return value }
            errno = failures.removeFirst()
            return -1
        }
    }

    @Test(.timeLimit(.minutes(1))) func retriesEINTRUntilTheCallSucceeds() throws {
        let call = FakeCall(failing: [EINTR, EINTR], then: 7)
        #expect(try syscall("fake") { call() } == 7)
        #expect(call.calls == 3)
    }

    @Test(.timeLimit(.minutes(1))) func mapsOtherFailuresToAnErrorNamingTheOperation() {
        let call = FakeCall(failing: [EINTR, ENOENT], then: 0)
        #expect(throws: SystemError.self) { try syscall("open /nowhere") { call() } }
        do {
            try syscall("open /nowhere") { FakeCall(failing: [ENOENT], then: 0)() }
        } catch {
            #expect(error.code.errno == ENOENT)
            #expect(error.operation == "open /nowhere")
            #expect(error.description == "open /nowhere: " + String(cString: strerror(ENOENT)))
        }
        #expect(call.calls == 2)
    }

    @Test(.timeLimit(.minutes(1))) func nonBlockingCallsReportWhenTheyWouldBlock() throws {
        let call = FakeCall(failing: [EINTR, EAGAIN], then: 3)
        guard case .wouldBlock = try nonBlockingSyscall("recv", { call() }) else { Issue.record("not .wouldBlock"); return }
        guard case .processed(3) = try nonBlockingSyscall("recv", { call() }) else { Issue.record("not .processed(3)"); return }
        #expect(call.calls == 3)
    }

    @Test(.timeLimit(.minutes(1))) func anInterruptedWaitReturnsNilWithoutRetrying() throws {
        let call = FakeCall(failing: [EINTR], then: 1)
        #expect(try syscallUnlessInterrupted("poll") { call() } == nil)
        #expect(try syscallUnlessInterrupted("poll") { call() } == 1)
        #expect(call.calls == 2)
    }
}

@Suite("/proc reader")
struct ProcFileTests {
    @Test(.timeLimit(.minutes(1))) func findsAStatusValueWithoutItsBlanks() {
        let status = ["Name:\tedge-video", "Umask:\t0022", "Threads:\t  12 ", "VmRSS:\t   5120 kB", ""].joined(separator: "\n")
        #expect(ProcFile.value(of: "Threads", inStatus: status) == "12")
        #expect(ProcFile.value(of: "VmRSS", inStatus: status) == "5120 kB")
        #expect(ProcFile.value(of: "Name", inStatus: status) == "edge-video")
        #expect(ProcFile.value(of: "Cpus_allowed", inStatus: status) == nil)
    }

    @Test(.timeLimit(.minutes(1))) func countsStatFieldsFromTheCommandsLastParenthesis() {
        // Field 2 holds spaces and parentheses, as a command name may.
        let fields = (3...52).map { $0 == 3 ? "S" : "\($0 * 10)" }
        let stat = "4242 (ev (a) b) " + fields.joined(separator: " ") + "\n"
        #expect(ProcFile.statField(3, inStat: stat) == "S")
        #expect(ProcFile.statField(22, inStat: stat) == "220")
        #expect(ProcFile.statField(51, inStat: stat) == "510")
        #expect(ProcFile.statField(53, inStat: stat) == nil)
        #expect(ProcFile.statField(22, inStat: "4242 no parenthesis") == nil)
    }

    @Test(.timeLimit(.minutes(1))) func readsAProcFileThatStatCallsEmpty() throws {
        let status = try #require(ProcFile.read("/proc/self/status"))
        #expect(ProcFile.value(of: "Pid", inStatus: status) == "\(getpid())")
        let stat = try #require(ProcFile.read("/proc/self/stat"))
        #expect(ProcFile.statField(22, inStat: stat).flatMap { UInt64($0) } != nil)
        #expect(ProcFile.read("/proc/self/no-such-file") == nil)
    }
}
