import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// One open segment (or acknowledgement) file: owns its descriptor, which closes when the last
/// reference goes, so that a read or a sync that still holds the file can never touch a
/// descriptor number that was closed and reused meanwhile.
///
/// Thread-safety: `Sendable`; positional reads and writes need no shared offset. Writes to one
/// file are serialised by the spool's lock.
final class SegmentFile: Sendable {
    /// The open file, closed with this object.
    private let file: OwnedDescriptor
    let path: String

    /// The descriptor's number, for positional reads and writes.
    var descriptor: Int32 { file.rawValue }

    /// Opens (or, with `create`, creates with mode 0640) the file at `path`, read-write, or
    /// read-only when the file system refuses writing.
    init(path: String, create: Bool = false) throws(SpoolError) {
        self.path = path
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0)
        let writable = try? syscall("open", path) { open(path, flags, 0o640) }
        if let writable {
            file = OwnedDescriptor(adopting: writable)
        } else {
            guard !create else { throw SpoolError.system("create", path, errno: errno) }
            file = OwnedDescriptor(adopting: try syscall("open", path) { open(path, O_RDONLY | O_CLOEXEC) })
        }
    }

    /// The file's size and whether it still has a name (a vanished directory leaves an open file
    /// that accepts writes no one will ever read back).
    func status() throws(SpoolError) -> (size: Int, linked: Bool) {
        var info = stat()
        try syscall("fstat", path) { fstat(descriptor, &info) }
        return (Int(info.st_size), info.st_nlink > 0)
    }

    /// Writes all of `bytes` at `offset`, or throws (the caller cuts a partial write away with
    /// ``truncate(to:)``).
    func write(_ bytes: [UInt8], at offset: Int) throws(SpoolError) {
        var written = 0
        while written < bytes.count {
            written += try syscall("write", path) {
                bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + written, $0.count - written, off_t(offset + written)) }
            }
        }
    }

    /// Reads `count` bytes at `offset`; fewer only at the end of the file.
    func read(count: Int, at offset: Int) throws(SpoolError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withUnsafeMutableBytes { raw in Result { () throws(SpoolError) in try read(into: raw, at: offset) } }.get()
        bytes.removeLast(count - got)
        return bytes
    }

    /// Fills `buffer` from `offset`; returns how many bytes were read (fewer only at the end).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(SpoolError) -> Int {
        var got = 0
        while got < buffer.count {
            let count = try syscall("read", path) {
                pread(descriptor, buffer.baseAddress! + got, buffer.count - got, off_t(offset + got))
            }
            if count == 0 { break }
            got += count
        }
        return got
    }

    /// Cuts the file to `size` bytes.
    func truncate(to size: Int) throws(SpoolError) {
        try syscall("truncate", path) { ftruncate(descriptor, off_t(size)) }
    }

    /// `fdatasync(2)`: the file's data (and its size) on the disk.
    func sync() throws(SpoolError) {
        try syscall("fdatasync", path) { fdatasync(descriptor) }
    }
}
