import MLinkYAML

/// Reads profiles: the only way `check`, `up` and the lab obtain a `Profile`.
///
/// Loading is two passes, YAML text to a tree with positions (`YAMLReader`), then tree to model
/// (`ProfileValidator`), so every complaint can name the line, column and key to fix.
public enum ProfileLoader {
    /// Where `mlink up NAME` looks when `MLINK_CONFIG_DIR` is not set.
    public static let defaultConfigDirectory = "/etc/mlink"

    /// Larger files are refused unread: a profile is a few hundred bytes, and the parser should not be an easy
    /// way to exhaust memory.
    static let maximumFileSize = 1 << 20

    /// Loads and validates the profile at `path`; `interface.name` defaults to the file's base name without
    /// `.yaml`, and `private-key-file` is relative to the profile's folder.
    ///
    /// - Throws: `ProfileError`, also when the file cannot be read (line and column 0).
    public static func load(path: String) throws -> Profile {
        let bytes: [UInt8]
        switch ProfileFile.read(path: path, limit: maximumFileSize) {
        case .success(let contents): bytes = contents
        case .failure(let error):
            throw ProfileError(file: path, line: 0, column: 0, key: "file", problem: "cannot read: \(error)")
        }
        return try parse(bytes: bytes, path: path, directory: directory(of: path))
    }

    /// Validates profile text without reading the profile itself from disk, so tests and tools can feed text.
    ///
    /// `path` labels errors, gives the default interface name and is checked for group/other access when the
    /// key is inline; `directory` resolves a relative `private-key-file`.
    ///
    /// - Throws: `ProfileError`.
    public static func parse(text: String, path: String, directory: String) throws -> Profile {
        try parse(bytes: Array(text.utf8), path: path, directory: directory)
    }

    static func parse(bytes: [UInt8], path: String, directory: String) throws -> Profile {
        let root = try YAMLReader.readDocument(bytes: bytes, file: path)
        let validator = ProfileValidator(file: path, directory: directory,
                                         defaultInterfaceName: defaultInterfaceName(forPath: path))
        return try validator.validate(root)
    }

    /// The profile path that `mlink up ARGUMENT` means, so that every subcommand resolves names the same way.
    ///
    /// An argument containing `/` or ending in `.yaml` is a path and is used as given; anything else is a
    /// profile name looked up as `DIR/NAME.yaml`, where DIR is `MLINK_CONFIG_DIR` when set and not empty, else
    /// `/etc/mlink`.
    public static func resolve(argument: String, environment: [String: String]) -> String {
        if argument.contains("/") || argument.hasSuffix(".yaml") { return argument }
        var directory = environment["MLINK_CONFIG_DIR"] ?? ""
        if directory.isEmpty { directory = defaultConfigDirectory }
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        return directory == "/" ? "/\(argument).yaml" : "\(directory)/\(argument).yaml"
    }

    /// The file's base name without `.yaml`: the interface name used when the profile does not set one.
    static func defaultInterfaceName(forPath path: String) -> String {
        var base = path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
        if base.hasSuffix(".yaml") && base.count > ".yaml".count { base.removeLast(".yaml".count) }
        return base
    }

    /// The folder holding `path`, `.` for a bare file name.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }
}
