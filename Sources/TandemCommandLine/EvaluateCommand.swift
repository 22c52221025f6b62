import ArgumentParser
import Foundation
import TandemCore
import TandemData
import TandemMPI
import TandemTraining

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a checkpoint on the test set (sharded across ranks and threads in the checkpoint's micro-batches; the same result at any count).")

    @Option(help: ArgumentHelp("A checkpoint file, or a directory (its newest checkpoint).", valueName: "path"))
    var checkpoint: String

    @OptionGroup var data: DataOptions
    @OptionGroup var convolution: ConvolutionOptions
    @OptionGroup var distributed: DistributedOptions

    @Flag(help: "Per-class precision, recall, F1 and support, the confusion matrix and top-k accuracy.")
    var report = false

    @Flag(help: "Print the result (with --report: the whole report) as one JSON object.")
    var json = false

    @Option(help: ArgumentHelp("The k of the top-k accuracy in the report (top-1 and top-2 are always given).", valueName: "k"))
    var topK = 5

    @OptionGroup var classNames: ClassNameOptions

    func validate() throws {
        if topK < 1 { throw ValidationError("--top-k must be at least 1, not \(topK)") }
    }

    func run() throws {
        let communicator = distributed.makeCommunicator()
        let console = Console(communicator: communicator)
        let restored = RestoredRun.restore(checkpoint, convolution: convolution.algorithm, optimizerState: false, communicator: communicator)
        let decoding = DecodingProgress()
        let (evaluator, set): (Evaluator, EvaluationSet)
        do {
            (evaluator, set) = try restored.evaluator(on: data.source, communicator: communicator, threads: distributed.makeThreads(),
                                                      decodingProgress: decoding.update)
        } catch {
            communicator.end(after: error)
        }
        decoding.finish()
        let classNames = self.classNames, dataPath = data.directory
        let names = communicator.agree {
            try ClassNames.resolve(file: classNames.classNames, stored: restored.data.classNames, classCount: restored.model.classCount,
                                   isFashionMNIST: dataPath.lowercased().contains("fashion"))
        }
        let start = monotonicSeconds()
        let evaluation = evaluator.evaluate(parameters: restored.state.parameters.pointer)
        let seconds = monotonicSeconds() - start
        let report = EvaluationReport(evaluation: evaluation, classNames: names, topK: topK)
        if json {
            console.line(report.json(checkpoint: restored.path, full: self.report, parameterDigest: restored.state.parameterDigest))
        } else {
            console.line("Checkpoint: \(restored.path) (epoch \(restored.state.completedEpochs), seed \(restored.seed), global batch \(restored.globalBatchSize))")
            console.line("\(set.rawValue.capitalized) loss: \(Format.fixed(evaluation.meanLoss, 4)) - \(set.rawValue) accuracy: \(Format.fixed(evaluation.accuracy, 4)) (\(evaluation.correct)/\(evaluation.seen)) in \(Format.fixed(seconds, 1))s on \(communicator.size) rank\(communicator.size == 1 ? "" : "s")")
            if self.report { console.line(); console.line(report.text); console.line() }
            console.line("parameters sha256: \(restored.state.parameterDigest)")
        }
        communicator.finalize()
    }
}
