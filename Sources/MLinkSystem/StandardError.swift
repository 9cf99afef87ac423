import Glibc

/// The process's standard error (descriptor 2): log lines and diagnostics.
public enum StandardError {
    /// Writes all of `text` at once, unbuffered, so lines from several threads or a crash right after are not
    /// lost or cut; a closed or full stderr drops the text rather than failing the caller. The corresponding C
    /// function is `write(2, ...)`.
    public static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let rest = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[offset...])
                let outcome = try? Syscall.retrying("write") { Glibc.write(STDERR_FILENO, rest.baseAddress, rest.count) }
                guard case .processed(let written)? = outcome, written > 0 else { return }
                offset += written
            }
        }
    }
}
