import Foundation
import Testing

/// Bad input of every kind, given to the real binary as users run it: each must end non-zero within
/// seconds, with exactly one error line naming the file or flag (warnings about other files may come
/// before it; no trap, no stack trace), and leave the files already there, a good checkpoint among
/// them, byte for byte as they were.
@Suite(.serialized, .enabled(if: IntegrationEnvironment.ready))
struct BadInputTests {
    /// How a row is launched: `mpirun -np N tandem …`, or `tandem …` alone.
    enum Launch: Sendable { case mpirun(Int), alone }

    /// One row. In `arguments` and `expected`, `{case}` is the row's own directory, `{runs}` its
    /// checkpoint directory (holding a good `tandem-epoch-001.ckpt`, `{good}`), `{data}` a tiny
    /// 10-class IDX dataset (64 training and 32 test images) copied into the row's directory,
    /// `{five}` and `{rgb}` checkpoints of a model ending in dense(5) and of one taking 32×32×3 images,
    /// `{models}` the Keras model fixtures. `damage` makes the bad input inside the row's directory.
    struct Row: CustomTestStringConvertible, Sendable {
        let description: String
        let launch: Launch
        let arguments: [String]
        let damage: @Sendable (String) throws -> Void
        let expected: String
        /// The exit status where it is a fixed one (64, EX_USAGE, for a bad command line); any non-zero otherwise.
        let status: Int32?
        var testDescription: String { description }

        init(_ description: String, _ launch: Launch, _ arguments: [String], expected: String, status: Int32? = nil,
             damage: @escaping @Sendable (String) throws -> Void = { _ in }) {
            self.description = description
            self.launch = launch
            self.arguments = arguments
            self.damage = damage
            self.expected = expected
            self.status = status
        }
    }

    static let base = ["train", "--checkpoint-dir", "{runs}"]
    static let train = base + ["--data", "{data}", "--epochs", "1"]

    static let rows: [Row] = [
        // Data files.
        Row("truncated IDX image file", .mpirun(2), train, expected: "{data}/train-images-idx3-ubyte: truncated",
            damage: { try truncate($0 + "/data/train-images-idx3-ubyte", to: 30_000) }),
        Row("IDX file with a wrong magic number", .mpirun(2), train, expected: "{data}/t10k-images-idx3-ubyte: bad magic number 0x504b0304: not an IDX file",
            damage: { try overwrite($0 + "/data/t10k-images-idx3-ubyte", at: 0, with: Array("PK\u{3}\u{4}".utf8)) }),
        Row("label file with fewer labels than images", .mpirun(2), train,
            expected: "{data}/train-labels-idx1-ubyte: has 62 labels but {data}/train-images-idx3-ubyte has 64 images",
            damage: { case_ in
                try truncate(case_ + "/data/train-labels-idx1-ubyte", to: 8 + 62)
                try overwrite(case_ + "/data/train-labels-idx1-ubyte", at: 4, with: [0, 0, 0, 62])
            }),
        Row(".npz without x_test", .mpirun(2), ["train", "--data", "{case}/bad.npz", "--epochs", "1", "--checkpoint-dir", "{runs}"],
            expected: "{case}/bad.npz: has no x_test array",
            damage: { try rewriteArchive(into: $0 + "/bad.npz", dropping: "x_test") }),
        Row(".npz whose labels are float32", .mpirun(2), ["train", "--data", "{case}/bad.npz", "--epochs", "1", "--checkpoint-dir", "{runs}"],
            expected: "{case}/bad.npz: y_train holds float32; labels must be integers",
            damage: { try rewriteArchive(into: $0 + "/bad.npz", floatLabels: "y_train") }),

        // Checkpoints.
        Row("truncated checkpoint (evaluate)", .mpirun(1), ["evaluate", "--checkpoint", "{case}/bad.ckpt", "--data", "{data}"],
            expected: "{case}/bad.ckpt: corrupt header",
            damage: { try copyGood($0, to: "bad.ckpt"); try truncate($0 + "/bad.ckpt", to: 1000) }),
        Row("checkpoint with one flipped byte (evaluate)", .alone, ["evaluate", "--checkpoint", "{case}/bad.ckpt", "--data", "{data}"],
            expected: "{case}/bad.ckpt: checksum mismatch",
            damage: { try copyGood($0, to: "bad.ckpt"); try flipByte($0 + "/bad.ckpt") }),
        Row("checkpoint with a wrong magic number (predict)", .alone, ["predict", "--checkpoint", "{case}/bad.ckpt", "{data}/t10k-images-idx3-ubyte"],
            expected: "{case}/bad.ckpt: not a Tandem checkpoint",
            damage: { try copyGood($0, to: "bad.ckpt"); try overwrite($0 + "/bad.ckpt", at: 0, with: Array("XXXX".utf8)) }),
        Row("truncated checkpoint (export)", .alone, ["export", "--checkpoint", "{case}/bad.ckpt", "--output", "{case}/model.onnx"],
            expected: "{case}/bad.ckpt: corrupt header",
            damage: { try copyGood($0, to: "bad.ckpt"); try truncate($0 + "/bad.ckpt", to: 1000) }),
        Row("truncated checkpoint (resume)", .mpirun(2), ["train", "--resume", "{case}/bad.ckpt", "--data", "{data}", "--epochs", "2", "--checkpoint-dir", "{runs}"],
            expected: "{case}/bad.ckpt: corrupt header",
            damage: { try copyGood($0, to: "bad.ckpt"); try truncate($0 + "/bad.ckpt", to: 1000) }),
        Row("a 5-class model's checkpoint evaluated on 10-class data", .mpirun(2), ["evaluate", "--checkpoint", "{five}", "--data", "{data}"],
            expected: "{data}/t10k-labels-idx1-ubyte: label "),
        Row("a 32x32x3 model's checkpoint evaluated on 28x28x1 data", .mpirun(1), ["evaluate", "--checkpoint", "{rgb}", "--data", "{data}"],
            expected: "{data}/t10k-images-idx3-ubyte: images are 28x28x1; the model 'cifar_cnn' expects 32x32x3"),
        Row("a 32x32x3 model's checkpoint predicting 28x28x1 images", .alone, ["predict", "--checkpoint", "{rgb}", "{data}/t10k-images-idx3-ubyte"],
            expected: "{data}/t10k-images-idx3-ubyte: holds 28x28x1 images; the model takes 32x32x3"),

        // Model descriptions.
        Row("model file that is not JSON", .mpirun(2), train + ["--model", "{case}/model.json"],
            expected: "{case}/model.json: not valid JSON",
            damage: { try Data("not JSON {".utf8).write(to: URL(fileURLWithPath: $0 + "/model.json")) }),
        Row("model with an unknown layer class", .alone, ["summary", "--model", "{case}/model.json"],
            expected: "{case}/model.json: conv2d: Conv9D layers are not supported",
            damage: { case_ in
                let tutorial = try String(contentsOfFile: models + "/supported/tutorial.json", encoding: .utf8)
                try tutorial.replacingOccurrences(of: "\"Conv2D\"", with: "\"Conv9D\"")
                    .write(toFile: case_ + "/model.json", atomically: false, encoding: .utf8)
            }),
        Row("model with dilation_rate and strides", .mpirun(2), train + ["--model", "{models}/unsupported/dilation-strides.json"],
            expected: "{models}/unsupported/dilation-strides.json: conv2d_3: dilation_rate 2x2 with strides 2x2: Keras allows one of them above 1, not both"),
        Row("model with 10^9 filters", .alone, ["summary", "--model", "{models}/unsupported/huge-filters.json"],
            expected: "{models}/unsupported/huge-filters.json: wide: filters 1000000000 is out of range"),
        Row("model with 10^9 filters (train)", .mpirun(2), train + ["--model", "{models}/unsupported/huge-filters.json"],
            expected: "{models}/unsupported/huge-filters.json: wide: filters 1000000000 is out of range"),
        Row("nested model whose output leads back to itself (found by the fuzzer)", .mpirun(2),
            train + ["--model", "{models}/unsupported/nested-output-cycle.json"],
            expected: "{models}/unsupported/nested-output-cycle.json: base: a nested model whose output leads back to itself (a cycle of nested models' names)"),

        // Flags.
        Row("--batch-size 0", .mpirun(2), train + ["--batch-size", "0"], expected: "--batch-size must be at least 1, not 0", status: 64),
        Row("--epochs -1", .mpirun(2), base + ["--data", "{data}", "--epochs=-1"], expected: "--epochs must be at least 1, not -1", status: 64),
        Row("--epochs -1 (with a space: taken for a flag)", .alone, base + ["--data", "{data}", "--epochs", "-1"], expected: "--epochs", status: 64),
        Row("--limit 0", .mpirun(2), train + ["--limit", "0"], expected: "--limit must be a positive number of images, not 0", status: 64),
        Row("unknown --model name", .mpirun(2), train + ["--model", "no-such-model"],
            expected: "no-such-model: no such file, and not a built-in model"),
        Row("--seed that conflicts with the resumed checkpoint's", .mpirun(2), ["train", "--resume", "{good}", "--seed", "99", "--data", "{data}", "--epochs", "2"],
            expected: "--seed 99 differs from the checkpoint's seed", status: 64),
        Row("--optimizer that conflicts with the resumed checkpoint's", .mpirun(2), ["train", "--resume", "{runs}", "--optimizer", "sgd", "--data", "{data}", "--epochs", "2"],
            expected: "--optimizer sgd differs from the checkpoint's adam", status: 64),

        // Directories.
        Row("--checkpoint-dir that is a file", .mpirun(2), ["train", "--data", "{data}", "--epochs", "1", "--checkpoint-dir", "{case}/file"],
            expected: "{case}/file: cannot create checkpoint directory",
            damage: { try Data("a file".utf8).write(to: URL(fileURLWithPath: $0 + "/file")) }),
        Row("a new run in a --checkpoint-dir holding another run's checkpoints", .mpirun(2), train,
            expected: "--checkpoint-dir {runs} already holds another run's checkpoints (newest tandem-epoch-001.ckpt)"),
        Row("--data directory that does not exist (evaluate)", .mpirun(2), ["evaluate", "--checkpoint", "{runs}", "--data", "{case}/missing"],
            expected: "{case}/missing: data directory does not exist"),
        Row("--data directory that does not exist (train)", .mpirun(2), base + ["--epochs", "1", "--data", "{case}/missing"],
            expected: "{case}/missing: data directory does not exist"),
        Row("--resume auto in a directory whose checkpoints are all damaged", .mpirun(2),
            ["train", "--data", "{data}", "--epochs", "3", "--checkpoint-dir", "{case}/damaged", "--resume", "auto"],
            expected: "{case}/damaged: none of its 2 checkpoints can be used",
            damage: { case_ in
                try FileManager.default.createDirectory(atPath: case_ + "/damaged", withIntermediateDirectories: true)
                try copyGood(case_, to: "damaged/tandem-epoch-001.ckpt")
                try truncate(case_ + "/damaged/tandem-epoch-001.ckpt", to: 1000)
                try copyGood(case_, to: "damaged/tandem-epoch-002.ckpt")
                try flipByte(case_ + "/damaged/tandem-epoch-002.ckpt")
            }),
    ]

    @Test("Bad input: non-zero exit, one error line naming the file or flag, no hang, the checkpoints there untouched",
          arguments: rows)
    func badInput(row: Row) throws {
        let fixture = try #require(Self.fixture, "the suite's fixture could not be made: \(Self.fixtureProblem)")
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/runs", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.good, toPath: directory + "/runs/tandem-epoch-001.ckpt")
        try FileManager.default.copyItem(atPath: fixture.data, toPath: directory + "/data")
        try row.damage(directory)

        func fill(_ text: String) -> String {
            text.replacingOccurrences(of: "{case}", with: directory)
                .replacingOccurrences(of: "{runs}", with: directory + "/runs")
                .replacingOccurrences(of: "{good}", with: directory + "/runs/tandem-epoch-001.ckpt")
                .replacingOccurrences(of: "{data}", with: directory + "/data")
                .replacingOccurrences(of: "{five}", with: fixture.five)
                .replacingOccurrences(of: "{rgb}", with: fixture.rgb)
                .replacingOccurrences(of: "{models}", with: Self.models)
        }
        let arguments = row.arguments.map(fill)
        let before = try Self.snapshot(directory)
        let outcome: TandemProcess.Outcome
        switch row.launch {
        case let .mpirun(ranks): outcome = TandemProcess.mpirun(ranks: ranks, arguments, timeout: Self.limit)
        case .alone: outcome = TandemProcess.tandem(arguments, timeout: Self.limit)
        }
        let everything = outcome.standardOutput + outcome.standardError

        #expect(outcome.status != 0 && !outcome.timedOut, "status \(outcome.status), timed out: \(outcome.timedOut)")
        if let status = row.status { #expect(outcome.status == status) }
        // Tandem's own error lines: `tandem: error: …`, `tandem: rank r/N on HOST: …` (a rank's error
        // under mpirun), or ArgumentParser's `Error: …` (followed by its usage lines).
        let errors = outcome.errorLines.filter { ($0.hasPrefix("tandem: ") && !$0.hasPrefix("tandem: warning: ")) || $0.hasPrefix("Error: ") }
        #expect(errors.count == 1, "\(arguments)\n\(outcome.standardError)")
        #expect(errors.first?.contains(fill(row.expected)) == true, "expected “\(fill(row.expected))” in:\n\(outcome.standardError)")
        for crash in ["Fatal error", "Assertion", "assertion failed", "Stack dump", "Backtrace", "backtrace", "Segmentation fault",
                      "Illegal instruction", "core dumped", "on signal", "Current stack trace", "💣"] {
            #expect(!everything.contains(crash), "“\(crash)” in:\n\(everything)")
        }
        #expect(try Self.snapshot(directory) == before, "files in the row's directory changed, appeared or went")
    }

    // MARK: - The suite's fixture

    static let limit = 30.0
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/keras-models").path
    static let greyArchive = URL(fileURLWithPath: models).deletingLastPathComponent().appendingPathComponent("npz/grey-float32.npz").path

    struct Fixture: Sendable {
        let directory: String
        var data: String { directory + "/data" }
        var good: String { directory + "/good/tandem-epoch-001.ckpt" }
        var five: String { directory + "/five/tandem-epoch-001.ckpt" }
        var rgb: String { directory + "/rgb/tandem-epoch-001.ckpt" }
    }

    /// Made once: the tiny datasets and three small checkpoints, each from a real run (under
    /// `mpirun -np 2` for the good one, as users make them).
    static let made: Result<Fixture, FixtureError> = {
        let directory = TandemProcess.temporaryDirectory()
        let fixture = Fixture(directory: directory)
        do {
            try writeIDXDataset(at: fixture.data, classes: 10)
            try writeIDXDataset(at: directory + "/data5", classes: 5)
            let tutorial = try String(contentsOfFile: models + "/supported/tutorial.json", encoding: .utf8)
            let five = tutorial.replacingOccurrences(of: "\"units\": 10", with: "\"units\": 5")
            guard five != tutorial else { throw FixtureError(description: "tutorial.json has no \"units\": 10") }
            try five.write(toFile: directory + "/five.json", atomically: false, encoding: .utf8)
        } catch {
            return .failure(FixtureError(description: "\(error)"))
        }
        let runs: [(String, [String])] = [
            ("good", ["--data", fixture.data]),
            ("five", ["--data", directory + "/data5", "--model", directory + "/five.json"]),
            ("rgb", ["--data", URL(fileURLWithPath: greyArchive).deletingLastPathComponent().appendingPathComponent("colour-uint8.npz").path,
                     "--model", models + "/supported/cifar-cnn.json", "--limit", "64"]),
        ]
        for (name, arguments) in runs {
            let outcome = TandemProcess.mpirun(ranks: name == "good" ? 2 : 1,
                                               ["train", "--epochs", "1", "--checkpoint-dir", directory + "/" + name] + arguments, timeout: 60)
            guard outcome.status == 0 else { return .failure(FixtureError(description: "\(name): \(outcome.standardError)")) }
        }
        return .success(fixture)
    }()

    struct FixtureError: Error, Sendable { let description: String }
    static var fixture: Fixture? { try? made.get() }
    static var fixtureProblem: String { if case let .failure(error) = made { error.description } else { "" } }

    /// Every regular file under `directory`, by relative path, with its bytes.
    static func snapshot(_ directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return files }
        while let relative = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[relative] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + relative))
            }
        }
        return files
    }

    // MARK: - Making bad input

    /// Plain (uncompressed) IDX files: 64 training and 32 test images of 28×28, labels below `classes`.
    static func writeIDXDataset(at directory: String, classes: Int) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var state: UInt32 = 12345
        func next() -> UInt8 { state = state &* 1_664_525 &+ 1_013_904_223; return UInt8(truncatingIfNeeded: state >> 24) }
        func bigEndian(_ value: Int) -> [UInt8] { [UInt8(value >> 24 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }
        for (split, count) in [("train", 64), ("t10k", 32)] {
            let images = [0, 0, 8, 3] + bigEndian(count) + bigEndian(28) + bigEndian(28) + (0..<count * 784).map { _ in next() }
            let labels = [0, 0, 8, 1] + bigEndian(count) + (0..<count).map { _ in UInt8(Int(next()) % classes) }
            try Data(images).write(to: URL(fileURLWithPath: "\(directory)/\(split)-images-idx3-ubyte"))
            try Data(labels).write(to: URL(fileURLWithPath: "\(directory)/\(split)-labels-idx1-ubyte"))
        }
    }

    static func copyGood(_ directory: String, to name: String) throws {
        try FileManager.default.copyItem(atPath: directory + "/runs/tandem-epoch-001.ckpt", toPath: directory + "/" + name)
    }

    static func truncate(_ path: String, to length: Int) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(length).write(to: URL(fileURLWithPath: path))
    }

    static func overwrite(_ path: String, at offset: Int, with bytes: [UInt8]) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data.replaceSubrange(offset..<offset + bytes.count, with: bytes)
        try data.write(to: URL(fileURLWithPath: path))
    }

    static func flipByte(_ path: String) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[data.count / 2] ^= 0x40
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// The grey-float32.npz fixture rewritten (Python's zipfile) without `dropping`, or with
    /// `floatLabels` replaced by float32 labels of the same shape.
    static func rewriteArchive(into path: String, dropping: String? = nil, floatLabels: String? = nil) throws {
        let script = """
            import struct, sys, zipfile
            source, target, drop, relabel = sys.argv[1:5]
            def npy(count):
                header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d,), }" % count
                header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\\n"
                return b"\\x93NUMPY\\x01\\x00" + struct.pack("<H", len(header)) + header.encode() + b"\\0" * (4 * count)
            with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w") as out:
                for name in archive.namelist():
                    if name == drop + ".npy":
                        continue
                    data = archive.read(name)
                    if name == relabel + ".npy":
                        with archive.open(name) as member:
                            count = int(member.read(128).split(b"'shape': (")[1].split(b",")[0])
                        data = npy(count)
                    out.writestr(name, data)
            """
        let outcome = TandemProcess.run("/usr/bin/python3", ["-c", script, greyArchive, path, dropping ?? "", floatLabels ?? ""], timeout: 30)
        guard outcome.status == 0 else { throw FixtureError(description: "python3: \(outcome.standardError)") }
    }
}
