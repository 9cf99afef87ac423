import Glibc

/// Shell-style patterns for `links:` entries such as `wwan*`.
public enum Glob {
    /// True when `name` matches `pattern`. The corresponding C function is `fnmatch`.
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        fnmatch(pattern, name, 0) == 0
    }
}
