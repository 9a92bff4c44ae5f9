import Foundation

/// Files of the repository, found from this source file's location (`Tests/TestSupport/`).
public enum RepositoryFiles {
    /// The absolute path of `relative`, a path from the repository's root.
    public static func path(_ relative: String) -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(relative).path
    }
}
