/// Errors thrown by a ``Supervisor``.
public struct SupervisorError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of error, opaque so new cases don't break the API.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum _Code: Hashable, Sendable {
            case intensityExceeded
            case duplicateChildID
            case childNotFound
            case alreadyRunning
            case notRunning
            case invalidScope
        }

        private let code: _Code

        private init(_ code: _Code) {
            self.code = code
        }

        /// A string representation of the code.
        public var description: String {
            switch self.code {
            case .intensityExceeded: "restart intensity exceeded"
            case .duplicateChildID: "duplicate child id"
            case .childNotFound: "no such child"
            case .alreadyRunning: "supervisor already running"
            case .notRunning: "supervisor not running"
            case .invalidScope: "generation scope misused"
            }
        }

        /// More restarts than `intensity` in `period`: the supervisor stopped its children and gave up.
        public static let intensityExceeded = Code(.intensityExceeded)
        /// A child with this id already exists.
        public static let duplicateChildID = Code(.duplicateChildID)
        /// No child with this id.
        public static let childNotFound = Code(.childNotFound)
        /// `run()` was called while the supervisor was already running.
        public static let alreadyRunning = Code(.alreadyRunning)
        /// The supervisor ended before it could handle the request.
        public static let notRunning = Code(.notRunning)
        /// A generation scope returned without starting its children, or started them twice.
        public static let invalidScope = Code(.invalidScope)
    }

    /// The error code.
    public let code: Code
    /// The supervisor's path, e.g. `root/camera:cam-1`.
    public let path: String
    /// Details, e.g. the last exit reason that used up the intensity.
    public let message: String

    /// Creates an error.
    public init(code: Code, path: String, message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    /// `"<path>: <code>: <message>"`.
    public var description: String {
        "\(path): \(code): \(message)"
    }
}
