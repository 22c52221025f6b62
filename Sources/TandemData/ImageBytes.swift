import Foundation

/// Read-only image bytes: mapped from an uncompressed file where the images lie in it as they are
/// (a plain IDX file, a `.npz` member stored without compression), otherwise held in memory.
///
/// A mapping is shared: the ranks of one host that map the same file read one copy of it in the page
/// cache, instead of each holding a private copy (CIFAR-10's 50,000 × 32 × 32 × 3 training images are
/// 154 MB, once per host rather than once per rank). Pages are read in as samples use them.
package final class ImageBytes: RandomAccessCollection, @unchecked Sendable {
    package let baseAddress: UnsafePointer<UInt8>
    package let count: Int
    /// Whether the bytes are a mapping of the file (shared) rather than a private copy.
    package let isMapped: Bool
    /// What to unmap or free: the mapping starts at a page boundary, before `baseAddress`.
    private let region: UnsafeMutableRawPointer?
    private let regionLength: Int

    /// A private copy of `bytes`.
    package init<Bytes: Collection>(copying bytes: Bytes) where Bytes.Element == UInt8 {
        let storage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Swift.max(bytes.count, 1))
        _ = storage.initialize(from: bytes)
        baseAddress = UnsafePointer(storage.baseAddress!)
        count = bytes.count
        isMapped = false
        region = UnsafeMutableRawPointer(storage.baseAddress!)
        regionLength = 0
    }

    /// Maps `count` bytes of the file at `path` from `offset` on, read-only and shared; `nil` if the file
    /// cannot be mapped (the caller then reads it).
    package init?(mapping path: String, offset: Int, count: Int) {
        guard count > 0, offset >= 0 else { return nil }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = offset / page * page
        let length = offset - start + count
        guard let mapping = mmap(nil, length, PROT_READ, MAP_SHARED, descriptor, off_t(start)), mapping != MAP_FAILED else {
            return nil
        }
        baseAddress = UnsafePointer(mapping.assumingMemoryBound(to: UInt8.self) + (offset - start))
        self.count = count
        isMapped = true
        region = mapping
        regionLength = length
    }

    deinit {
        if isMapped {
            munmap(region, regionLength)
        } else {
            region?.deallocate()
        }
    }

    package var startIndex: Int { 0 }
    package var endIndex: Int { count }
    package subscript(position: Int) -> UInt8 {
        precondition(position >= 0 && position < count, "index out of range")
        return baseAddress[position]
    }
}
