#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads and parses the small files of `/proc`, in one way for every module.
///
/// `stat` calls a `/proc` file empty, so it is read until end of file rather than for its size.
package enum ProcFile {
    /// The whole of the file at `path`, read until end of file; `nil` when it cannot be opened.
    /// A read that fails part way ends the text there.
    package static func read(_ path: String) -> String? {
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { return nil }
        let file = OwnedDescriptor(adopting: opened)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = try? syscall("read \(path)") { chunk.withUnsafeMutableBytes { Glibc.read(file.rawValue, $0.baseAddress, $0.count) } }
            guard let count, count > 0 else { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `bytes` in one `write` to the file at `path` (`/proc/thread-self/comm`); `false` when
    /// the file cannot be opened or the write fails.
    @discardableResult
    package static func write(_ bytes: [UInt8], to path: String) -> Bool {
        let opened = open(path, O_WRONLY)
        guard opened >= 0 else { return false }
        let file = OwnedDescriptor(adopting: opened)
        return bytes.withUnsafeBytes { Glibc.write(file.rawValue, $0.baseAddress, $0.count) } >= 0
    }

    /// The value of `key` in text of `/proc/PID/status` lines (`Threads:\t5`), without the blanks
    /// around it; `nil` when no line starts with `key:`.
    package static func value(of key: String, inStatus text: String) -> Substring? {
        let prefix = key + ":"
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        var value = line.dropFirst(prefix.count)
        while let first = value.first, isBlank(first) { value.removeFirst() }
        while let last = value.last, isBlank(last) { value.removeLast() }
        return value
    }

    /// Field `number` of `/proc/PID/stat` text, counted from 1 as proc(5) counts (22 is the start
    /// time); fields 1 and 2 (pid and command) are not offered. `nil` when the text is shorter.
    ///
    /// Field 2, the command name in parentheses, may itself hold spaces and parentheses, so the
    /// fields are counted from its last `)`.
    package static func statField(_ number: Int, inStat text: String) -> Substring? {
        precondition(number >= 3, "fields 1 and 2 of /proc/PID/stat are not offered")
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state).
        return fields.count > number - 3 ? fields[number - 3] : nil
    }
}
