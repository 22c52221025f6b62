import Foundation
import TandemData
import TandemMPI
#if canImport(Glibc)
import Glibc
#endif

/// Decodes a folder of pictures into its caches where they are missing, stale or damaged, every rank
/// taking an equal share of the pictures: rank 0 starts each cache as a temporary file, every rank
/// writes its pictures into it, rank 0 seals it (CRC, fsync, rename). Ranks that do not see rank 0's
/// temporary file (hosts without a shared file system) leave the decoding to rank 0, and build their
/// own host's cache when they load. The waits are not timed by the stall watchdog: decoding may take
/// longer than --stall-timeout. A failure throws a `StartupFailure` on every rank. `progress` is called on rank 0 as its share is decoded with (pictures done over all ranks,
/// pictures in all, seconds so far): every rank has an equal share. Returns the start-up report's words
/// for the data; nil for other datasets.
package func preparePictureCaches(_ dataset: any ImageDataset, communicator: Communicator,
                                  progress: ((_ done: Int, _ total: Int, _ seconds: Double) -> Void)? = nil) throws -> String? {
    guard let folders = dataset as? PictureFolders else { return nil }
    let trees = try communicator.agreeing { try folders.trees() }
    var suffix = "\(getpid())"
    communicator.broadcast(string: &suffix, root: 0)
    var needed = try communicator.agreeing { () -> String in
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
        let report = communicator.isRoot ? progress : nil
        let outcome = Result {
            guard part < parts, shared || communicator.isRoot else { return }
            var done = 0
            for build in builds {
                let share = shardRange(build.tree.files.count, part: part, of: parts)
                try folders.decode(share, of: build) { report?(min((done + $0) * parts, total), total, Date().timeIntervalSince(start)) }
                done += share.count
            }
        }
        communicator.barrierWithoutStallWatch()
        let failed = communicator.allreduceMinimumAndMaximum((try? outcome.get()) == nil ? 1 : 0).maximum == 1
        if failed, communicator.isRoot { for build in builds { unlink(build.temporary) } }
        try communicator.agreeing {
            try outcome.get()
            if communicator.isRoot, !failed { for build in builds { try folders.finishCache(build) } }
        }
    }
    let seconds = Date().timeIntervalSince(start)
    let decoded = builds.reduce(0) { $0 + $1.tree.files.count }
    var unreadable = try communicator.agreeing { () -> String in
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
