import Foundation

@testable import EdgeVideo
@testable import EdgeVideoConfig

extension AppConfig {
    /// The problems `AppConfig.decode` reports for `document` (empty when it decodes), read with no
    /// files and no credentials around.
    static func issues(decoding document: [String: Any]) throws -> [String] {
        let data = try JSONSerialization.data(withJSONObject: document)
        do {
            _ = try decode(data, directory: "/nonexistent", environment: [:])
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }
}
