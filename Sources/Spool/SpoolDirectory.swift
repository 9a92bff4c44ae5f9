import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// The spool's file names and the few directory operations it needs: `<directory>/<stream>/`
/// holds `<number>.seg` (16 hex digits), `<number>.ack` and `<number>.idx`.
struct SpoolDirectory: Sendable {
    let path: String

    func streamPath(_ stream: String) -> String { path + "/" + stream }
    func segmentPath(_ stream: String, _ number: UInt64) -> String { streamPath(stream) + "/" + Self.name(number) + ".seg" }
    func ackPath(_ stream: String, _ number: UInt64) -> String { streamPath(stream) + "/" + Self.name(number) + ".ack" }
    func indexPath(_ stream: String, _ number: UInt64) -> String { streamPath(stream) + "/" + Self.name(number) + ".idx" }

    /// `number` as 16 hex digits, so names sort as numbers do.
    static func name(_ number: UInt64) -> String {
        let hex = String(number, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }

    /// The number of a file named `<16 hex digits><suffix>`.
    static func number(_ name: String, suffix: String) -> UInt64? {
        guard name.hasSuffix(suffix), name.utf8.count == 16 + suffix.utf8.count else { return nil }
        return UInt64(name.dropLast(suffix.count), radix: 16)
    }

    /// Creates `path` and its missing parents with mode 0750.
    static func create(_ path: String) throws(SpoolError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o750) == -1, errno != EEXIST {
                throw SpoolError.system("mkdir", prefix, errno: errno)
            }
        }
        var info = stat()
        try syscall("stat", path) { stat(path, &info) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw SpoolError(.unavailable, "\(path) is not a directory") }
    }

    /// The names in directory `path` (without `.` and `..`), or `nil` if it cannot be listed.
    static func list(_ path: String) -> [String]? {
        guard let handle = opendir(path) else { return nil }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// `fsync` of directory `path`, so that names created or removed in it survive a power cut.
    static func sync(_ path: String) throws(SpoolError) {
        let directory = OwnedDescriptor(adopting: try syscall("open", path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) })
        try syscall("fsync", path) { fsync(directory.rawValue) }
    }
}
