/// What counts as a valid profile name, interface name and link pattern.
///
/// Each check returns the reason a name is refused (or nil), without the name itself, so that callers can
/// phrase it for a written value or for a default taken from the file name.
enum NameRules {
    /// `IFNAMSIZ` minus the terminating NUL: the kernel refuses longer interface names.
    static let maximumInterfaceNameLength = 15
    /// Profile and peer names appear in logs and metrics labels; keep them short.
    static let maximumProfileNameLength = 32

    /// Why `name` cannot be a profile or peer name: letters, digits and `_.-`, 1 to 32 characters.
    static func profileNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "must not be empty" }
        if let bad = firstCharacter(of: name, outside: "_.-") {
            return "has \(describe(bad)); a name may use letters, digits and _.-"
        }
        if name.utf8.count > maximumProfileNameLength {
            return "is longer than \(maximumProfileNameLength) characters"
        }
        return nil
    }

    /// Why `name` cannot be a Linux interface name: letters, digits and `_=+.-`, at most 15 bytes, not `.`/`..`.
    ///
    /// The kernel accepts more (anything but `/`, `:` and whitespace), but `ip` and shells make the rest painful.
    static func interfaceNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "must not be empty" }
        if let bad = firstCharacter(of: name, outside: "_=+.-") {
            return "has \(describe(bad)); an interface name may use letters, digits and _=+.-"
        }
        if name.utf8.count > maximumInterfaceNameLength {
            return "is longer than \(maximumInterfaceNameLength) characters, the Linux limit"
        }
        if name == "." || name == ".." { return "is not a usable interface name" }
        return nil
    }

    /// True when `pattern` holds glob characters and so names interfaces only when matched.
    static func isGlob(_ pattern: String) -> Bool {
        pattern.contains { "*?[]".contains($0) }
    }

    /// Why `pattern` cannot be a link glob: interface-name characters plus the `fnmatch` ones (`*?[]!^`).
    static func globProblem(_ pattern: String) -> String? {
        if pattern.isEmpty { return "must not be empty" }
        if let bad = firstCharacter(of: pattern, outside: "_=+.-*?[]!^") {
            return "has \(describe(bad)); a pattern may use interface-name characters and *?[]!^"
        }
        return nil
    }

    /// A refusal as a sentence: the quoted name followed by `problem`, or `problem` alone for an empty name.
    static func sentence(_ name: String, _ problem: String) -> String {
        name.isEmpty ? problem : "'\(name)' \(problem)"
    }

    private static func firstCharacter(of name: String, outside extra: String) -> Unicode.Scalar? {
        name.unicodeScalars.first { scalar in
            !(scalar.isASCII && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                || ("0"..."9").contains(scalar) || extra.unicodeScalars.contains(scalar)))
        }
    }

    /// Printable ASCII as `'c'`, anything else as `U+XXXX`, so tabs and odd spaces are visible in a message.
    private static func describe(_ scalar: Unicode.Scalar) -> String {
        if scalar.isASCII && scalar.value > 0x20 && scalar.value < 0x7F { return "'\(Character(scalar))'" }
        if scalar == " " { return "a space" }
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
