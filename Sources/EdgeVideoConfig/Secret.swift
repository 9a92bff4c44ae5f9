/// A secret read from a file (an HTTP token or password): it prints, dumps and encodes as `***`,
/// so it cannot reach a log line, an error, the status or an encoded configuration by accident.
///
/// Thread-safety: an immutable value.
package struct Secret: Sendable, Equatable, Encodable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret's UTF-8 bytes; read only to compare or to send it (``matches(_:)``).
    package let bytes: [UInt8]

    /// A secret holding `text`.
    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    /// `***`.
    package var description: String { "***" }
    /// `***`.
    package var debugDescription: String { "***" }
    /// No children: `dump` and the debugger show nothing of it.
    package var customMirror: Mirror { Mirror(self, children: [:]) }

    /// Encodes as `***`.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode("***")
    }

    /// Compares in constant time too.
    package static func == (lhs: Secret, rhs: Secret) -> Bool { lhs.matches(rhs.bytes) }

    /// Whether `presented` is the secret, in time that depends only on `presented`'s length: every
    /// byte is compared, whatever the first difference, and the secret's own length is not
    /// revealed by when the loop ends.
    package func matches(_ presented: some Collection<UInt8>) -> Bool {
        Self.constantTimeEquals(presented, bytes)
    }

    /// `presented == expected`, comparing every byte of `presented` (against `expected` repeated)
    /// whatever the first difference.
    package static func constantTimeEquals(_ presented: some Collection<UInt8>, _ expected: [UInt8]) -> Bool {
        guard !expected.isEmpty else { return presented.isEmpty }
        var difference: UInt8 = presented.count == expected.count ? 0 : 1
        var index = 0
        for byte in presented {
            difference |= byte ^ expected[index % expected.count]
            index += 1
        }
        return difference == 0
    }
}
