#if canImport(Glibc)
import Glibc
#endif

/// Writes whole lines to standard error (unbuffered, so they survive an abort that follows).
package enum StandardError {
    package static func write(_ line: String) {
        var text = line
        if !text.hasSuffix("\n") { text += "\n" }
        text.utf8CString.withUnsafeBufferPointer { bytes in
            _ = Glibc.write(2, bytes.baseAddress, bytes.count - 1)
        }
    }
}

/// Writes whole lines to standard output in one system call each, so lines from several ranks
/// never interleave mid-line.
package enum StandardOutput {
    package static func write(_ line: String) {
        fflush(nil)
        var text = line
        if !text.hasSuffix("\n") { text += "\n" }
        text.utf8CString.withUnsafeBufferPointer { bytes in
            _ = Glibc.write(1, bytes.baseAddress, bytes.count - 1)
        }
    }
}
