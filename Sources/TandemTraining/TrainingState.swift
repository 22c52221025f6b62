import TandemCore
import TandemMPI

/// The model's trainable state: the flat parameter buffer and the optimiser (two state buffers of the
/// same layout, and its step count), plus how many epochs are done. Rank 0 creates or loads it and
/// broadcasts it; every rank then holds the same bits.
package final class TrainingState {
    package let parameters: FloatBuffer
    package let optimizer: Optimizer
    package var completedEpochs: Int

    /// Zeroed state of `model` (to load or receive into): with an optimiser of `settings`, or, without
    /// them, the weights alone (an optimiser that holds no state: for inference).
    package init(receiving model: Model, optimizer settings: OptimizerSettings?) {
        parameters = FloatBuffer(count: model.parameterCount)
        optimizer = settings.map { Optimizer(parameterCount: model.parameterCount, settings: $0, trainableRanges: model.trainableRanges,
                                             regularization: model.regularization) }
            ?? Optimizer(parameterCount: 0)
        completedEpochs = 0
    }

    /// Fresh state: Keras's initialisation from `seed`, zero moments.
    package convenience init(model: Model, seed: UInt64, optimizer settings: OptimizerSettings = OptimizerSettings()) {
        self.init(receiving: model, optimizer: settings)
        model.initializeParameters(parameters.buffer, seed: seed)
    }

    /// State restored from a checkpoint (whose model must be `model`); one read without its optimiser
    /// state gives the weights alone.
    package convenience init(model: Model, checkpoint: Checkpoint) {
        precondition(checkpoint.parameters.count == model.parameterCount)
        let hasOptimizerState = !checkpoint.firstMoment.isEmpty
        self.init(receiving: model, optimizer: hasOptimizerState ? checkpoint.recipe.optimizer : nil)
        parameters.copy(from: checkpoint.parameters)
        if hasOptimizerState {
            optimizer.firstMoment.copy(from: checkpoint.firstMoment)
            optimizer.secondMoment.copy(from: checkpoint.secondMoment)
        }
        optimizer.step = checkpoint.optimizerStep
        completedEpochs = checkpoint.completedEpochs
    }

    /// Copies rank `root`'s state to every rank: three flat buffers and two counters.
    package func broadcast(from root: Int, communicator: Communicator) {
        for buffer in [parameters, optimizer.firstMoment, optimizer.secondMoment] {
            communicator.broadcast(buffer.pointer, byteCount: buffer.count * MemoryLayout<Float>.stride, root: root)
        }
        var counters = (optimizer.step, completedEpochs)
        communicator.broadcast(&counters, root: root)
        (optimizer.step, completedEpochs) = counters
    }

    /// A 64-bit FNV-1a hash of every bit of the state, for checking that all ranks agree.
    package func checksum() -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ word: UInt64) {
            hash = (hash ^ word) &* 0x0000_0100_0000_01b3
        }
        for buffer in [parameters, optimizer.firstMoment, optimizer.secondMoment] {
            for index in 0..<buffer.count { mix(UInt64(buffer[index].bitPattern)) }
        }
        mix(UInt64(optimizer.step))
        mix(UInt64(completedEpochs))
        return Int64(bitPattern: hash)
    }

    /// `parameters sha256`: the fingerprint of the parameter buffer's little-endian float32 bytes.
    package var parameterDigest: String {
        SHA256.hexDigest(of: UnsafeBufferPointer(parameters.buffer))
    }

    package func checkpoint(model: Model, configuration: TrainingConfiguration, trainingSamples: Int) -> Checkpoint {
        Checkpoint(modelDescription: model.description.json, completedEpochs: completedEpochs,
                   optimizerStep: optimizer.step, seed: configuration.seed,
                   globalBatchSize: configuration.globalBatchSize, microBatchSize: configuration.microBatchSize(for: model),
                   trainingSamples: trainingSamples,
                   recipe: configuration.recipe, data: configuration.data,
                   parameters: parameters.array, firstMoment: optimizer.firstMoment.array,
                   secondMoment: optimizer.secondMoment.array)
    }
}
