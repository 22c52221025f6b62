import CTandemZlib
import Foundation
import TandemCore
import TandemData

/// Everything needed to evaluate a model or to resume its training exactly: the flat parameter
/// buffer, the optimiser's two state buffers and step count, and the run's identity (model, seed, batch, recipe).
///
/// File format (little-endian; documented in Docs/file-formats.md):
///
///     offset  size  field
///          0     8  magic "TANDEMCK"
///          8     4  format version (4; versions 1, whose model description was a compact
///                   `input(28,28,1) conv2d(64,3,same,relu) …`, 2 and 3 are still read)
///         12     4  header length H in bytes (where the arrays start)
///         16     8  parameter count P
///         24     8  completed epochs
///         32     8  optimizer steps taken (Keras's iterations)
///         40     8  seed
///         48     8  global batch size
///         56     8  training samples per epoch
///         64     8  learning rate (float64; repeated in the recipe)
///         72    12  Adam beta1, beta2, epsilon (float32 each; repeated in the recipe)
///         84     4  model description length D
///         88     D  model description: Keras JSON (`model.to_json()`), UTF-8
///       88+D     4  recipe length R (version 2)
///       92+D     R  recipe: optimiser and learning-rate schedule, JSON (`Recipe`), UTF-8 (version 2)
///     92+D+R     8  micro-batch size m (version 3; earlier versions summed per sample: m = 1)
///    100+D+R     4  data description length L (version 4)
///    104+D+R     L  data description: class names and picture decoding, JSON (`DataDescription`), UTF-8
///          H   4·P  parameters (float32), batch-norm's moving statistics included
///      H+4P    4·P  optimiser state: Adam's first moment, or SGD's velocity
///      H+8P    4·P  optimiser state: Adam's second moment (zeros for SGD)
///     H+12P      4  CRC-32 (zlib) of all preceding bytes
package struct Checkpoint {
    package static let magic = Array("TANDEMCK".utf8)
    package static let version: UInt32 = 4
    package static let fileExtension = "ckpt"

    /// The model as Keras JSON (`ModelDescription.json`).
    package var modelDescription: String
    package var completedEpochs: Int
    package var optimizerStep: Int
    package var seed: UInt64
    package var globalBatchSize: Int
    /// `m`: the samples of each canonical micro-batch whose gradient was rounded to fixed point once.
    package var microBatchSize: Int
    package var trainingSamples: Int
    package var recipe: Recipe
    /// Class names and how pictures were read (version 4; empty before).
    package var data: DataDescription
    package var parameters: [Float]
    package var firstMoment: [Float]
    package var secondMoment: [Float]

    package init(modelDescription: String, completedEpochs: Int, optimizerStep: Int, seed: UInt64,
                 globalBatchSize: Int, microBatchSize: Int, trainingSamples: Int, recipe: Recipe, data: DataDescription = DataDescription(),
                 parameters: [Float], firstMoment: [Float], secondMoment: [Float]) {
        self.data = data
        self.modelDescription = modelDescription
        self.completedEpochs = completedEpochs
        self.optimizerStep = optimizerStep
        self.seed = seed
        self.globalBatchSize = globalBatchSize
        self.microBatchSize = microBatchSize
        self.trainingSamples = trainingSamples
        self.recipe = recipe
        self.parameters = parameters
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
    }

    /// `tandem-epoch-007.ckpt`: the checkpoint written after a whole epoch (see `CheckpointDirectory`).
    package static func fileName(epoch: Int) -> String {
        CheckpointDirectory.fileName(.init(epochs: epoch, steps: 0))
    }

    // MARK: Encoding

    /// A value stored as JSON (the recipe, the data description): compact, keys sorted.
    static func encode<Value: Encodable>(_ value: Value) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    package func encoded() -> [UInt8] {
        precondition(firstMoment.count == parameters.count && secondMoment.count == parameters.count,
                     "a checkpoint read without its optimiser state cannot be written back")
        let description = Array(modelDescription.utf8)
        let recipeText = Array(Self.encode(recipe).utf8)
        let dataText = Array(Self.encode(data).utf8)
        let headerLength = 104 + description.count + recipeText.count + dataText.count
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerLength + 12 * parameters.count + 4)
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        func append(_ values: [Float]) {
            for value in values { append(value.bitPattern) }
        }
        bytes.append(contentsOf: Self.magic)
        append(Self.version)
        append(UInt32(headerLength))
        append(UInt64(parameters.count))
        append(UInt64(completedEpochs))
        append(UInt64(optimizerStep))
        append(seed)
        append(UInt64(globalBatchSize))
        append(UInt64(trainingSamples))
        append(Double(recipe.learningRate).bitPattern)
        append(recipe.optimizer.beta1.bitPattern)
        append(recipe.optimizer.beta2.bitPattern)
        append(recipe.optimizer.epsilon.bitPattern)
        append(UInt32(description.count))
        bytes.append(contentsOf: description)
        append(UInt32(recipeText.count))
        bytes.append(contentsOf: recipeText)
        append(UInt64(microBatchSize))
        append(UInt32(dataText.count))
        bytes.append(contentsOf: dataText)
        append(parameters)
        append(firstMoment)
        append(secondMoment)
        append(UInt32(bytes.withUnsafeBufferPointer { crc32_z(0, $0.baseAddress, $0.count) }))
        return bytes
    }

    /// Decodes and validates a checkpoint; `path` is only used in error messages. Without
    /// `optimizerState` the two moment arrays (twice the weights) stay empty: enough to evaluate,
    /// predict or export, not to resume. The whole file is checked either way.
    package init(decoding bytes: [UInt8], path: String, optimizerState: Bool = true) throws {
        func fail(_ problem: String) -> InputFileError { InputFileError(path: path, problem: problem) }
        guard bytes.count >= 92 else { throw fail("too short to be a Tandem checkpoint (\(bytes.count) bytes)") }
        guard Array(bytes[0..<8]) == Self.magic else { throw fail("not a Tandem checkpoint (bad magic number)") }
        func integer<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
            var value: T = 0
            withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes[offset..<offset + MemoryLayout<T>.size]) }
            return T(littleEndian: value)
        }
        let version = integer(8, as: UInt32.self)
        guard (1...Self.version).contains(version) else {
            throw fail("checkpoint format version \(version); this tandem reads versions 1 to \(Self.version)")
        }
        let headerLength = Int(integer(12, as: UInt32.self))
        let count = integer(16, as: UInt64.self)
        let descriptionLength = Int(integer(84, as: UInt32.self))
        var recipeLength = 0
        if version >= 2 {
            guard 92 + descriptionLength <= bytes.count else { throw fail("corrupt header") }
            recipeLength = Int(integer(88 + descriptionLength, as: UInt32.self))
        }
        var dataLength = 0
        if version >= 4 {
            let lengthOffset = 100 + descriptionLength + recipeLength
            guard lengthOffset + 4 <= bytes.count else { throw fail("corrupt header") }
            dataLength = Int(integer(lengthOffset, as: UInt32.self))
        }
        guard headerLength == 88 + descriptionLength + (version >= 2 ? 4 + recipeLength : 0) + (version >= 3 ? 8 : 0)
                + (version >= 4 ? 4 + dataLength : 0),
              count < 1 << 32 else {
            throw fail("corrupt header")
        }
        let expected = headerLength + 12 * Int(count) + 4
        guard bytes.count == expected else {
            throw fail(bytes.count < expected ? "truncated: \(bytes.count) of \(expected) bytes" : "\(bytes.count - expected) unexpected trailing bytes")
        }
        let stored = integer(expected - 4, as: UInt32.self)
        let computed = bytes.withUnsafeBufferPointer { UInt32(crc32_z(0, $0.baseAddress, expected - 4)) }
        guard stored == computed else { throw fail("checksum mismatch: the file is corrupt") }
        guard let description = String(validating: bytes[88..<88 + descriptionLength], as: UTF8.self) else {
            throw fail("model description is not UTF-8")
        }
        func floats(_ index: Int) -> [Float] {
            let start = headerLength + index * 4 * Int(count)
            return (0..<Int(count)).map { Float(bitPattern: integer(start + 4 * $0, as: UInt32.self)) }
        }
        do {
            modelDescription = version == 1 ? try ModelDescription(compact: description).json : description
        } catch {
            throw fail("\(error)")
        }
        completedEpochs = Int(integer(24, as: UInt64.self))
        optimizerStep = Int(integer(32, as: UInt64.self))
        seed = integer(40, as: UInt64.self)
        globalBatchSize = Int(integer(48, as: UInt64.self))
        trainingSamples = Int(integer(56, as: UInt64.self))
        if version >= 2 {
            do {
                recipe = try Recipe.decoded(from: Data(bytes[92 + descriptionLength..<92 + descriptionLength + recipeLength]))
            } catch {
                throw fail("its recipe is not valid JSON of a Tandem recipe")
            }
        } else {
            // Version 1 stored Adam's rate and constants only; the rest of its recipe was the default.
            var recipe = Recipe()
            recipe.learningRate = Float(Double(bitPattern: integer(64, as: UInt64.self)))
            recipe.optimizer.beta1 = Float(bitPattern: integer(72, as: UInt32.self))
            recipe.optimizer.beta2 = Float(bitPattern: integer(76, as: UInt32.self))
            recipe.optimizer.epsilon = Float(bitPattern: integer(80, as: UInt32.self))
            self.recipe = recipe
        }
        let microBatchOffset = 92 + descriptionLength + recipeLength
        microBatchSize = version >= 3 ? Int(integer(microBatchOffset, as: UInt64.self)) : 1
        if version >= 4 {
            do {
                let start = microBatchOffset + 12
                data = try JSONDecoder().decode(DataDescription.self, from: Data(bytes[start..<start + dataLength]))
            } catch {
                throw fail("its data description is not valid JSON of a Tandem data description")
            }
        } else {
            data = DataDescription()
        }
        guard (1...(1 << 30)).contains(microBatchSize) else { throw fail("corrupt header: micro-batch size \(microBatchSize)") }
        parameters = floats(0)
        firstMoment = optimizerState ? floats(1) : []
        secondMoment = optimizerState ? floats(2) : []
    }

    // MARK: Files

    /// Writes atomically: a temporary file in the same directory, flushed to disk, then renamed over
    /// `path`; a crash leaves either the old file or the new one, never half of one.
    package func write(to path: String) throws {
        let temporary = path + ".tmp"
        let bytes = encoded()
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw InputFileError(path: temporary, problem: "cannot create: \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if result <= 0 {
                let problem = String(cString: strerror(errno))
                close(descriptor)
                unlink(temporary)
                throw InputFileError(path: temporary, problem: "write failed: \(problem)")
            }
            written += result
        }
        guard fsync(descriptor) == 0, close(descriptor) == 0 else {
            let problem = String(cString: strerror(errno))
            unlink(temporary)
            throw InputFileError(path: temporary, problem: "flush failed: \(problem)")
        }
        guard rename(temporary, path) == 0 else {
            let problem = String(cString: strerror(errno))
            unlink(temporary)
            throw InputFileError(path: path, problem: "rename failed: \(problem)")
        }
        // Make the rename itself durable.
        let directory = open((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent, O_RDONLY)
        if directory >= 0 { fsync(directory); close(directory) }
    }

    package static func read(from path: String, optimizerState: Bool = true) throws -> Checkpoint {
        try Checkpoint(decoding: readBytes(path), path: path, optimizerState: optimizerState)
    }

    /// The file's bytes, read straight into one array: a checkpoint holds three copies of the weights
    /// (a ResNet-50's: 283 MB), and going through `Data` first would hold the file twice.
    private static func readBytes(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw InputFileError(path: path, problem: errno == ENOENT ? "no such file" : "cannot read")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw InputFileError(path: path, problem: "cannot read") }
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: Int(status.st_size)) { buffer, count in
            while count < buffer.count {
                let read = Glibc.read(descriptor, buffer.baseAddress! + count, buffer.count - count)
                if read < 0 && errno == EINTR { continue }
                guard read > 0 else { failed = read < 0; break }
                count += read
            }
        }
        guard !failed else { throw InputFileError(path: path, problem: "cannot read") }
        return bytes
    }

    /// A checkpoint file, or the newest usable checkpoint in a directory (those newer that fail a check
    /// are passed to `skipped`), read and checked.
    package static func load(_ path: String, optimizerState: Bool = true,
                             skipped: (InputFileError) -> Void) throws -> (path: String, checkpoint: Checkpoint) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputFileError(path: path, problem: "no such file or directory")
        }
        guard isDirectory.boolValue else { return (path, try read(from: path, optimizerState: optimizerState)) }
        guard let newest = try CheckpointDirectory.newestValid(in: path, optimizerState: optimizerState, skipped: skipped) else {
            throw InputFileError(path: path, problem: "holds no checkpoint (tandem-epoch-NNN[-step-SSSSSS].\(fileExtension))")
        }
        return newest
    }
}
