import Foundation
import TandemCore
import TandemData

/// `--history FILE.csv|FILE.jsonl`: one row per epoch, written by rank 0 after each epoch and flushed,
/// in the columns of Keras's `CSVLogger` (`epoch`, counted from 0 as Keras counts, then the metrics in
/// sorted order; `NA` where an epoch was not evaluated), or as JSON Lines. A resumed run keeps the rows
/// of the epochs its checkpoint holds and appends; rows of later epochs (from a run that went on past
/// the checkpoint it is resumed from) are dropped, so no epoch appears twice.
package final class TrainingHistory: TrainingObserver {
    package enum Format: Sendable { case csv, jsonLines }

    /// The columns, sorted as Keras sorts them: the evaluation's are `test_…`, or `val_…` for data held out.
    package static func columns(_ evaluationSet: EvaluationSet) -> [String] {
        ["epoch", "accuracy", "images_per_second", "learning_rate", "loss", "seconds",
         evaluationSet.metricPrefix + "_accuracy", evaluationSet.metricPrefix + "_loss"]
    }

    package let columns: [String]
    package let path: String
    package let format: Format
    private let handle: FileHandle

    /// Opens `path` for a run whose first new epoch is `completedEpochs + 1`; with `completedEpochs`
    /// 0 the file starts afresh. One line naming the file if it cannot be written or is not a history.
    package init(path: String, completedEpochs: Int, evaluationSet: EvaluationSet = .test) throws {
        self.path = path
        let columns = Self.columns(evaluationSet)
        self.columns = columns
        guard let format = Self.format(of: path) else {
            throw InputFileError(path: path, problem: "--history takes a .csv or .jsonl file")
        }
        self.format = format
        var kept = Data()
        if completedEpochs > 0, let existing = FileManager.default.contents(atPath: path) {
            kept = try Self.rows(of: existing, through: completedEpochs - 1, format: format, path: path, columns: columns)
        } else if format == .csv {
            kept = Data((columns.joined(separator: ",") + "\n").utf8)
        }
        // Written whole to a temporary file and renamed, so a crash here leaves the old history.
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: kept) else {
            throw InputFileError(path: path, problem: "cannot write the history file here")
        }
        guard rename(temporary, path) == 0 else { throw InputFileError(path: path, problem: "cannot replace the history file") }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw InputFileError(path: path, problem: "cannot open the history file for writing")
        }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    package static func format(of path: String) -> Format? {
        if path.hasSuffix(".csv") { return .csv }
        if path.hasSuffix(".jsonl") { return .jsonLines }
        return nil
    }

    /// The rows of `data` (a history file) for epochs 0…`last` (Keras's numbering), header included.
    package static func rows(of data: Data, through last: Int, format: Format, path: String,
                             columns: [String] = columns(.test)) throws -> Data {
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        var kept: [Substring] = []
        if format == .csv {
            guard let header = lines.first, header == columns.joined(separator: ",") else {
                throw InputFileError(path: path, problem: "is not a Tandem history of this run (its header is not \(columns.joined(separator: ",")))")
            }
            kept.append(header)
            lines.removeFirst()
        }
        for line in lines {
            let epochText: Substring
            switch format {
            case .csv: epochText = line.prefix(while: { $0 != "," })
            case .jsonLines:
                guard let range = line.range(of: "\"epoch\":") else {
                    throw InputFileError(path: path, problem: "has a line without an epoch: \(line.prefix(60))")
                }
                epochText = line[range.upperBound...].prefix(while: \.isNumber)
            }
            guard let epoch = Int(epochText) else {
                throw InputFileError(path: path, problem: "has a row whose epoch is not a number: \(line.prefix(60))")
            }
            if epoch <= last { kept.append(line) }
        }
        return Data(kept.map { $0 + "\n" }.joined().utf8)
    }

    /// The row of one epoch, columns as `columns` (the learning rate as its float's shortest decimal).
    static func values(_ report: EpochReport) -> [Double?] {
        [Double(report.epoch - 1), report.accuracy, report.imagesPerSecond, Double("\(report.learningRate)"), report.loss,
         report.seconds, report.evaluation?.accuracy, report.evaluation?.meanLoss]
    }

    package func epochEnded(_ report: EpochReport) {
        let values = Self.values(report)
        func text(_ value: Double?, column: Int) -> String {
            guard let value else { return format == .csv ? "NA" : "null" }
            if column == 0 { return "\(Int(value))" }
            return value.isFinite ? "\(value)" : (format == .csv ? "\(value)" : "null")
        }
        let line: String
        switch format {
        case .csv:
            line = values.enumerated().map { text($1, column: $0) }.joined(separator: ",")
        case .jsonLines:
            line = "{" + zip(columns, values).enumerated().map { "\"\($1.0)\":" + text($1.1, column: $0) }.joined(separator: ",") + "}"
        }
        handle.write(Data((line + "\n").utf8))
        try? handle.synchronize()
    }
}
