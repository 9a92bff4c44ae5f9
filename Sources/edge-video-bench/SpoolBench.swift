import ArgumentParser
import Durations
import Foundation
import Spool

/// `edge-video-bench spool-append`: appends 5 KB records for a few seconds with the default sync
/// interval and prints one JSON line (`appends_per_s`, `mb_per_s`, `record_bytes`, `count`).
struct SpoolAppendBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool-append", abstract: "Append 5 KB records to a spool for N seconds; print appends/s and MB/s.")

    @Option(help: "Spool directory (emptied first).") var directory = "bench/out/spool-append"
    @Option(help: "Seconds of appending.") var seconds = 5.0
    @Option(help: "Body bytes per record.") var size = 5000
    @Option(help: "Streams, appended round-robin.") var streams = 1
    @Option(help: "Budget in bytes (the oldest segments are evicted beyond it).") var maxBytes = 1 << 30
    @Option(help: "fdatasync interval in milliseconds (0: every append).") var syncMs = 1000

    func run() async throws {
        try? FileManager.default.removeItem(atPath: directory)
        let configuration = SpoolConfiguration(directory: directory, maxBytes: maxBytes, syncInterval: .milliseconds(syncMs))
        let body = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let names = (0..<streams).map { "cam-\($0 + 1)" }
        let duration = Duration(secondsSaturating: seconds)
        let (count, elapsed, recordBytes) = try await Spool.withSpool(configuration, onDiscard: { _, _, _ in }) { spool in
            // Blocking appends on this task's thread: the bench has nothing else to run.
            let clock = ContinuousClock()
            let start = clock.now
            var count = 0
            var recordBytes = 0
            while clock.now - start < duration {
                for _ in 0..<100 {
                    let record = SpoolRecord(
                        stream: names[count % names.count], seq: Int64(count), capturedAtMicros: wallClockMicros(),
                        metadata: Array("bench-\(count)|route|\(size)".utf8), body: body)
                    recordBytes += 40 + record.metadata.count + record.body.count
                    try spool.append(record, unread: true)
                    count += 1
                }
            }
            return (count, start.duration(to: clock.now), recordBytes / count)
        }
        let rate = Double(count) / elapsed.seconds
        print(
            "{\"bench\":\"spool-append\",\"seconds\":\(round3(elapsed.seconds)),\"count\":\(count),\"record_bytes\":\(recordBytes),"
                + "\"streams\":\(streams),\"sync_ms\":\(syncMs),\"appends_per_s\":\(round3(rate)),"
                + "\"mb_per_s\":\(round3(rate * Double(recordBytes) / 1e6))}")
    }
}

/// `edge-video-bench spool-recover`: builds a spool of a given size from 5 KB records (unless
/// `--reuse`), optionally drops the page cache, then times opening it: from the index files of
/// sealed segments, or with `--scan` by scanning every header.
struct SpoolRecoverBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool-recover", abstract: "Build a spool of N bytes of 5 KB records, then time its recovery scan.")

    @Option(help: "Spool directory.") var directory = "bench/out/spool-recover"
    @Option(help: "Bytes of records to build.") var bytes = 1 << 30
    @Option(help: "Body bytes per record.") var size = 5000
    @Option(help: "Streams, appended round-robin.") var streams = 8
    @Flag(help: "Time the spool already in the directory instead of building one.") var reuse = false
    @Flag(name: .customLong("drop-caches"), help: "Write 3 to /proc/sys/vm/drop_caches before opening (root).") var dropCaches = false
    @Flag(help: "Remove the index files first, so that every segment is scanned header by header.") var scan = false

    func run() async throws {
        let budget = bytes + bytes / 8
        let configuration = SpoolConfiguration(directory: directory, maxBytes: budget)
        if !reuse {
            try? FileManager.default.removeItem(atPath: directory)
            let body = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let names = (0..<streams).map { "cam-\($0 + 1)" }
            try await Spool.withSpool(configuration, onDiscard: { _, _, _ in }) { spool in
                var written = 0
                var seq: Int64 = 0
                while written < bytes {
                    let record = SpoolRecord(
                        stream: names[Int(seq) % names.count], seq: seq, capturedAtMicros: wallClockMicros(),
                        metadata: Array("bench-\(seq)".utf8), body: body)
                    try spool.append(record, unread: true)
                    written += 40 + record.metadata.count + size
                    seq += 1
                }
            }
        }
        if scan {
            for stream in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                for file in (try? FileManager.default.contentsOfDirectory(atPath: directory + "/" + stream)) ?? [] where file.hasSuffix(".idx") {
                    try FileManager.default.removeItem(atPath: directory + "/" + stream + "/" + file)
                }
            }
        }
        if dropCaches {
            sync()
            try "3\n".write(toFile: "/proc/sys/vm/drop_caches", atomically: false, encoding: .utf8)
        }
        let clock = ContinuousClock()
        let start = clock.now
        let (opened, usage, records) = try await Spool.withSpool(configuration, onDiscard: { _, _, _ in }) { spool in
            (start.duration(to: clock.now), spool.usage, spool.recovered.values.reduce(0, +))
        }
        print(
            "{\"bench\":\"spool-recover\",\"bytes\":\(usage.bytes),\"records\":\(records),\"segments\":\(usage.segments),"
                + "\"streams\":\(streams),\"cold\":\(dropCaches),\"scan\":\(scan),\"open_s\":\(round3(opened.seconds))}")
    }
}

private func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
