import Glibc

/// Names and indexes of network interfaces, as the kernel numbers them.
public enum NetworkInterfaces {
    /// The name of the interface numbered `index`, or nil when there is none (any more).
    /// The corresponding C function is `if_indextoname`.
    public static func name(ofIndex index: Int32) -> String? {
        guard index > 0 else { return nil }
        var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE))
        guard (try? Syscall.run("if_indextoname", pointer: { if_indextoname(UInt32(index), &name) })) != nil else {
            return nil
        }
        return String(cString: name)
    }
}
