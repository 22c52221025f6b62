import Foundation
import TandemData
import TandemMPI
import TandemTraining
#if canImport(Glibc)
import Glibc
#endif

/// Decodes a folder of pictures into its caches where they are missing, stale or damaged, every rank
/// taking an equal share of the pictures: rank 0 starts each cache as a temporary file, every rank
/// writes its pictures into it, rank 0 seals it (CRC, fsync, rename). Ranks that do not see rank 0's
/// temporary file (hosts without a shared file system) leave the decoding to rank 0, and build their
/// own host's cache when they load. The waits are not timed by the stall watchdog: decoding may take
/// longer than --stall-timeout. A failure is reported once, by the lowest rank that met it, and every
/// rank ends. Returns the start-up report's words for the data; nil for other datasets.
func preparePictureCaches(_ dataset: any ImageDataset, communicator: Communicator) -> String? {
    guard let folders = dataset as? PictureFolders else { return nil }
    let trees = communicator.agree { try folders.trees() }
    var suffix = "\(getpid())"
    communicator.broadcast(string: &suffix, root: 0)
    var needed = communicator.agree { () -> String in
        guard communicator.isRoot else { return "" }
        let indices = try trees.indices.filter { try !folders.hasValidCache(trees[$0]) }
        for index in indices { try folders.beginCache(folders.cacheBuild(trees[index], temporarySuffix: suffix)) }
        return indices.map(String.init).joined(separator: ",")
    }
    communicator.broadcast(string: &needed, root: 0)
    let builds = needed.split(separator: ",").map { folders.cacheBuild(trees[Int($0)!], temporarySuffix: suffix) }
    let start = Date()
    if !builds.isEmpty {
        let seesAll = builds.allSatisfy { FileManager.default.fileExists(atPath: $0.temporary) } ? Int64(1) : 0
        let shared = communicator.allreduceMinimumAndMaximum(seesAll).minimum == 1
        let (part, parts) = shared ? (communicator.rank, communicator.size) : (0, 1)
        let total = builds.reduce(0) { $0 + $1.tree.files.count }
        let progress = DecodingProgress(total: total, isReporting: communicator.isRoot)
        let outcome = Result {
            guard part < parts, shared || communicator.isRoot else { return }
            var done = 0
            for build in builds {
                let share = shardRange(build.tree.files.count, part: part, of: parts)
                try folders.decode(share, of: build) { progress.update(done: (done + $0) * parts) }
                done += share.count
            }
        }
        communicator.barrierWithoutStallWatch()
        progress.finish()
        let failed = communicator.allreduceMinimumAndMaximum((try? outcome.get()) == nil ? 1 : 0).maximum == 1
        if failed, communicator.isRoot { for build in builds { unlink(build.temporary) } }
        communicator.agree {
            try outcome.get()
            if communicator.isRoot, !failed { for build in builds { try folders.finishCache(build) } }
        }
    }
    let seconds = Date().timeIntervalSince(start)
    let decoded = builds.reduce(0) { $0 + $1.tree.files.count }
    var unreadable = communicator.agree { () -> String in
        guard communicator.isRoot else { return "" }
        let files = try trees.flatMap { tree in try folders.unreadablePictures(tree).map { tree.root + "/" + $0 } }
        return files.isEmpty ? "" : ", \(Format.grouped(files.count)) unreadable picture\(files.count == 1 ? "" : "s") left out (\(files[0])\(files.count > 1 ? ", …" : ""))"
    }
    communicator.broadcast(string: &unreadable, root: 0)
    return "picture folders, \(trees[0].classes.count) classes (\(trees[0].classes.joined(separator: ", "))), "
        + (folders.isSplitByFolders ? "train/ and test/" : "validation split \(folders.validationSplit!) with Keras's seed \(folders.seed)")
        + (builds.isEmpty ? ", cached"
                          : ", decoded \(Format.grouped(decoded)) pictures in \(Format.fixed(seconds, 1)) s, \(Format.grouped(Int((Double(decoded) / max(seconds, 1e-9)).rounded()))) pictures/s")
        + unreadable
}

/// Rank 0's report while pictures are decoded: a line per 10% (with pictures/s), rewritten in place on
/// a terminal. Rank 0's own share stands for the whole: every rank has an equal share.
final class DecodingProgress {
    let total: Int
    let isReporting: Bool
    private let start = Date()
    private var reportedTenths = 0
    private let onTerminal = Terminal.standardOutputIsTerminal

    init(total: Int, isReporting: Bool) {
        self.total = total
        self.isReporting = isReporting
    }

    func update(done: Int) {
        guard isReporting, total > 0 else { return }
        let done = min(done, total), tenths = 10 * done / total
        guard tenths > reportedTenths else { return }
        reportedTenths = tenths
        let rate = Double(done) / max(Date().timeIntervalSince(start), 1e-9)
        let text = "Decoding pictures: \(10 * tenths)% (\(Format.grouped(done)) of \(Format.grouped(total))), \(Int(rate.rounded())) pictures/s"
        if onTerminal { print("\r" + text, terminator: "") } else { print(text) }
        fflush(nil)
    }

    func finish() {
        guard isReporting, onTerminal, reportedTenths > 0 else { return }
        print("")
        fflush(nil)
    }
}
