import Foundation
import TandemCore
import TandemData
import TandemMPI

/// A model and training state brought back from a checkpoint on every rank.
package struct RestoredRun {
    package let path: String
    package let model: Model
    package let state: TrainingState
    package let seed: UInt64
    package let globalBatchSize: Int
    package let microBatchSize: Int
    package let trainingSamples: Int
    package let recipe: Recipe
    package let data: DataDescription

    /// `restoring`, for a command line: a bad checkpoint ends every rank with rank 0's message.
    package static func restore(_ path: String, convolution: ConvolutionAlgorithm?, optimizerState: Bool,
                                communicator: Communicator) -> RestoredRun {
        do {
            return try restoring(path, convolution: convolution, optimizerState: optimizerState, communicator: communicator)
        } catch {
            communicator.end(after: error)
        }
    }

    /// Rank 0 reads `path` (a file, or a directory's newest checkpoint) and broadcasts everything,
    /// so no rank reads a file another rank may still be writing. With `optimizerState` that includes
    /// the optimiser's two buffers (to resume); without, the weights alone are decoded and held (to
    /// evaluate, predict or export: a third of the memory). Collective; a bad checkpoint throws a
    /// `StartupFailure` on every rank (rank 0's holding the problem).
    package static func restoring(_ path: String, convolution: ConvolutionAlgorithm?, optimizerState: Bool,
                                  communicator: Communicator) throws -> RestoredRun {
        try communicator.agreeingOnKernelLevel()
        let loaded: (path: String, checkpoint: Checkpoint, model: Model)? = try communicator.agreeing {
            guard communicator.isRoot else { return nil }
            let (resolved, checkpoint) = try Checkpoint.load(path, optimizerState: optimizerState) { damaged in
                StandardError.write("tandem: warning: \(damaged); skipped, using an older checkpoint")
            }
            let model: Model
            do {
                model = try Model(description: ModelDescription(json: checkpoint.modelDescription, source: resolved),
                                       convolution: convolution)
            } catch {
                throw InputFileError(path: resolved, problem: "unusable model description: \(error)")
            }
            guard model.parameterCount == checkpoint.parameters.count else {
                throw InputFileError(path: resolved, problem: "holds \(checkpoint.parameters.count) parameters; its model has \(model.parameterCount)")
            }
            return (resolved, checkpoint, model)
        }
        var description = loaded?.checkpoint.modelDescription ?? ""
        var resolvedPath = loaded?.path ?? ""
        communicator.broadcast(string: &description, root: 0)
        communicator.broadcast(string: &resolvedPath, root: 0)
        // Valid on rank 0, so valid everywhere.
        let model = try! loaded?.model
            ?? Model(description: ModelDescription(json: description, source: resolvedPath), convolution: convolution)
        var metadata = (loaded?.checkpoint.seed ?? 0, loaded?.checkpoint.globalBatchSize ?? 0,
                        loaded?.checkpoint.trainingSamples ?? 0, loaded?.checkpoint.microBatchSize ?? 0)
        communicator.broadcast(&metadata, root: 0)
        var recipeText = loaded.map { Checkpoint.encode($0.checkpoint.recipe) } ?? ""
        communicator.broadcast(string: &recipeText, root: 0)
        let recipe = try! Recipe.decoded(from: Data(recipeText.utf8))   // rank 0 encoded it
        var dataText = loaded.map { Checkpoint.encode($0.checkpoint.data) } ?? ""
        communicator.broadcast(string: &dataText, root: 0)
        let data = try! JSONDecoder().decode(DataDescription.self, from: Data(dataText.utf8))
        let state = loaded.map { TrainingState(model: model, checkpoint: $0.checkpoint) }
            ?? TrainingState(receiving: model, optimizer: optimizerState ? recipe.optimizer : nil)
        state.broadcast(from: 0, communicator: communicator)
        return RestoredRun(path: resolvedPath, model: model, state: state, seed: metadata.0,
                           globalBatchSize: metadata.1, microBatchSize: metadata.3, trainingSamples: metadata.2, recipe: recipe, data: data)
    }
}

extension RestoredRun {
    /// An evaluator of the checkpoint's model on `source`'s test set (or, with a validation split, the
    /// training data the run held out), sharded across `communicator`'s ranks in the checkpoint's
    /// micro-batches so that the figures do not depend on the rank count; with the set it evaluates.
    /// Collective; a problem throws a `StartupFailure` on every rank. `decodingProgress` as in
    /// `preparePictureCaches`.
    package func evaluator(on source: DataSource, communicator: Communicator, threads: WorkerThreads,
                           decodingProgress: ((Int, Int, Double) -> Void)? = nil) throws -> (evaluator: Evaluator, set: EvaluationSet) {
        let dataset = try communicator.agreeing { try source.dataset(for: model, seed: seed) }
        _ = try preparePictureCaches(dataset, communicator: communicator, progress: decodingProgress)
        let shard = try communicator.agreeing {
            try dataset.validate()
            let shard = try dataset.load(.test, keeping: {
                Evaluator.shard(count: $0, blockSize: microBatchSize, rank: communicator.rank, of: communicator.size)
            }).withByteScale(model.byteScale)
            try shard.checkFits(model)
            return shard
        }
        let evaluator = Evaluator(model: model, shard: shard, totalCount: shard.fileCount, blockSize: microBatchSize,
                                  communicator: communicator, threads: threads, labelSmoothing: recipe.labelSmoothing)
        return (evaluator, dataset.evaluationSet)
    }
}

extension RestoredRun {
    /// An image file to predict on, converted to the model's input as its training data was.
    package func predictionInput(_ path: String) throws -> PredictionInput {
        let shape = model.inputShape
        return try PredictionInput(path: path, height: shape.height, width: shape.width, channels: shape.channels,
                                   byteScale: model.byteScale, pictures: data.pictures)
    }

    /// The names predictions give the classes: `file`'s, the checkpoint's (folders of pictures), Fashion-MNIST's
    /// for a model of its shape, or `class 0`, `class 1`, ….
    package func predictionClassNames(file: String?) throws -> [String] {
        let shape = model.inputShape
        return try ClassNames.resolve(file: file, stored: data.classNames, classCount: model.classCount,
                                      isFashionMNIST: (shape.height, shape.width, shape.channels) == (28, 28, 1))
    }
}
