import ArgumentParser
import Foundation
import TandemCore
import TandemData
import TandemMPI
import TandemTraining

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a checkpoint on the test set (sharded across ranks under mpirun; the same result at any rank count).")

    @Option(help: ArgumentHelp("A checkpoint file, or a directory (its newest checkpoint).", valueName: "path"))
    var checkpoint: String

    @OptionGroup var data: DataOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var distributed: DistributedOptions

    @Flag(help: "Also print accuracy per class.")
    var perClass = false

    func run() throws {
        let communicator = distributed.makeCommunicator()
        let console = Console(communicator: communicator)
        let restored = RestoredRun.restore(checkpoint, convolution: model.convolution.algorithm, communicator: communicator)
        let dataset = data.dataset(classCount: restored.model.classCount)
        let shard = communicator.agree {
            try dataset.validate()
            let shard = try dataset.load(.test, keeping: { shardRange($0, part: communicator.rank, of: communicator.size) })
            try shard.checkFits(restored.model)
            return shard
        }
        let evaluator = Evaluator(model: restored.model, shard: shard, totalCount: shard.fileCount, communicator: communicator)
        let start = monotonicSeconds()
        let evaluation = evaluator.evaluate(parameters: restored.state.parameters.pointer)
        let seconds = monotonicSeconds() - start
        console.line("Checkpoint: \(restored.path) (epoch \(restored.state.completedEpochs), seed \(restored.seed), global batch \(restored.globalBatchSize))")
        console.line("Test loss: \(Format.fixed(evaluation.meanLoss, 4)) - test accuracy: \(Format.fixed(evaluation.accuracy, 4)) (\(evaluation.correct)/\(evaluation.seen)) in \(Format.fixed(seconds, 1))s on \(communicator.size) rank\(communicator.size == 1 ? "" : "s")")
        if perClass {
            for (label, accuracy) in evaluation.accuracyByClass.enumerated() {
                let name = label < FashionMNIST.classNames.count ? FashionMNIST.classNames[label] : "class \(label)"
                console.line("  " + name.padding(toLength: 12, withPad: " ", startingAt: 0) + Format.fixed(accuracy, 4))
            }
        }
        console.line("parameters sha256: \(restored.state.parameterDigest)")
        communicator.finalize()
    }
}
