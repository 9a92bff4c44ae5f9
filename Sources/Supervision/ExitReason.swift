/// Why a child (or a generation of children) ended.
public enum ExitReason: Sendable, Hashable, CustomStringConvertible {
    /// Returned normally.
    case normal
    /// Threw `CancellationError`; counts as normal.
    case cancelled
    /// Threw an error; the string is its description (which must hold no secret).
    case failure(String)

    /// Whether OTP would call this exit `normal`.
    public var isNormal: Bool {
        if case .failure = self { false } else { true }
    }

    /// A short human string for `last_exit`.
    public var description: String {
        switch self {
        case .normal: "normal"
        case .cancelled: "cancelled"
        case .failure(let reason): reason
        }
    }

    init(error: any Error) {
        if error is CancellationError {
            self = .cancelled
        } else {
            self = .failure(String(describing: error))
        }
    }
}
