import CTandemZlib
import Foundation
import Testing
import TandemCore
import TandemData
@testable import TandemTraining

struct CheckpointTests {
    let directory: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-checkpoint-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    func sample() -> Checkpoint {
        let model = Model.tutorial()
        let state = TrainingState(model: model, seed: 4)
        state.optimizer.firstMoment.fill(with: 0.25)
        state.optimizer.secondMoment[7] = 3
        state.optimizer.step = 1875
        state.completedEpochs = 1
        var configuration = TrainingConfiguration()
        configuration.seed = 4
        configuration.microBatchSize = 8
        return state.checkpoint(model: model, configuration: configuration, trainingSamples: 60_000)
    }

    /// The same file as an older version wrote it: `removed` header bytes (counted back from the header's
    /// end) taken out, the header length and CRC fixed.
    func olderVersion(_ current: [UInt8], version: UInt8, removingLast removed: Int) -> [UInt8] {
        var bytes = current
        let headerLength = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
        bytes.removeSubrange(headerLength - removed..<headerLength)
        bytes.removeLast(4)
        bytes[8] = version
        withUnsafeBytes(of: UInt32(headerLength - removed).littleEndian) { bytes.replaceSubrange(12..<16, with: $0) }
        let crc = bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
        withUnsafeBytes(of: crc.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    @Test("The micro-batch size (version 3) and the class names and picture decoding (version 4) are stored; a version 3 checkpoint reads with no class names, a version 2 one as m = 1")
    func storedSettingsAndOlderVersions() throws {
        var current = sample()
        current.data = DataDescription(classNames: ["daisy", "rose", "tulip"],
                                       pictures: PictureSettings(height: 16, width: 16, channels: 3, interpolation: .nearest, aspectRatio: .crop))
        let decoded = try Checkpoint(decoding: current.encoded(), path: "current.ckpt")
        #expect(decoded.microBatchSize == 8 && decoded.data == current.data)
        let dataBytes = 4 + Checkpoint.encode(current.data).utf8.count
        let version3 = try Checkpoint(decoding: olderVersion(current.encoded(), version: 3, removingLast: dataBytes), path: "v3.ckpt")
        #expect(version3.microBatchSize == 8 && version3.data.isEmpty)
        let version2 = try Checkpoint(decoding: olderVersion(current.encoded(), version: 2, removingLast: dataBytes + 8), path: "v2.ckpt")
        #expect(version2.microBatchSize == 1 && version2.data.isEmpty)
        for old in [version3, version2] {
            #expect(old.parameters.map(\.bitPattern) == current.parameters.map(\.bitPattern) && old.recipe == current.recipe)
        }
    }

    @Test("Read for inference, a checkpoint gives the same weights and run without the optimiser's two buffers, and the whole file is still checked; its state holds no optimiser buffers")
    func weightsOnly() throws {
        let full = sample()
        var bytes = full.encoded()
        let weights = try Checkpoint(decoding: bytes, path: "a.ckpt", optimizerState: false)
        #expect(weights.parameters.map(\.bitPattern) == full.parameters.map(\.bitPattern))
        #expect(weights.firstMoment.isEmpty && weights.secondMoment.isEmpty)
        #expect(weights.completedEpochs == 1 && weights.optimizerStep == 1875 && weights.microBatchSize == 8 && weights.recipe == full.recipe)
        let state = TrainingState(model: Model.tutorial(), checkpoint: weights)
        #expect(state.parameters.array.map(\.bitPattern) == full.parameters.map(\.bitPattern) && state.completedEpochs == 1)
        #expect(state.optimizer.firstMoment.count == 0 && state.optimizer.secondMoment.count == 0)
        // A flipped bit in the second moment, which this read does not decode, still fails the checksum.
        bytes[bytes.count - 8] ^= 1
        #expect { try Checkpoint(decoding: bytes, path: "a.ckpt", optimizerState: false) } throws: {
            "\($0)".contains("checksum mismatch")
        }
    }

    @Test("A checkpoint written to disk reads back identical, bit for bit, and leaves no temporary file")
    func roundTrip() throws {
        let original = sample()
        let path = directory + "/" + Checkpoint.fileName(epoch: 1)
        try original.write(to: path)
        let restored = try Checkpoint.read(from: path)
        #expect(restored.encoded() == original.encoded())
        #expect(restored.parameters.map(\.bitPattern) == original.parameters.map(\.bitPattern))
        #expect(restored.optimizerStep == 1875 && restored.completedEpochs == 1 && restored.seed == 4)
        #expect(restored.modelDescription == Model.tutorial().description.json)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == [Checkpoint.fileName(epoch: 1)])
        try FileManager.default.removeItem(atPath: directory)
    }

    @Test("A directory resolves to its newest usable checkpoint by the progress in the names, step checkpoints included; damaged newer ones are reported and passed over")
    func newestInDirectory() throws {
        let names = ["tandem-epoch-002.ckpt", "tandem-epoch-010.ckpt", "tandem-epoch-009-step-000450.ckpt", "tandem-epoch-010-step-000007.ckpt"]
        for name in names { try sample().write(to: directory + "/" + name) }
        var skipped: [InputFileError] = []
        #expect(try Checkpoint.load(directory) { skipped.append($0) }.path == directory + "/tandem-epoch-010-step-000007.ckpt")
        #expect(skipped.isEmpty)
        // Damage the two newest: the third is used, and each damaged one is named once with its problem.
        for name in ["tandem-epoch-010-step-000007.ckpt", "tandem-epoch-010.ckpt"] {
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
            bytes[bytes.count / 2] ^= 0x10
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
        #expect(try Checkpoint.load(directory) { skipped.append($0) }.path == directory + "/tandem-epoch-009-step-000450.ckpt")
        #expect(skipped.map { URL(fileURLWithPath: $0.path).lastPathComponent } == ["tandem-epoch-010-step-000007.ckpt", "tandem-epoch-010.ckpt"])
        #expect(skipped.allSatisfy { $0.problem.contains("checksum") })
        #expect(CheckpointDirectory.beyond(keep: 2, in: directory).map { URL(fileURLWithPath: $0).lastPathComponent }
                == ["tandem-epoch-009-step-000450.ckpt", "tandem-epoch-002.ckpt"])
        try FileManager.default.removeItem(atPath: directory)
        #expect(throws: InputFileError.self) { try Checkpoint.load(directory) { _ in } }
    }

    @Test("Checkpoint names round-trip their progress; other names are not checkpoints")
    func names() {
        let progress = CheckpointDirectory.Progress(epochs: 7, steps: 450)
        #expect(CheckpointDirectory.fileName(progress) == "tandem-epoch-007-step-000450.ckpt")
        #expect(CheckpointDirectory.progress(ofFileName: "tandem-epoch-007-step-000450.ckpt") == progress)
        #expect(CheckpointDirectory.progress(ofFileName: "tandem-epoch-012.ckpt") == .init(epochs: 12, steps: 0))
        for name in ["tandem-epoch-007.ckpt.tmp", "notes.txt", "tandem-epoch-x.ckpt", "tandem-epoch-001-step-0.ckpt"] {
            #expect(CheckpointDirectory.progress(ofFileName: name) == nil, "\(name)")
        }
    }

    @Test("Damaged checkpoints are rejected with the file and the problem named")
    func damagedFiles() throws {
        let bytes = sample().encoded()
        func problem(_ damaged: [UInt8]) -> String? {
            do {
                _ = try Checkpoint(decoding: damaged, path: "x.ckpt")
                return nil
            } catch let error as InputFileError {
                #expect(error.path == "x.ckpt")
                return error.problem
            } catch {
                return "\(error)"
            }
        }
        #expect(problem(Array(bytes.prefix(bytes.count - 100)))?.contains("truncated") == true)
        #expect(problem(bytes + [0])?.contains("trailing") == true)
        var flipped = bytes
        flipped[200] ^= 0x01
        #expect(problem(flipped)?.contains("checksum") == true)
        var magic = bytes
        magic[0] = UInt8(ascii: "X")
        #expect(problem(magic)?.contains("not a Tandem checkpoint") == true)
        var version = bytes
        version[8] = 9
        #expect(problem(version)?.contains("version") == true)
        #expect(problem(Array(bytes.prefix(10)))?.contains("too short") == true)
    }
}
