import CTandemCrypto

/// SHA-256 (FIPS 180-4), for the fingerprint of a parameter buffer: `parameters sha256: <hex>`
/// lets users and tests compare runs bit for bit. The hashing is the system's libcrypto (OpenSSL's
/// EVP interface, with its SHA-NI/AVX2 code paths); this is a thin value-semantics wrapper.
package struct SHA256 {
    /// Owns one EVP_MD_CTX; copied on write, so a copied hasher goes on independently.
    private final class Context {
        let pointer: OpaquePointer

        init() {
            guard let pointer = EVP_MD_CTX_new() else { fatalError("SHA256: EVP_MD_CTX_new failed (out of memory)") }
            self.pointer = pointer
            guard EVP_DigestInit_ex(pointer, EVP_sha256(), nil) == 1 else { fatalError("SHA256: EVP_DigestInit_ex failed") }
        }

        init(copying other: Context) {
            guard let pointer = EVP_MD_CTX_new() else { fatalError("SHA256: EVP_MD_CTX_new failed (out of memory)") }
            self.pointer = pointer
            guard EVP_MD_CTX_copy_ex(pointer, other.pointer) == 1 else { fatalError("SHA256: EVP_MD_CTX_copy_ex failed") }
        }

        deinit { EVP_MD_CTX_free(pointer) }
    }

    private var context = Context()
    private var finished = false

    package init() {}

    private mutating func uniqueContext() -> OpaquePointer {
        if !isKnownUniquelyReferenced(&context) { context = Context(copying: context) }
        return context.pointer
    }

    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finished, "SHA256: update after finalize")
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let pointer = uniqueContext()
        guard EVP_DigestUpdate(pointer, base, bytes.count) == 1 else { fatalError("SHA256: EVP_DigestUpdate failed") }
    }

    package mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The 32-byte digest. A hasher is finished afterwards (as before: call it once).
    package mutating func finalize() -> [UInt8] {
        precondition(!finished, "SHA256: finalize called twice")
        let pointer = uniqueContext()
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let status = digest.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(pointer, $0.baseAddress, &length) }
        guard status == 1, length == 32 else { fatalError("SHA256: EVP_DigestFinal_ex failed") }
        finished = true
        return digest
    }

    package static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(2 * digest.count)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The hex digest of a float buffer's little-endian bytes.
    package static func hexDigest(of values: UnsafeBufferPointer<Float>) -> String {
        var hasher = SHA256()
        #if _endian(little)
        hasher.update(UnsafeRawBufferPointer(values))
        #else
        // Spelled out so the digest is the same on a big-endian machine.
        var bytes = [UInt8](repeating: 0, count: 4096)
        var index = 0
        while index < values.count {
            let chunk = min(1024, values.count - index)
            for offset in 0..<chunk {
                withUnsafeBytes(of: values[index + offset].bitPattern.littleEndian) { raw in
                    for byte in 0..<4 { bytes[4 * offset + byte] = raw[byte] }
                }
            }
            bytes.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<4 * chunk])) }
            index += chunk
        }
        #endif
        return hex(hasher.finalize())
    }
}
