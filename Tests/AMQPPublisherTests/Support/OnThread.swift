import DedicatedThread
import EdgeVideoTestSupport
import Foundation

/// Runs blocking work (rabbitmq-c admin calls, child processes) on its own thread, never on the
/// cooperative pool.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await DedicatedThread.run(name: "evtest helper", body)
}

/// A unique suffix for exchange, queue and connection names, so parallel tests never share them.
func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UInt32.random(in: 0...UInt32.max), radix: 36)"
}

extension String.StringInterpolation {
    mutating func appendInterpolation(_ value: UInt32, radix: Int) {
        appendLiteral(String(value, radix: radix))
    }
}

/// Counts of this process's threads and open descriptors, from procfs.
struct ProcessResources: Sendable {
    var threads: Int
    var descriptors: Int
    var threadNames: [String]

    static func now() -> ProcessResources {
        let names = EdgeVideoTestSupport.threadNames()
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.count ?? 0
        return ProcessResources(threads: names.count, descriptors: fds, threadNames: names)
    }
}
