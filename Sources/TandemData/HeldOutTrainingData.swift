/// `--validation-split F` on IDX or `.npz` data, as Keras's `fit(validation_split=F)`: the training
/// arrays' last samples, from `floor(n · (1 − F))` on and not shuffled, are held out and evaluated each
/// epoch instead of the test set (as `val_loss`, `val_accuracy`); the rest train (`--limit` then takes
/// the first of those). The test set is not read.
package struct HeldOutTrainingData: ImageDataset {
    package let base: any ImageDataset
    package let fraction: Double

    package init(base: any ImageDataset, fraction: Double) {
        self.base = base
        self.fraction = fraction
    }

    package var path: String { base.path }
    package var evaluationSet: EvaluationSet { .validation }
    package func validate() throws { try base.validate() }

    /// Where the held-out samples of `count` training samples begin: Keras's `split_at`
    /// (`int(math.floor(n * (1.0 - F)))` in `train_validation_split`, the same float64 arithmetic).
    package static func splitPoint(count: Int, fraction: Double) -> Int {
        Int((Double(count) * (1 - fraction)).rounded(.down))
    }

    package func load(_ split: DatasetSplit, keeping: ((Int) -> Range<Int>)?) throws -> LabeledImages {
        var splitAt = 0, count = 0
        let images = try base.load(.train) { total in
            count = total
            splitAt = Self.splitPoint(count: total, fraction: fraction)
            if split == .train { return keeping?(splitAt) ?? 0..<splitAt }
            let kept = keeping?(total - splitAt) ?? 0..<(total - splitAt)
            return splitAt + kept.lowerBound..<splitAt + kept.upperBound
        }
        guard splitAt > 0, splitAt < count else {
            throw InputFileError(path: path, problem: "--validation-split \(fraction) of \(count) training images leaves \(splitAt) to train on and \(count - splitAt) to evaluate")
        }
        return split == .train ? images.renumbered(firstIndex: images.firstIndex, fileCount: splitAt)
                               : images.renumbered(firstIndex: images.firstIndex - splitAt, fileCount: count - splitAt)
    }
}
