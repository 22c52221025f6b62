import Foundation
import Testing

/// Training on a folder of class folders of pictures, with the real binary under a real mpirun.
@Suite(.serialized, .enabled(if: IntegrationEnvironment.ready))
struct PictureFolderTrainingTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/picture-folders").path

    /// A private copy of the one-tree fixture (its cache is written beside the pictures).
    static func flowers() throws -> String {
        let directory = TandemProcess.temporaryDirectory() + "/flowers"
        try FileManager.default.copyItem(atPath: fixtures + "/flowers", toPath: directory)
        return directory
    }

    @Test("One tree with --validation-split: decoded once, shared by the ranks (a line per 10% done, the start-up report says so, and that later runs use the cache), Keras's classes in the report, the same sha256 at -np 1, 2 and 3, the 6 held-out pictures evaluated as validation")
    func trainsWithTheSameWeightsAtAnyRankCount() throws {
        let data = try Self.flowers()
        let run = ["train", "--model", Self.fixtures + "/picture-cnn.json", "--data", data, "--validation-split", "0.25", "--seed", "7",
                   "--epochs", "2", "--batch-size", "6"]
        var digests: [String] = []
        for ranks in [3, 2, 1] {
            let outcome = TandemProcess.mpirun(ranks: ranks, run + ["--checkpoint-dir", TandemProcess.temporaryDirectory()])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            let dataLine = try #require(outcome.lines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("data ") })
            #expect(dataLine.contains("picture folders, 3 classes (daisy, rose, tulip), validation split 0.25 with Keras's seed 7"), "\(dataLine)")
            // The first run decodes, each of its 3 ranks 8 pictures, rank 0 reporting each 10%.
            #expect(dataLine.contains(ranks == 3 ? "decoded 24 pictures in " : ", cached"), "\(dataLine)")
            #expect(outcome.lines.contains { $0.hasPrefix("Decoding pictures: 100% (24 of 24), ") } == (ranks == 3), "\(outcome.standardOutput)")
            #expect(dataLine.contains("(18 train, 6 validation)"), "\(dataLine)")
            #expect(outcome.lines.contains { $0.hasPrefix("Validation loss: ") && $0.hasSuffix("/6)") }, "\(outcome.standardOutput)")
            digests.append(try #require(outcome.digest))
        }
        #expect(Set(digests).count == 1, "\(digests)")
    }

    @Test("The classes travel with the checkpoint: evaluate --report and predict name them, the ONNX export's metadata holds them, and resuming with other classes is refused")
    func classNamesTravel() throws {
        let data = try Self.flowers(), checkpoints = TandemProcess.temporaryDirectory()
        let run = ["train", "--model", Self.fixtures + "/picture-cnn.json", "--data", data, "--validation-split", "0.25", "--seed", "7",
                   "--epochs", "1", "--batch-size", "6", "--checkpoint-dir", checkpoints]
        #expect(TandemProcess.mpirun(ranks: 2, run).status == 0)
        let report = TandemProcess.tandem(["evaluate", "--checkpoint", checkpoints, "--data", data, "--validation-split", "0.25", "--report"])
        #expect(report.status == 0, "\(report.standardError)")
        for name in ["daisy", "rose", "tulip"] {
            #expect(report.lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix(name + " ") }, "\(report.standardOutput)")
        }
        let predicted = TandemProcess.tandem(["predict", "--checkpoint", checkpoints, "--top-k", "3", "--csv", data + "/rose/rose_00.png"])
        #expect(predicted.status == 0 && ["daisy", "rose", "tulip"].contains { predicted.standardOutput.contains(",\($0),") },
                "\(predicted.standardOutput)\(predicted.standardError)")
        let onnx = TandemProcess.temporaryDirectory() + "/model.onnx"
        #expect(TandemProcess.tandem(["export", "--checkpoint", checkpoints, "--output", onnx]).status == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: onnx))
        #expect(bytes.range(of: Data("tandem.class_names".utf8)) != nil && bytes.range(of: Data(#"["daisy","rose","tulip"]"#.utf8)) != nil)
        let resumed = TandemProcess.mpirun(ranks: 2, run.map { $0 == "1" ? "2" : $0 } + ["--resume", "auto", "--classes", "tulip,rose,daisy"])
        #expect(resumed.status != 0 && resumed.standardError.contains("a resumed run keeps its classes"), "\(resumed.standardError)")
    }

    @Test("Refused before training, in one line naming the folder: one tree without --validation-split, the wrong number of classes, a picture that is not one (no partial cache left; --skip-bad-images leaves it out and says so), --classes on IDX data")
    func refusals() throws {
        let data = try Self.flowers()
        let model = Self.fixtures + "/picture-cnn.json"
        let noSplit = TandemProcess.mpirun(ranks: 2, ["train", "--model", model, "--data", data, "--epochs", "1"])
        #expect(noSplit.status != 0 && noSplit.errorLines.filter { $0.hasPrefix("tandem: ") }.count == 1, "\(noSplit.standardError)")
        #expect(noSplit.standardError.contains("\(data): is one tree of class folders: hold part of it out for evaluation with --validation-split F"),
                "\(noSplit.standardError)")
        let tutorial = TandemProcess.mpirun(ranks: 2, ["train", "--data", data, "--validation-split", "0.2", "--epochs", "1"])
        #expect(tutorial.status != 0 && tutorial.standardError.contains("has 3 class folders (daisy, rose, tulip); the model has 10 classes"),
                "\(tutorial.standardError)")
        // A picture that is not one, in another rank's share: named once, every rank ends, no partial cache left.
        try Data("junk".utf8).write(to: URL(fileURLWithPath: data + "/tulip/bad.png"))
        let broken = TandemProcess.mpirun(ranks: 2, ["train", "--model", model, "--data", data, "--validation-split", "0.25", "--epochs", "1"])
        #expect(broken.status != 0 && broken.errorLines.filter { $0.hasPrefix("tandem: ") }.count == 1
                && broken.standardError.contains("\(data)/tulip/bad.png: is not a PNG, JPEG, BMP or GIF picture"), "\(broken.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: data).allSatisfy { !$0.hasSuffix(".partial") && !$0.hasSuffix(".cache") })
        // --skip-bad-images goes on without it, and says so.
        let skipping = TandemProcess.mpirun(ranks: 2, ["train", "--model", model, "--data", data, "--validation-split", "0.25", "--epochs", "1",
                                                       "--skip-bad-images", "--batch-size", "6", "--checkpoint-dir", TandemProcess.temporaryDirectory()])
        #expect(skipping.status == 0 && skipping.lines.contains { $0.contains("1 unreadable picture left out (\(data)/tulip/bad.png)") },
                "\(skipping.standardOutput)\(skipping.standardError)")
        let idx = TandemProcess.tandem(["train", "--classes", "a,b", "--epochs", "1"])
        #expect(idx.status == 64 && idx.standardError.contains("--classes is for a folder of class folders of pictures"), "\(idx.standardError)")
        let grey = TandemProcess.tandem(["train", "--model", model, "--data", data, "--validation-split", "0.25", "--color-mode", "grayscale"])
        #expect(grey.status != 0 && grey.standardError.contains("--color-mode grayscale gives 1 channel; the model's input is 16x16x3"), "\(grey.standardError)")
    }

    /// `data` made read-only where it lies: a read-only bind mount as root (whom permissions do not stop), else
    /// permissions; nil where neither can be made. The closure undoes it.
    static func makeReadOnly(_ data: String) -> (() -> Void)? {
        if getuid() == 0 {
            let bound = TandemProcess.run("/bin/mount", ["--bind", data, data], timeout: 30).status == 0
            guard bound else { return nil }
            guard TandemProcess.run("/bin/mount", ["-o", "remount,bind,ro", data], timeout: 30).status == 0 else {
                _ = TandemProcess.run("/bin/umount", [data], timeout: 30)
                return nil
            }
            return { _ = TandemProcess.run("/bin/umount", [data], timeout: 30) }
        }
        guard chmod(data, 0o555) == 0 else { return nil }
        return { chmod(data, 0o755) }
    }

    @Test("A read-only data folder: without --cache-dir, one line naming the cache that cannot be written and --cache-dir (no rank hangs); with --cache-dir the cache goes there and training runs",
          .enabled(if: { () -> Bool in
              // Needs a read-only folder: a bind mount as root, or permissions otherwise.
              let probe = TandemProcess.temporaryDirectory()
              guard let undo = PictureFolderTrainingTests.makeReadOnly(probe) else { return false }
              undo()
              return true
          }()))
    func readOnlyFolder() throws {
        let data = try Self.flowers(), caches = TandemProcess.temporaryDirectory()
        let undo = try #require(Self.makeReadOnly(data))
        defer { undo() }
        let run = ["train", "--model", Self.fixtures + "/picture-cnn.json", "--data", data, "--validation-split", "0.25", "--epochs", "1",
                   "--batch-size", "6", "--checkpoint-dir", TandemProcess.temporaryDirectory()]
        let refused = TandemProcess.mpirun(ranks: 2, run, timeout: 60)
        #expect(refused.status != 0 && refused.errorLines.filter { $0.hasPrefix("tandem: ") }.count == 1
                && refused.standardError.contains("cannot write the picture cache here (a read-only data folder? pass --cache-dir DIR)"),
                "\(refused.standardError)")
        let cached = TandemProcess.mpirun(ranks: 2, run + ["--cache-dir", caches])
        #expect(cached.status == 0, "\(cached.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: caches).contains { $0.hasPrefix(".tandem-pictures-") && $0.hasSuffix(".cache") })
    }
}

/// `--validation-split` on IDX data, with the real binary.
@Suite(.serialized, .enabled(if: IntegrationEnvironment.ready))
struct HeldOutTrainingTests {
    @Test("IDX data with --validation-split 0.1: Keras's fit split (3,200 train, the last 6,000 of 60,000 evaluated), val_loss and val_accuracy in the epoch lines and the history, the same sha256 at -np 1 and 2")
    func validationSplitOfArrays() throws {
        let history = TandemProcess.temporaryDirectory() + "/history.csv"
        var digests: [String] = []
        for ranks in [1, 2] {
            let outcome = TandemProcess.mpirun(ranks: ranks, ["train", "--validation-split", "0.1", "--limit", "3200", "--epochs", "1",
                                                              "--verbose", "2", "--history", history, "--checkpoint-dir", TandemProcess.temporaryDirectory()])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(outcome.lines.contains { $0.contains("(3,200 train, 6,000 validation)") }, "\(outcome.standardOutput)")
            #expect(outcome.lines.contains { $0.hasPrefix("Epoch 1/1") && $0.contains(" - val_loss: ") && $0.contains(" - val_accuracy: ") })
            #expect(outcome.lines.contains { $0.hasPrefix("Validation loss: ") && $0.hasSuffix("/6000)") })
            digests.append(try #require(outcome.digest))
        }
        #expect(Set(digests).count == 1, "\(digests)")
        let header = try String(contentsOfFile: history, encoding: .utf8).split(separator: "\n").first
        #expect(header == "epoch,accuracy,images_per_second,learning_rate,loss,seconds,val_accuracy,val_loss")
    }
}
