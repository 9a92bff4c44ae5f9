import DedicatedThread
import Foundation
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// Hands the kernel back the pages of the program's own files that only start-up touched.
///
/// Start-up runs code the steady state never runs again: the Swift runtime's and Foundation's
/// initialisers, every library's constructors, configuration decoding. The kernel also maps file
/// pages around each one touched (64 KiB at a time). Those pages stay in the process's page tables,
/// and so in its RSS and PSS, for as long as it runs. Measured with one `testsrc:` camera: the
/// binary's code mapping held 10 MiB, of which 0.7 MiB was touched in the next 10 s; after
/// `madvise(MADV_PAGEOUT)` on every read-only file mapping, the code the process kept running
/// paged back 2.9 MiB, and the file-backed PSS fell from 17.0 to 7.7 MiB.
///
/// Only mappings the process never wrote are touched: private, read-only, backed by a file, with
/// no anonymous (copied-on-write) page. Relocated data (RELRO), the heap and every writable
/// mapping keep their pages, so nothing goes to swap.
///
/// Two advices per mapping. `MADV_PAGEOUT` reclaims the pages no other process maps, but Linux
/// (6.x) pages out file pages only for a process that owns the file or could open it for writing;
/// for anyone else it skips them and still returns 0. Under the unit (user `edge-video`, a
/// root-owned binary on a read-only `/usr`) it released nothing, as a root-run test never showed
/// (docs/operations.md). `MADV_DONTNEED` then takes whatever is still mapped out of this process's
/// page tables: the pages stay in the page cache, clean and reclaimable, and one needed again is
/// mapped back from it. That is safe only because the mapping holds no page of its own
/// (``Mapping/isReleasable``), which `MADV_DONTNEED` would discard.
package enum StartupPages {
    /// One mapping of `/proc/self/smaps`, with the figures that decide whether it is released.
    struct Mapping: Equatable {
        var start: UInt
        var end: UInt
        /// The permissions field, such as `r-xp`.
        var permissions: String
        /// The file, or a pseudo-name such as `[heap]`; empty for anonymous memory.
        var path: String
        var residentKiB = 0
        var anonymousKiB = 0

        /// Private, readable and not writable (code and constants), backed by a file, and never
        /// written by this process: no anonymous page, which is what a copied-on-write page becomes.
        /// (`Private_Dirty` is no test: a file written recently has dirty pages in the page cache.)
        var isReleasable: Bool {
            path.hasPrefix("/") && (permissions == "r--p" || permissions == "r-xp") && anonymousKiB == 0
        }
    }

    /// What one release handed back, in resident KiB of the mappings it advised, just before and
    /// just after. What remains is mostly pages other processes map too (shared libraries), which
    /// the kernel leaves alone.
    package struct Released: Sendable, Equatable {
        /// Mappings advised.
        package var mappings = 0
        /// Their resident KiB before.
        package var residentKiB = 0
        /// Their resident KiB after.
        package var remainingKiB = 0
        /// Of ``residentKiB``, the program's own file (`/proc/self/exe`).
        package var binaryKiB = 0
        /// Of ``remainingKiB``, the program's own file.
        package var binaryRemainingKiB = 0
    }

    /// Parses `/proc/PID/smaps`. Lines it does not know are skipped.
    static func mappings(smaps: String) -> [Mapping] {
        var mappings: [Mapping] = []
        for line in smaps.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if !first.hasSuffix(":"), let dash = first.firstIndex(of: "-"),
                let start = UInt(first[..<dash], radix: 16),
                let end = UInt(first[first.index(after: dash)...], radix: 16), fields.count >= 5
            {
                let path = fields.count > 5 ? fields[5...].joined(separator: " ") : ""
                mappings.append(Mapping(start: start, end: end, permissions: String(fields[1]), path: path))
                continue
            }
            guard !mappings.isEmpty, fields.count >= 2, let kib = Int(fields[1]) else { continue }
            switch first {
            case "Rss:": mappings[mappings.count - 1].residentKiB = kib
            case "Anonymous:": mappings[mappings.count - 1].anonymousKiB = kib
            default: continue
            }
        }
        return mappings
    }

    /// Advises `MADV_PAGEOUT` and `MADV_DONTNEED` on every releasable mapping of this process, on a
    /// thread of its own: reading `smaps` twice and reclaiming are system calls whose time grows
    /// with the mappings and pages, so they stay off the cooperative pool.
    ///
    /// A kernel without `MADV_PAGEOUT` (before Linux 5.4) refuses that advice; `MADV_DONTNEED` still
    /// unmaps the pages.
    package static func release() async throws -> Released {
        try await DedicatedThread.run(name: "ev-pageout") { releaseNow() }
    }

    private static func releaseNow() -> Released {
        let binary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var released = Released()
        var advised: Set<UInt> = []
        for mapping in mappings(smaps: ProcFile.read("/proc/self/smaps") ?? "") where mapping.isReleasable && mapping.residentKiB > 0 {
            let start = UnsafeMutableRawPointer(bitPattern: mapping.start), length = Int(mapping.end - mapping.start)
            let pagedOut = madvise(start, length, pageOut) == 0
            let unmapped = madvise(start, length, MADV_DONTNEED) == 0
            guard pagedOut || unmapped else { continue }
            advised.insert(mapping.start)
            released.mappings += 1
            released.residentKiB += mapping.residentKiB
            if mapping.path == binary { released.binaryKiB += mapping.residentKiB }
        }
        for mapping in mappings(smaps: ProcFile.read("/proc/self/smaps") ?? "") where advised.contains(mapping.start) {
            released.remainingKiB += mapping.residentKiB
            if mapping.path == binary { released.binaryRemainingKiB += mapping.residentKiB }
        }
        return released
    }

    /// `MADV_PAGEOUT` of `<bits/mman-linux.h>` (Linux 5.4).
    private static let pageOut: Int32 = 21
}

/// When to release start-up pages: once per configuration generation, when every camera has
/// delivered a frame since that generation began (start-up is over), or ``deadline`` seconds after
/// it began, whichever comes first. A pure value fed with samples, so it is tested without time.
package struct StartupPagesPolicy: Sendable {
    /// Seconds after a start or a reload when pages are released even if some camera has not
    /// delivered yet (a broker outage, a camera that never answers).
    package static let deadline = 60.0

    private var generation: Int?
    private var began = 0.0
    private var baseline: [String: Int] = [:]
    private var done = false

    /// Creates a policy that has released nothing yet.
    package init() {}

    /// Whether this generation's release is behind it (no need to sample the tree again).
    package func hasReleased(generation: Int) -> Bool { done && self.generation == generation }

    /// Records a sample: the configuration generation in force, each camera's delivered-frame count
    /// (confirmed by the broker) by id, at `time` seconds on a monotonic clock. Returns whether to
    /// release now; `true` at most once per generation.
    package mutating func shouldRelease(generation: Int, delivered: [String: Int], at time: Double) -> Bool {
        if generation != self.generation {
            self.generation = generation
            began = time
            baseline = delivered
            done = false
        }
        guard !done else { return false }
        let everyCameraDelivered =
            !delivered.isEmpty && delivered.allSatisfy { id, count in count > (baseline[id] ?? 0) }
        guard everyCameraDelivered || time - began >= Self.deadline else { return false }
        done = true
        return true
    }
}
