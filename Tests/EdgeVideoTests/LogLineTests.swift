import Foundation
import Logging
import Testing

@testable import EdgeVideo
@testable import EdgeVideoConfig

/// The log line formats, without a process: journald priorities, JSON, one event per line.
@Suite struct LogLineTests {
    let date = Date(timeIntervalSince1970: 1_796_035_032.345)

    @Test func journalLinesCarryTheirPriorityAndNoTimestamp() {
        let levels: [(Logger.Level, Int)] = [(.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2)]
        for (level, priority) in levels {
            let line = LogLine.render(
                level: level, label: "edge-video", message: "camera did not start", metadata: ["camera": "gate"],
                format: .text, journal: true, at: date)
            #expect(line == "<\(priority)>edge-video: camera did not start camera=gate\n")
        }
    }

    @Test func textLinesOutsideTheJournalStartWithAnRFC3339Time() {
        let line = LogLine.render(level: .warning, label: "x", message: "m", metadata: [:], format: .text, journal: false, at: date)
        #expect(line == "2026-11-30T10:37:12.345Z warning x: m\n")
    }

    @Test func newlinesNeverSplitAnEvent() {
        let line = LogLine.render(
            level: .error, label: "x", message: "two\nlines", metadata: ["error": "a\nb"], format: .text, journal: true, at: date)
        #expect(line == "<3>x: two\\nlines error=a\\nb\n")
        #expect(line.filter { $0 == "\n" }.count == 1)
    }

    @Test func jsonLinesAreOneObjectEachWithTheMetadata() throws {
        let metadata: Logger.Metadata = [
            "camera": "gate", "n": .stringConvertible(3), "msg": "clash", "list": ["a", "b"],
            "quote": "say \"hi\"\t\u{01}",
        ]
        let line = LogLine.render(
            level: .notice, label: "edge-video", message: "multi\nline", metadata: metadata, format: .json, journal: false, at: date)
        #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["ts"] as? String == "2026-11-30T10:37:12.345Z")
        #expect(object["level"] as? String == "notice" && object["logger"] as? String == "edge-video")
        #expect(object["msg"] as? String == "multi\nline" && object["meta.msg"] as? String == "clash")
        #expect(object["camera"] as? String == "gate" && object["n"] as? String == "3")
        #expect(object["list"] as? [String] == ["a", "b"] && object["quote"] as? String == "say \"hi\"\t\u{01}")
        let journal = LogLine.render(level: .error, label: "x", message: "m", metadata: [:], format: .json, journal: true, at: date)
        #expect(journal.hasPrefix("<3>{"))
    }

    @Test func journalStreamMustNameTheDescriptor() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        var info = stat()
        #expect(fstat(fds[1], &info) == 0)
        #expect(LogSettings.isJournal(descriptor: fds[1], environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"]))
        #expect(!LogSettings.isJournal(descriptor: fds[1], environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino + 1)"]))
        #expect(!LogSettings.isJournal(descriptor: fds[1], environment: ["JOURNAL_STREAM": "garbage"]))
        #expect(!LogSettings.isJournal(descriptor: fds[1], environment: [:]))
    }

    @Test func theLevelAndFormatFollowTheSettings() {
        let settings = LogSettings(journal: false, descriptor: -1)
        var logger = Logger(label: "t", factory: { LogLineHandler(label: $0, settings: settings) })
        #expect(logger.logLevel == .info)
        settings.apply(AppConfig.Logging(level: .debug, format: .json))
        #expect(logger.logLevel == .debug && settings.format == .json)
        logger.logLevel = .error
        settings.apply(AppConfig.Logging(level: .trace, format: .text))
        #expect(logger.logLevel == .error, "a logger's own level wins")
    }
}

/// The `STATUS=` line's arithmetic on sampled counters.
@Suite struct StatusLineTests {
    @Test func rateOverTenSecondsAndDropsOverAMinute() {
        var line = StatusLine()
        let cams = { (frames: Int, dropped: Int) in
            [StatusLine.Camera(running: true, frames: frames, dropped: dropped), .init(running: false, frames: 0, dropped: 0)]
        }
        #expect(line.record(at: 0, cameras: cams(0, 0)) == "1/2 cameras running, 0 frames/s, 0 dropped in the last minute")
        #expect(line.record(at: 5, cameras: cams(25, 1)) == "1/2 cameras running, 5 frames/s, 1 dropped in the last minute")
        #expect(line.record(at: 10, cameras: cams(420, 3)) == "1/2 cameras running, 42 frames/s, 3 dropped in the last minute")
        #expect(line.record(at: 15, cameras: cams(428, 3)) == "1/2 cameras running, 40 frames/s, 3 dropped in the last minute")
        var t = 15.0
        while t < 75 { t += 5; _ = line.record(at: t, cameras: cams(428, 3)) }
        #expect(line.record(at: 80, cameras: cams(441, 3)) == "1/2 cameras running, 1.3 frames/s, 0 dropped in the last minute")
        // A removed camera takes its counts along: the windows restart, nothing goes negative.
        #expect(line.record(at: 85, cameras: [.init(running: true, frames: 0, dropped: 0)])
            == "1/1 cameras running, 0 frames/s, 0 dropped in the last minute")
    }
}
