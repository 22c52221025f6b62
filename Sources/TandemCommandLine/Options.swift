import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import TandemCore
import TandemData
import TandemMPI
import TandemTraining

extension AllreduceAlgorithm: ExpressibleByArgument {}
extension LearningRateSchedule: ExpressibleByArgument {}
extension OptimizerSettings.Kind: ExpressibleByArgument {}
extension PictureSettings.Interpolation: ExpressibleByArgument {}
extension PictureSettings.ColourMode: ExpressibleByArgument {}

/// `--convolution auto|im2col|winograd|winograd4x4|taps`.
enum ConvolutionChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, im2col, winograd, winograd4x4, taps
    var algorithm: ConvolutionAlgorithm? {
        switch self {
        case .auto: nil
        case .im2col: .im2col
        case .winograd: .winograd
        case .winograd4x4: .winograd4x4
        case .taps: .taps
        }
    }
}

struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: ArgumentHelp(
        "A directory with the four IDX files (train/t10k images and labels, .gz or plain); a NumPy .npz with x_train, y_train, x_test, y_test; or a folder of class folders of PNG, JPEG, BMP or GIF pictures, as Keras's image_dataset_from_directory reads them (DIR/train/<class>/ and DIR/test/<class>/, or one tree with --validation-split).",
        valueName: "dir|file.npz"))
    var directory: String = DatasetDirectory.defaultPath

    @Option(help: ArgumentHelp(
        "The fraction of the training data held out and evaluated each epoch (val_loss, val_accuracy) instead of the test set: for one tree of class folders the pictures Keras's image_dataset_from_directory(validation_split=F, seed=--seed) holds out; for IDX and .npz data the last samples, as Keras's fit(validation_split=F).",
        valueName: "F"))
    var validationSplit: Double?

    @Option(help: ArgumentHelp("The class folders to use, in label order (default: every folder, sorted by name).", valueName: "a,b,c"))
    var classes: String?

    @Option(help: ArgumentHelp("Where picture folders' decoded caches go (default: beside the pictures).", valueName: "dir"))
    var cacheDir: String?

    @Option(help: ArgumentHelp("How pictures are resized to the model's input, as Keras's image_dataset_from_directory (tf.image.resize).",
                               valueName: "bilinear|nearest"))
    var interpolation: PictureSettings.Interpolation = .bilinear

    @Flag(help: "Crop each picture to the model's aspect ratio (centred) before resizing, as Keras's crop_to_aspect_ratio.")
    var cropToAspectRatio = false

    @Flag(help: "Fit each picture inside the model's input and pad it with zeros, as Keras's pad_to_aspect_ratio.")
    var padToAspectRatio = false

    @Flag(help: "Leave out pictures that cannot be read (counted in the start-up report) instead of stopping at the first.")
    var skipBadImages = false

    /// Keras's `color_mode`; the model's input channels decide it, so the flag only checks them.
    @Option(name: .customLong("color-mode"), help: ArgumentHelp(
        "Keras's color_mode for pictures (default: what the model's input channels ask, 1, 3 or 4); given, it must agree with them.",
        valueName: "grayscale|rgb|rgba"))
    var colourMode: PictureSettings.ColourMode?

    func validate() throws {
        if directory.isEmpty { throw ValidationError("--data must name a directory or a .npz file") }
        if let validationSplit, !(validationSplit > 0 && validationSplit < 1) {
            throw ValidationError("--validation-split must be a fraction between 0 and 1, not \(validationSplit)")
        }
        if cropToAspectRatio && padToAspectRatio {
            throw ValidationError("--crop-to-aspect-ratio and --pad-to-aspect-ratio: choose one")
        }
        if let classes, classes.split(separator: ",", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            throw ValidationError("--classes must be folder names separated by commas, not '\(classes)'")
        }
        if !PictureFolders.holdsPictureFolders(directory) {
            for (flag, given) in [("--classes", classes != nil), ("--cache-dir", cacheDir != nil), ("--interpolation", interpolation != .bilinear),
                                  ("--crop-to-aspect-ratio", cropToAspectRatio), ("--pad-to-aspect-ratio", padToAspectRatio),
                                  ("--skip-bad-images", skipBadImages), ("--color-mode", colourMode != nil)] where given {
                throw ValidationError("\(flag) is for a folder of class folders of pictures; \(directory) is not one")
            }
        }
    }

    /// The data as the library takes it.
    var source: DataSource {
        var source = DataSource(path: directory)
        source.validationSplit = validationSplit
        source.classes = classes.map { $0.split(separator: ",").map(String.init) }
        source.cacheDirectory = cacheDir
        source.interpolation = interpolation
        source.aspectRatio = cropToAspectRatio ? .crop : padToAspectRatio ? .pad : .stretch
        source.skipsUnreadablePictures = skipBadImages
        source.colourMode = colourMode
        return source
    }
}

/// `--limit`, for the commands that read the training set.
struct TrainingSubsetOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Use only the first N training images (for quick runs).", valueName: "n"))
    var limit: Int?

    func validate() throws {
        if let limit, limit <= 0 { throw ValidationError("--limit must be a positive number of images, not \(limit)") }
    }
}

/// `--model`, for the commands that build a model rather than read one from a checkpoint.
struct ModelChoiceOptions: ParsableArguments {
    @Option(name: .customLong("model"), help: ArgumentHelp(
        "A built-in model (tutorial, the default; fashion-strong; fashion-resnet) or a Keras model description: the JSON of model.to_json() or a .keras archive's config.json, or the .keras archive itself.",
        valueName: "name|file"))
    var nameOrPath: String?

    var source: ModelSource { ModelSource(nameOrPath) }

    /// The model (the tutorial's by default), or one line saying why not.
    func model(convolution: ConvolutionAlgorithm?) throws -> Model { try source.model(convolution: convolution) }
}

/// `--convolution`, for the commands that build a model.
struct ConvolutionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("How convolutions are computed: auto (by layer: tap by tap where at least half of the multiplies would meet padding, as a 3x3 kernel on a 2x2 plane; Winograd F(4x4) or F(2x2) where it applies; im2col elsewhere), im2col, winograd (F(2x2,3x3)), winograd4x4 (F(4x4,3x3)) or taps (one product per kernel tap). winograd and winograd4x4 apply to 3x3 stride-1 layers; other layers then use im2col.",
                               valueName: "kind"))
    var convolution: ConvolutionChoice = .auto

    /// What the layers are built with (nil: each layer's own choice).
    var algorithm: ConvolutionAlgorithm? { convolution.algorithm }
}

struct DistributedOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "How the ranks' exact fixed-point sums are added: mpi (MPI_Allreduce) or tree (Tandem's own; picks tree-doubling or tree-halving). All give the same bits.",
        valueName: "kind"))
    var allreduce: AllreduceAlgorithm = .tree

    @Option(help: ArgumentHelp(
        "Threads per rank, each taking whole micro-batches (the same bits at any count); auto: the cores the rank may use (1 under mpirun --bind-to core).",
        valueName: "n|auto"))
    var threads: ThreadCount = .count(1)

    @Option(help: ArgumentHelp("OpenBLAS threads inside one worker (only with --threads 1).", valueName: "n"))
    var blasThreads: Int = 1

    @Option(help: ArgumentHelp("End the job if one collective waits longer than this many seconds (0: never).",
                               valueName: "seconds"))
    var stallTimeout: Double = 300

    func validate() throws {
        if blasThreads < 1 { throw ValidationError("--blas-threads must be at least 1, not \(blasThreads)") }
        if case let .count(count) = threads, count < 1 { throw ValidationError("--threads must be at least 1 or auto, not \(count)") }
        if blasThreads > 1 && threads != .count(1) {
            throw ValidationError("--blas-threads \(blasThreads) and --threads: choose one (each thread runs OpenBLAS single-threaded)")
        }
        if stallTimeout < 0 { throw ValidationError("--stall-timeout must not be negative") }
    }

    /// MPI when started by a launcher (mpirun, srun), a single process otherwise.
    func makeCommunicator() -> Communicator {
        BLASThreads.set(blasThreads)
        if LaunchEnvironment.isUnderLauncher {
            return MPICommunicator(stallTimeout: stallTimeout > 0 ? stallTimeout : nil)
        }
        return SingleProcessCommunicator()
    }

    /// The rank's threads.
    func makeThreads() -> WorkerThreads { WorkerThreads(count: threads.resolved) }
}

/// `--threads n|auto`.
enum ThreadCount: ExpressibleByArgument, Equatable {
    case count(Int)
    case auto

    init?(argument: String) {
        if argument == "auto" { self = .auto } else if let count = Int(argument) { self = .count(count) } else { return nil }
    }

    var resolved: Int {
        switch self {
        case let .count(count): count
        case .auto: ProcessHost.usableCoreCount
        }
    }

    var defaultValueDescription: String { "1" }
}

/// `--micro-batch`, for the commands that train.
struct MicroBatchOptions: ParsableArguments {
    @Option(name: .customLong("micro-batch"), help: ArgumentHelp(
        "Samples per canonical micro-batch: the unit whose gradient is rounded to fixed point once, so part of the result (the same weights at any rank and thread count for one value). (default: chosen from the model and the global batch, or the checkpoint's)",
        valueName: "m"))
    var size: Int?

    func validate() throws {
        if let size, size < 1 { throw ValidationError("--micro-batch must be at least 1, not \(size)") }
    }
}

/// The optimiser and learning-rate flags. Each is optional: a fresh run takes Keras's default for
/// what is not given; a resumed run takes the checkpoint's recipe, and refuses a flag that disagrees.
struct RecipeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("adam, adamw, sgd or rmsprop. (default: the model's compile_config, adam, or the checkpoint's)", valueName: "kind"))
    var optimizer: OptimizerSettings.Kind?

    @Option(help: ArgumentHelp("The learning rate (for the reference batch of 32 when scaled). (default: 0.001)", valueName: "rate"))
    var learningRate: Float?

    @Option(help: ArgumentHelp("Scale the learning rate with the global batch relative to 32: none, linear or sqrt (weak scaling). (default: none)",
                               valueName: "rule"))
    var lrScaling: LearningRateScaling?

    @Option(help: ArgumentHelp("Ramp the learning rate linearly up to its scaled value over this many epochs. (default: 0)", valueName: "epochs"))
    var warmupEpochs: Double?

    @Option(help: ArgumentHelp("After the warm-up: constant, or cosine (decay to 0 at the last epoch, as Keras's CosineDecay). (default: constant)",
                               valueName: "kind"))
    var schedule: LearningRateSchedule?

    @Option(help: ArgumentHelp("AdamW's decoupled weight decay. (default: 0.004, Keras's)", valueName: "rate"))
    var weightDecay: Float?

    @Option(help: ArgumentHelp("SGD's and RMSprop's momentum. (default: 0)", valueName: "m"))
    var momentum: Float?

    @Flag(help: "SGD with Nesterov momentum.")
    var nesterov = false

    @Option(help: ArgumentHelp("RMSprop's discount of past squared gradients. (default: 0.9)", valueName: "rho"))
    var rho: Float?

    @Option(help: ArgumentHelp("Keras's label_smoothing: train towards (1 - s) on the label and s / classes on every class. (default: the model's compile_config, or 0)",
                               valueName: "s"))
    var labelSmoothing: Float?

    func validate() throws {
        if let learningRate, !(learningRate > 0) || !learningRate.isFinite {
            throw ValidationError("--learning-rate must be a positive number, not \(learningRate)")
        }
        if let warmupEpochs, warmupEpochs < 0 || !warmupEpochs.isFinite {
            throw ValidationError("--warmup-epochs must be 0 or more, not \(warmupEpochs)")
        }
        if let weightDecay, !(weightDecay >= 0) || !weightDecay.isFinite { throw ValidationError("--weight-decay must be 0 or more") }
        if let momentum, !(0...1).contains(momentum) { throw ValidationError("--momentum must be in 0…1, not \(momentum)") }
        if let rho, !(0..<1).contains(rho) { throw ValidationError("--rho must be in [0, 1), not \(rho)") }
        if let labelSmoothing, !(0..<1).contains(labelSmoothing) {
            throw ValidationError("--label-smoothing must be in [0, 1), not \(labelSmoothing)")
        }
    }

    /// The flags as the library takes them.
    var overrides: RecipeOverrides {
        var overrides = RecipeOverrides()
        overrides.optimizer = optimizer
        overrides.learningRate = learningRate
        overrides.learningRateScaling = lrScaling
        overrides.warmupEpochs = warmupEpochs
        overrides.schedule = schedule
        overrides.weightDecay = weightDecay
        overrides.momentum = momentum
        overrides.nesterov = nesterov
        overrides.rho = rho
        overrides.labelSmoothing = labelSmoothing
        return overrides
    }
}

/// `--class-names FILE`, for the commands that name classes.
struct ClassNameOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Class names, one per line in label order (default: the checkpoint's, from its folders of pictures; Fashion-MNIST's for its data; otherwise class 0, class 1, …).",
                               valueName: "file"))
    var classNames: String?
}

extension TrainingRequest {
    /// The settings `train` and `bench` take alike.
    init(model: ModelChoiceOptions, convolution: ConvolutionOptions, data: DataOptions, subset: TrainingSubsetOptions,
         microBatch: MicroBatchOptions, recipe: RecipeOptions, distributed: DistributedOptions) {
        self.init()
        self.model = model.nameOrPath.map(ModelSource.init)
        self.convolution = convolution.algorithm
        self.data = data.source
        limit = subset.limit
        microBatchSize = microBatch.size
        self.recipe = recipe.overrides
        allreduce = distributed.allreduce
    }
}
