import Foundation
import Locking
import Supervision
import Testing

@testable import Spool

/// A fresh directory of its own under /tmp; removed by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "spool") throws {
        var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SpoolError(.io, "mkdtemp failed") }
        path = String(cString: made)
    }

    /// `path/name`.
    func child(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Every `onDiscard` call, summed per stream and reason.
final class DiscardLog: Sendable {
    private let counts = Locked([String: Int]())

    /// The `onDiscard` closure to hand to the spool.
    var handler: @Sendable (String, SpoolDiscard, Int) -> Void {
        { [self] stream, reason, count in self.counts.withLock { $0["\(stream)/\(reason.rawValue)", default: 0] += count } }
    }

    /// The total for `reason`, over `stream` or every stream.
    func count(_ reason: SpoolDiscard, stream: String? = nil) -> Int {
        counts.withLock { counts in
            counts.filter { key, _ in
                key.hasSuffix("/" + reason.rawValue) && (stream.map { key == "\($0)/\(reason.rawValue)" } ?? true)
            }.values.reduce(0, +)
        }
    }
}

/// A record whose every byte follows from its stream and seq (and a size), so a delivered record
/// can be checked by identity.
func makeRecord(_ stream: String, _ seq: Int64, bodyBytes: Int = 5000, capturedAt: Int64 = 1_700_000_000_000_000) -> SpoolRecord {
    var random = SplitMix64(seed: UInt64(bitPattern: seq) &* 31 &+ UInt64(stream.utf8.reduce(0) { $0 &* 131 &+ Int($1) }))
    let metadata = Array("id=\(stream)-\(seq)".utf8)
    var body = [UInt8](repeating: 0, count: bodyBytes)
    body.withUnsafeMutableBytes { raw in
        for start in stride(from: 0, to: bodyBytes, by: 8) {
            withUnsafeBytes(of: random.next()) { word in
                raw.baseAddress!.advanced(by: start).copyMemory(from: word.baseAddress!, byteCount: min(8, bodyBytes - start))
            }
        }
    }
    return SpoolRecord(stream: stream, seq: seq, capturedAtMicros: capturedAt + seq, metadata: metadata, body: body)
}

/// Reads every unread record of `stream`, acknowledging each when `acknowledge` is true.
func drain(_ spool: Spool, _ stream: String, acknowledge: Bool = true) throws -> [(id: SpoolRecordID, record: SpoolRecord)] {
    var records: [(id: SpoolRecordID, record: SpoolRecord)] = []
    while let next = try spool.next(stream: stream) {
        records.append(next)
        if acknowledge { spool.acknowledge(next.id) }
    }
    return records
}

/// A configuration for tests: a long sync interval unless given, so that only explicit syncs and
/// the close write to disk.
func testConfiguration(
    _ directory: String, maxBytes: Int = 64 << 20, segmentBytes: Int? = 64 << 10, syncInterval: Duration = .seconds(3600),
    maxAge: Duration? = nil
) -> SpoolConfiguration {
    SpoolConfiguration(directory: directory, maxBytes: maxBytes, syncInterval: syncInterval, maxAge: maxAge, segmentBytes: segmentBytes)
}

/// The segment files under `directory`, every stream's, as `stream/name`.
func segmentFiles(_ directory: String, suffix: String = ".seg") -> [String] {
    let streams = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return streams.flatMap { stream in
        ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/" + stream)) ?? [])
            .filter { $0.hasSuffix(suffix) }.map { stream + "/" + $0 }
    }.sorted()
}

/// The total size of the segment files under `directory`.
func segmentBytesOnDisk(_ directory: String) -> Int {
    segmentFiles(directory).reduce(0) { total, file in
        total + ((try? FileManager.default.attributesOfItem(atPath: directory + "/" + file)[.size] as? Int) ?? 0)
    }
}
