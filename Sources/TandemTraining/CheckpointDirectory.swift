import Foundation
import TandemData

/// The checkpoints of one run in one directory: how they are named, which is the newest that passes
/// every check, and which to delete when only the newest K are kept.
///
/// Names give the progress they hold, so that order needs no file opened: `tandem-epoch-007.ckpt` after
/// 7 whole epochs, `tandem-epoch-007-step-000450.ckpt` 450 steps into the 8th (written by
/// `--checkpoint-every` and on preemption).
package enum CheckpointDirectory {
    /// Training progress: whole epochs done, then steps into the next one.
    package struct Progress: Comparable, Sendable, CustomStringConvertible {
        package let epochs: Int
        package let steps: Int
        package init(epochs: Int, steps: Int) { self.epochs = epochs; self.steps = steps }
        package static func < (a: Progress, b: Progress) -> Bool { (a.epochs, a.steps) < (b.epochs, b.steps) }
        package var description: String { steps == 0 ? "epoch \(epochs)" : "epoch \(epochs) + \(steps) steps" }
    }

    package static func fileName(_ progress: Progress) -> String {
        func padded(_ value: Int, _ width: Int) -> String { String(repeating: "0", count: max(0, width - String(value).count)) + "\(value)" }
        let epoch = "tandem-epoch-" + padded(progress.epochs, 3)
        return (progress.steps == 0 ? epoch : epoch + "-step-" + padded(progress.steps, 6)) + "." + Checkpoint.fileExtension
    }

    /// The progress a checkpoint's name gives, or nil if the name is not a Tandem checkpoint's.
    package static func progress(ofFileName name: String) -> Progress? {
        guard name.hasPrefix("tandem-epoch-"), name.hasSuffix("." + Checkpoint.fileExtension) else { return nil }
        let stem = name.dropFirst("tandem-epoch-".count).dropLast(Checkpoint.fileExtension.count + 1)
        let parts = stem.components(separatedBy: "-step-")
        guard let epochs = Int(parts[0]), epochs >= 0 else { return nil }
        if parts.count == 1 { return Progress(epochs: epochs, steps: 0) }
        guard parts.count == 2, let steps = Int(parts[1]), steps > 0 else { return nil }
        return Progress(epochs: epochs, steps: steps)
    }

    /// The directory's checkpoints, newest first.
    package static func checkpoints(in directory: String) -> [(name: String, progress: Progress)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name in progress(ofFileName: name).map { (name, $0) } }.sorted { $0.progress > $1.progress }
    }

    /// The newest checkpoint in `directory` that reads and passes every check; each newer one that does
    /// not is passed to `skipped` with the reason. Nil if the directory holds no checkpoint at all; an
    /// error if it holds some and none is usable (starting afresh would silently lose the run).
    package static func newestValid(in directory: String, optimizerState: Bool = true,
                                    skipped: (InputFileError) -> Void) throws -> (path: String, checkpoint: Checkpoint)? {
        let candidates = checkpoints(in: directory)
        guard !candidates.isEmpty else { return nil }
        for candidate in candidates {
            let path = directory + "/" + candidate.name
            do {
                return (path, try Checkpoint.read(from: path, optimizerState: optimizerState))
            } catch let error as InputFileError {
                skipped(error)
            }
        }
        throw InputFileError(path: directory, problem: "none of its \(candidates.count) checkpoints can be used (each is reported above); move them away to start afresh")
    }

    /// The checkpoints to delete so that only the newest `keep` remain (the newest is always kept).
    package static func beyond(keep: Int, in directory: String) -> [String] {
        checkpoints(in: directory).dropFirst(max(keep, 1)).map { directory + "/" + $0.name }
    }

    /// Creates the directory (rank 0) and checks that it can be written, before training starts.
    package static func prepare(_ path: String, isRoot: Bool) throws {
        guard isRoot else { return }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw InputFileError(path: path, problem: "cannot create checkpoint directory")
        }
        guard FileManager.default.isWritableFile(atPath: path) else {
            throw InputFileError(path: path, problem: "checkpoint directory is not writable")
        }
    }
}
