import Foundation

/// One array of a NumPy `.npy` file (format versions 1–3): its element type, shape and raw little-endian
/// data, validated against the header before anything is trusted.
package struct NumpyArray {
    package enum ElementType: String, Sendable {
        case uint8 = "u1", int8 = "i1", uint16 = "u2", int16 = "i2", int32 = "i4", int64 = "i8", uint32 = "u4"
        case uint64 = "u8", float32 = "f4", float64 = "f8"

        var size: Int { Int(rawValue.dropFirst())! }
        var isFloat: Bool { self == .float32 || self == .float64 }
    }

    package let type: ElementType
    package let shape: [Int]
    /// The values, `shape.reduce(1, *) · type.size` bytes, little-endian, C order.
    let data: ArraySlice<UInt8>

    var count: Int { shape.reduce(1, *) }

    init(type: ElementType, shape: [Int], data: ArraySlice<UInt8>) {
        self.type = type
        self.shape = shape
        self.data = data
    }

    /// Parses `bytes` (a whole `.npy` file); `name` is used in error messages.
    package init(bytes: [UInt8], name: String) throws {
        let header = try Self.header(bytes, length: bytes.count, name: name)
        type = header.type
        shape = header.shape
        data = bytes[header.dataStart...]
    }

    /// Parses the header of a `.npy` file of `length` bytes from `bytes`, its beginning (all of the
    /// file, or at least `maximumHeaderSize` bytes of it), and checks the data's size against it.
    static func header(_ bytes: [UInt8], length: Int, name: String) throws -> (type: ElementType, shape: [Int], dataStart: Int) {
        func fail(_ problem: String) -> NumpyError { NumpyError(member: name, problem: problem) }
        guard bytes.count >= 10, bytes[0..<6].elementsEqual([0x93] + Array("NUMPY".utf8)) else {
            throw fail("not a NumPy .npy array (bad magic)")
        }
        let major = bytes[6]
        let (headerLength, headerStart): (Int, Int)
        switch major {
        case 1: (headerLength, headerStart) = (Int(bytes[8]) | Int(bytes[9]) << 8, 10)
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header") }
            (headerLength, headerStart) = ((0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }, 12)
        default: throw fail(".npy format version \(major) is not supported")
        }
        guard headerLength <= 65_536, headerStart + headerLength <= bytes.count,
              let header = String(validating: bytes[headerStart..<headerStart + headerLength], as: UTF8.self) else {
            throw fail("corrupt header")
        }
        // The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (60000, 28, 28), }
        func value(of key: String) -> Substring? {
            guard let keyRange = header.range(of: "'\(key)':") else { return nil }
            return header[keyRange.upperBound...].drop { $0 == " " }
        }
        guard let descr = value(of: "descr"), descr.hasPrefix("'"),
              let descrEnd = descr.dropFirst().firstIndex(of: "'") else { throw fail("header has no descr") }
        let typeCode = descr[descr.index(after: descr.startIndex)..<descrEnd]
        guard let order = typeCode.first, "<|=".contains(order), let type = ElementType(rawValue: String(typeCode.dropFirst())) else {
            throw fail("element type '\(typeCode)' is not supported (uint8, float32, float64 or little-endian integers)")
        }
        guard let fortran = value(of: "fortran_order"), fortran.hasPrefix("False") else {
            throw fail("Fortran-ordered arrays are not supported (save a C-ordered array)")
        }
        guard let shapeText = value(of: "shape"), shapeText.hasPrefix("("), let close = shapeText.firstIndex(of: ")") else {
            throw fail("header has no shape")
        }
        let parts = shapeText[shapeText.index(after: shapeText.startIndex)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let shape = parts.compactMap { Int($0) }
        guard shape.count == parts.count, shape.allSatisfy({ $0 >= 0 && $0 < 1 << 40 }) else { throw fail("bad shape (\(parts))") }
        let (count, overflow) = shape.reduce((1, false)) { result, dimension in
            let product = result.0.multipliedReportingOverflow(by: dimension)
            return (product.partialValue, result.1 || product.overflow)
        }
        let dataStart = headerStart + headerLength
        guard !overflow, dataStart <= length, count <= (length - dataStart) / type.size else {
            throw fail("truncated: the shape \(shape) needs \(count) values of \(type.size) bytes")
        }
        guard length - dataStart == count * type.size else {
            throw fail("\(length - dataStart - count * type.size) unexpected bytes after the data")
        }
        return (type, shape, dataStart)
    }

    /// The most bytes a header may take: the 12-byte preamble and a 64 KiB dictionary.
    static let maximumHeaderSize = 12 + 65_536

    /// The value at `index` as a Double (exact for every supported integer type below 2^53).
    @inline(__always)
    func value(at index: Int) -> Double {
        let start = data.startIndex + index * type.size
        var bits: UInt64 = 0
        for byte in 0..<type.size { bits |= UInt64(data[start + byte]) << (8 * byte) }
        switch type {
        case .uint8, .uint16, .uint32, .uint64: return Double(bits)
        case .int8: return Double(Int8(truncatingIfNeeded: bits))
        case .int16: return Double(Int16(truncatingIfNeeded: bits))
        case .int32: return Double(Int32(truncatingIfNeeded: bits))
        case .int64: return Double(Int64(bitPattern: bits))
        case .float32: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .float64: return Double(bitPattern: bits)
        }
    }
}

struct NumpyError: Error, CustomStringConvertible {
    let member: String
    let problem: String
    var description: String { "\(member): \(problem)" }
}
