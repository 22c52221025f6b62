import TandemCore
import TandemData

/// Where a run's images come from and how they are read: a directory of IDX files, a NumPy `.npz`, or a
/// folder of class folders of pictures (Keras's `image_dataset_from_directory`), with the part of the
/// training data held out for validation.
package struct DataSource: Sendable {
    package var path: String
    /// The fraction of the training data evaluated each epoch instead of the test set.
    package var validationSplit: Double?
    /// For picture folders: the class folders in label order (nil: all, sorted).
    package var classes: [String]?
    /// For picture folders: where the decoded caches go (nil: beside the pictures).
    package var cacheDirectory: String?
    package var interpolation = PictureSettings.Interpolation.bilinear
    package var aspectRatio = PictureSettings.AspectRatio.stretch
    package var skipsUnreadablePictures = false
    /// For picture folders: Keras's `color_mode`, checked against the model's input channels; nil: the model's.
    package var colourMode: PictureSettings.ColourMode?

    package init(path: String = DatasetDirectory.defaultPath) { self.path = path }

    package var isPictureFolders: Bool { PictureFolders.holdsPictureFolders(path) }

    /// The dataset for `model`, its labels checked against the model's classes; `seed` chooses a
    /// picture folder's validation files (Keras's `seed`).
    package func dataset(for model: Model, seed: UInt64) throws -> any ImageDataset {
        guard isPictureFolders else {
            let arrays = openDataset(path, classCount: model.classCount)
            return validationSplit.map { HeldOutTrainingData(base: arrays, fraction: $0) } ?? arrays
        }
        guard seed <= UInt64(UInt32.max) else {
            throw UsageError("--seed \(seed) is beyond Keras's seeds (below 2^32), which choose a picture folder's validation files")
        }
        let shape = model.inputShape
        if let colourMode, colourMode.channels != shape.channels {
            throw UsageError("--color-mode \(colourMode.rawValue) gives \(colourMode.channels) channel\(colourMode.channels == 1 ? "" : "s"); the model's input is \(shape.height)x\(shape.width)x\(shape.channels)")
        }
        return PictureFolders(path: path, height: shape.height, width: shape.width, channels: shape.channels,
                              classCount: model.classCount, validationSplit: validationSplit, seed: UInt32(seed),
                              classes: classes, cacheDirectory: cacheDirectory, interpolation: interpolation, aspectRatio: aspectRatio,
                              skipsUnreadablePictures: skipsUnreadablePictures)
    }
}
