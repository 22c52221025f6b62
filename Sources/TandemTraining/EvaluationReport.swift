import Foundation
import TandemData

/// `tandem evaluate --report`: per-class precision, recall, F1 and support (as scikit-learn's
/// `classification_report` lays them out), the confusion matrix and top-k accuracy; as text or JSON.
package struct EvaluationReport {
    package let evaluation: Evaluation
    package let classNames: [String]
    package let topK: [Int]

    package init(evaluation: Evaluation, classNames: [String], topK: Int) {
        self.evaluation = evaluation
        self.classNames = classNames
        self.topK = Array(Set([1, min(2, evaluation.classCount), min(topK, evaluation.classCount)])).sorted()
    }

    package struct ClassScores: Sendable {
        package let precision: Double, recall: Double, f1: Double, support: Int
    }

    /// Precision is 0 for a class never predicted, as scikit-learn's `zero_division=0`.
    package var scores: [ClassScores] {
        let correct = evaluation.correctByClass, seen = evaluation.seenByClass, predicted = evaluation.predictedByClass
        return (0..<evaluation.classCount).map { label in
            let precision = predicted[label] > 0 ? Double(correct[label]) / Double(predicted[label]) : 0
            let recall = seen[label] > 0 ? Double(correct[label]) / Double(seen[label]) : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            return ClassScores(precision: precision, recall: recall, f1: f1, support: seen[label])
        }
    }

    package var text: String {
        let scores = self.scores, total = evaluation.seen
        let nameWidth = max(12, classNames.map(\.count).max() ?? 0)
        func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        func row(_ name: String, _ values: [String]) -> String { pad(name, nameWidth) + values.map { pad($0, 11) }.joined() }
        var lines = [row("", ["precision", "recall", "f1-score", "support"])]
        for (label, score) in scores.enumerated() {
            lines.append(row(classNames[label], [Format.fixed(score.precision, 4), Format.fixed(score.recall, 4),
                                                 Format.fixed(score.f1, 4), "\(score.support)"]))
        }
        lines.append("")
        lines.append(row("accuracy", ["", "", Format.fixed(evaluation.accuracy, 4), "\(total)"]))
        func mean(_ value: (ClassScores) -> Double, weighted: Bool) -> String {
            let sum = scores.reduce(0.0) { $0 + value($1) * (weighted ? Double($1.support) : 1) }
            return Format.fixed(sum / (weighted ? Double(total) : Double(scores.count)), 4)
        }
        for (name, weighted) in [("macro avg", false), ("weighted avg", true)] {
            lines.append(row(name, [mean(\.precision, weighted: weighted), mean(\.recall, weighted: weighted),
                                    mean(\.f1, weighted: weighted), "\(total)"]))
        }
        lines.append("")
        lines.append(topK.map { "top-\($0) accuracy: \(Format.fixed(evaluation.topKAccuracy($0), 4))" }.joined(separator: " - "))
        lines.append("")
        lines.append("Confusion matrix (rows: true class, columns: predicted class, in the order above):")
        let cellWidth = max(5, String(evaluation.confusion.flatMap { $0 }.max() ?? 0).count + 1)
        lines.append(pad("", nameWidth + 2) + (0..<evaluation.classCount).map { pad("\($0)", cellWidth) }.joined())
        for (label, counts) in evaluation.confusion.enumerated() {
            let name = "\(label) " + classNames[label]
            lines.append(name + String(repeating: " ", count: max(0, nameWidth + 2 - name.count)) + counts.map { pad("\($0)", cellWidth) }.joined())
        }
        return lines.joined(separator: "\n")
    }

    /// The result for machines: accuracy and loss, and with `full` the per-class scores, confusion
    /// matrix and top-k accuracy.
    package func json(checkpoint: String, full: Bool, parameterDigest: String) -> String {
        let classes: [[String: Any]] = scores.enumerated().map { label, score in
            ["class": label, "name": classNames[label], "precision": score.precision, "recall": score.recall,
             "f1": score.f1, "support": score.support]
        }
        var object: [String: Any] = [
            "checkpoint": checkpoint,
            "parameters_sha256": parameterDigest,
            "samples": evaluation.seen,
            "correct": evaluation.correct,
            "accuracy": evaluation.accuracy,
            "loss": evaluation.meanLoss.isFinite ? evaluation.meanLoss : NSNull(),
        ]
        if full {
            object["classes"] = classes
            object["confusion_matrix"] = evaluation.confusion
            object["top_k_accuracy"] = Dictionary(uniqueKeysWithValues: topK.map { ("\($0)", evaluation.topKAccuracy($0)) })
        }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

package enum ClassNames {
    /// The names in `file` (one per line, as many as the model's classes), the checkpoint's `stored`
    /// names, Fashion-MNIST's where `isFashionMNIST`, or `class 0`, `class 1`, ….
    package static func resolve(file: String?, stored: [String]?, classCount: Int, isFashionMNIST: Bool) throws -> [String] {
        guard let file else {
            if let stored, stored.count == classCount { return stored }
            if isFashionMNIST, classCount == FashionMNIST.classNames.count { return FashionMNIST.classNames }
            return (0..<classCount).map { "class \($0)" }
        }
        guard let data = FileManager.default.contents(atPath: file), data.count <= 1 << 20 else {
            throw InputFileError(path: file, problem: "cannot be read (or is over 1 MiB)")
        }
        var names = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        if names.last?.isEmpty == true { names.removeLast() }
        guard names.count == classCount, !names.contains(where: \.isEmpty) else {
            throw InputFileError(path: file, problem: "has \(names.count) lines (some empty?); the model has \(classCount) classes, one name per line")
        }
        return names
    }
}
