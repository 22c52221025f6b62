import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import TandemCore
import TandemData
import TandemMPI
import TandemTraining

extension AllreduceAlgorithm: ExpressibleByArgument {}

/// `--convolution auto|im2col|winograd`.
enum ConvolutionChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, im2col, winograd
    var algorithm: ConvolutionAlgorithm? {
        switch self {
        case .auto: nil
        case .im2col: .im2col
        case .winograd: .winograd
        }
    }
}

struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: ArgumentHelp(
        "Directory with the four IDX files (train/t10k images and labels, .gz or plain).", valueName: "dir"))
    var directory: String = DatasetDirectory.defaultPath

    func validate() throws {
        if directory.isEmpty { throw ValidationError("--data must name a directory") }
    }

    /// The dataset, its labels checked against the model's `classCount` classes.
    func dataset(classCount: Int) -> DatasetDirectory { DatasetDirectory(path: directory, classCount: classCount) }
}

/// `--limit`, for the commands that read the training set.
struct TrainingSubsetOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Use only the first N training images (for quick runs).", valueName: "n"))
    var limit: Int?

    func validate() throws {
        if let limit, limit <= 0 { throw ValidationError("--limit must be a positive number of images, not \(limit)") }
    }

    /// The first `limit` of a file's `count` images.
    func range(count: Int) -> Range<Int> { 0..<min(limit ?? count, count) }
}

/// `--model`, for the commands that build a model rather than read one from a checkpoint.
struct ModelChoiceOptions: ParsableArguments {
    @Option(name: .customLong("model"), help: ArgumentHelp(
        "A built-in model (tutorial, the default) or a Keras model description: the JSON of model.to_json(), or a .keras archive's config.json.",
        valueName: "name|file"))
    var nameOrPath: String?

    /// The description (the tutorial's by default), or one line saying why not.
    func description() throws -> ModelDescription { try ModelDescription.named(nameOrPath ?? "tutorial") }
}

struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("How 3x3 convolutions are computed: auto (Winograd where it applies), im2col or winograd.",
                               valueName: "kind"))
    var convolution: ConvolutionChoice = .auto
}

struct DistributedOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "How the ranks' exact fixed-point sums are added: mpi (MPI_Allreduce) or tree (Tandem's own; picks tree-doubling or tree-halving). All give the same bits.",
        valueName: "kind"))
    var allreduce: AllreduceAlgorithm = .tree

    @Option(help: ArgumentHelp("BLAS threads per rank.", valueName: "n"))
    var blasThreads: Int = 1

    @Option(help: ArgumentHelp("End the job if one collective waits longer than this many seconds (0: never).",
                               valueName: "seconds"))
    var stallTimeout: Double = 300

    func validate() throws {
        if blasThreads < 1 { throw ValidationError("--blas-threads must be at least 1, not \(blasThreads)") }
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
}

/// Prints on rank 0 only, flushed at once so that lines arrive through mpirun as they happen.
struct Console {
    let communicator: Communicator

    func line(_ text: String = "") {
        guard communicator.isRoot else { return }
        print(text)
        fflush(nil)
    }

    func warning(_ text: String) {
        guard communicator.isRoot else { return }
        StandardError.write("tandem: warning: \(text)")
    }
}

/// Formats numbers for reports without Foundation's locale machinery.
enum Format {
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (abs(value) * scale).rounded()
        let integer = Int(rounded / scale)
        var fraction = String(Int(rounded - Double(integer) * scale))
        while fraction.count < digits { fraction = "0" + fraction }
        return (value < 0 && rounded > 0 ? "-" : "") + "\(integer)" + (digits > 0 ? "." + fraction : "")
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(abs(value))
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
            result.append(character)
        }
        return (value < 0 ? "-" : "") + result
    }
}
