import Foundation
import TandemCore
import TandemData
import TandemInterchange
import TandemTraining

/// Every parser of untrusted input, as one fuzz target per file kind: bytes in, and any outcome but a
/// crash, a trap, a hang or a runaway allocation is fine (a thrown error is the expected answer to
/// garbage). Built two ways:
/// - for libFuzzer (`Launch/fuzz.sh`: `-sanitize=fuzzer,address -D FUZZING`), where
///   `LLVMFuzzerTestOneInput` runs the target named by `TANDEM_FUZZ_TARGET`;
/// - as a plain executable (`tandem-fuzz TARGET FILE…`), which replays inputs, e.g. the committed
///   corpus in Tests/Fuzz, in the ordinary test run.
enum FuzzTarget: String, CaseIterable {
    case idx, checkpoint, model, npy, npz, safetensors, picture, pictureCache, history

    /// A small model for the weight-file targets.
    static let weightsModel = try! Model(description: ModelDescription(compact: "input(4,4,1) conv2d(2,3,same,relu) flatten dense(3,softmax)"))

    /// Scratch file for the parsers that read paths (in memory where /dev/shm exists).
    static let scratch: String = {
        let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return directory + "/tandem-fuzz-\(getpid())"
    }()

    func run(_ bytes: [UInt8]) {
        func throughFile(_ suffix: String, _ body: (String) throws -> Void) {
            let path = Self.scratch + suffix
            precondition(FileManager.default.createFile(atPath: path, contents: Data(bytes)), "fuzz: cannot write a scratch file")
            defer { unlink(path) }
            _ = try? body(path)
        }
        switch self {
        case .idx:
            throughFile("-images") { _ = try IDXReader.readImages(path: $0) }
            throughFile("-labels") { _ = try IDXReader.readLabels(path: $0, classCount: 10) }
        case .checkpoint:
            _ = try? Checkpoint(decoding: bytes, path: "fuzz.ckpt")
        case .model:
            if let description = try? ModelDescription(json: String(decoding: bytes, as: UTF8.self), source: "fuzz.json") {
                // What a checkpoint stores of a model that builds must read back as the same model.
                if (try? Model(description: description)) != nil {
                    precondition(try! ModelDescription(json: description.json, source: "stored") == description)
                }
            }
        case .npy:
            _ = try? NumpyArray(bytes: bytes, name: "fuzz.npy")
        case .npz:
            throughFile(".npz") { path in
                let archive = NumpyArchive(path: path, classCount: 10)
                try archive.validate()
                _ = try archive.load(.test)
            }
        case .safetensors:
            throughFile(".safetensors") { _ = try SafetensorsFile.read(model: Self.weightsModel, from: $0) }
        case .picture:
            // The PNG, JPEG, BMP and GIF decoders in grey, RGB and RGBA, resized, cropped and padded.
            throughFile(".png") { _ = try PredictionInput(path: $0, height: 28, width: 28, channels: 1) }
            throughFile(".png") { _ = try PredictionInput(path: $0, height: 7, width: 7, channels: 4) }
            throughFile(".png") {
                _ = try PredictionInput(path: $0, height: 5, width: 9, channels: 3,
                                        pictures: PictureSettings(height: 5, width: 9, channels: 3, interpolation: .nearest, aspectRatio: .crop))
            }
            throughFile(".png") {
                _ = try PredictionInput(path: $0, height: 9, width: 5, channels: 3, pictures: PictureSettings(height: 9, width: 5, channels: 3, aspectRatio: .pad))
            }
        case .pictureCache:
            // The bytes as the cache of a folder of one picture: rejected (and rebuilt) unless intact.
            let root = Self.scratch + "-folder"
            if !FileManager.default.fileExists(atPath: root + "/a/one.bmp") {
                try! FileManager.default.createDirectory(atPath: root + "/a", withIntermediateDirectories: true)
                var bitmap = [UInt8]("BM".utf8) + [UInt8](repeating: 0, count: 52) + [UInt8](repeating: 90, count: 8)
                (bitmap[10], bitmap[14], bitmap[18], bitmap[22], bitmap[26], bitmap[28]) = (54, 40, 2, 1, 1, 24)
                precondition(FileManager.default.createFile(atPath: root + "/a/one.bmp", contents: Data(bitmap)), "fuzz: cannot write a scratch file")
                precondition(FileManager.default.createFile(atPath: root + "/a/two.bmp", contents: Data(bitmap)), "fuzz: cannot write a scratch file")
            }
            let folders = PictureFolders(path: root, height: 2, width: 2, channels: 3, classCount: 1, validationSplit: 0.5, skipsUnreadablePictures: true)
            let tree = try! folders.trees()[0]
            precondition(FileManager.default.createFile(atPath: folders.cachePath(tree), contents: Data(bytes)), "fuzz: cannot write a scratch file")
            let images = try! folders.load(.train, keeping: nil)
            precondition(images.count == 1 && images.pixels.count == 2 * 12)
        case .history:
            _ = try? TrainingHistory.rows(of: Data(bytes), through: 3, format: .csv, path: "fuzz.csv")
            _ = try? TrainingHistory.rows(of: Data(bytes), through: 3, format: .jsonLines, path: "fuzz.jsonl")
        }
    }
}

#if FUZZING
private let selected: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["TANDEM_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        fatalError("set TANDEM_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// libFuzzer's driver, started from this executable's own entry point: SwiftPM links executables with
/// `main` defined as `<module>_main`, so libFuzzer's `main` is never linked in.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("tandem_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzOneInput)
}
#else
@main
struct Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("usage: tandem-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE…\n".utf8))
            exit(64)
        }
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            target.run([UInt8](data))
        }
        print("replayed \(arguments.count - 1) inputs through \(target.rawValue)")
    }
}
#endif
