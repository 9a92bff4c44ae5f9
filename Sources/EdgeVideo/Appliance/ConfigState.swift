import EdgeVideoConfig
import Locking

/// The configuration in force, its generation and the last rejected reload, readable from any
/// thread (the status writer) while the reload loop replaces it.
package final class ConfigState: Sendable {
    /// One consistent reading.
    package struct Value: Sendable {
        /// The configuration in force.
        package var config: AppConfig
        /// 1 at start, +1 per applied change.
        package var generation: Int
        /// Why the last reload was rejected, `nil` after a good one.
        package var lastError: String?
    }

    /// The configuration file path, as given.
    package let path: String
    private let value: Locked<Value>

    /// Starts at generation 1 with `config`.
    package init(path: String, config: AppConfig) {
        self.path = path
        value = Locked(Value(config: config, generation: 1, lastError: nil))
    }

    /// The current reading.
    package var current: Value { value.withLock { $0 } }

    /// Records a rejected reload; the configuration in force stays.
    func reject(_ error: String) {
        value.withLock { $0.lastError = error }
    }

    /// Installs an applied configuration: the generation advances if anything changed.
    func commit(_ config: AppConfig) {
        value.withLock { value in
            if value.config != config { value.generation += 1 }
            value.config = config
            value.lastError = nil
        }
    }
}
