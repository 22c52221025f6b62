import Testing
@testable import TandemTraining
import TandemCore
import TandemMPI

struct SamplingTests {
    @Test("One permutation per (seed, epoch): reproducible, a true permutation, different across epochs and seeds")
    func epochPermutation() {
        let sampler = EpochSampler(sampleCount: 1000, globalBatchSize: 32, microBatchSize: 4, rank: 0, rankCount: 1, seed: 9)
        let first = sampler.order(epoch: 1)
        #expect(first == sampler.order(epoch: 1))
        #expect(Set(first).count == 1000 && first.allSatisfy { $0 >= 0 && $0 < 1000 })
        #expect(first != sampler.order(epoch: 2))
        #expect(first != EpochSampler(sampleCount: 1000, globalBatchSize: 32, microBatchSize: 4, rank: 0, rankCount: 1, seed: 10).order(epoch: 1))
    }

    @Test("Micro-batches cut each global batch into runs of m (the last smaller), the same whatever the rank count; the ranks take whole micro-batches, at most one more than another, and together every one exactly once",
          arguments: [(1, 32, 4), (2, 32, 4), (3, 32, 4), (4, 32, 1), (5, 30, 4), (6, 30, 7), (8, 32, 16), (9, 5, 1), (3, 10, 4)])
    func ranksTakeWholeMicroBatches(ranks: Int, batch: Int, m: Int) {
        let samplers = (0..<ranks).map { EpochSampler(sampleCount: 1000, globalBatchSize: batch, microBatchSize: m, rank: $0, rankCount: ranks, seed: 3) }
        #expect(samplers.allSatisfy { $0.order(epoch: 5) == samplers[0].order(epoch: 5) })
        #expect(samplers.allSatisfy { $0.stepsPerEpoch == 1000 / batch })   // the same on every rank
        let count = samplers[0].microBatchesPerStep
        #expect(count == (batch + m - 1) / m)
        let steps = samplers[0].stepsPerEpoch
        for step in [0, steps / 2, steps - 1] {
            let blocks = (0..<count).map { samplers[0].microBatch($0, step: step) }
            #expect(blocks.flatMap(Array.init) == Array(step * batch..<(step + 1) * batch))
            #expect(blocks.dropLast().allSatisfy { $0.count == m } && (1...m).contains(blocks.last!.count))
            // The same micro-batches whatever the rank count: a single rank's.
            let single = EpochSampler(sampleCount: 1000, globalBatchSize: batch, microBatchSize: m, rank: 0, rankCount: 1, seed: 3)
            #expect(blocks == (0..<count).map { single.microBatch($0, step: step) })
        }
        let taken = samplers.flatMap { Array($0.rankMicroBatches) }
        #expect(taken == Array(0..<count))
        let shares = samplers.map(\.rankMicroBatches.count)
        #expect(shares.max()! - shares.min()! <= 1 && shares.max()! == samplers[0].largestRankMicroBatchCount)
    }

    @Test("A rank's threads split its run of micro-batches into whole ones, each exactly once", arguments: [1, 2, 3, 5])
    func threadsTakeWholeMicroBatches(threads: Int) {
        for rank in 0..<3 {
            let sampler = EpochSampler(sampleCount: 1000, globalBatchSize: 30, microBatchSize: 4, rank: rank, rankCount: 3, seed: 3)
            let shares = (0..<threads).map { sampler.threadMicroBatches($0, of: threads) }
            #expect(shares.flatMap(Array.init) == Array(sampler.rankMicroBatches))
        }
    }

    @Test("The default micro-batch: a power of two from the model's parameters per FLOP and the batch alone, at most half the batch")
    func defaultMicroBatch() {
        // The tutorial (47,090 parameters, 105.8 MFLOP a sample): the sums are cheap, one sample a block.
        #expect(EpochSampler.defaultMicroBatchSize(parameters: 47_090, trainingFLOPsPerSample: 105_800_000, globalBatchSize: 32) == 1)
        // An MLP of 1.86 M parameters and 9.6 MFLOP a sample wants hundreds: capped at half the batch.
        #expect(EpochSampler.defaultMicroBatchSize(parameters: 1_863_690, trainingFLOPsPerSample: 9_600_000, globalBatchSize: 32) == 16)
        #expect(EpochSampler.defaultMicroBatchSize(parameters: 1_863_690, trainingFLOPsPerSample: 9_600_000, globalBatchSize: 1) == 1)
        for parameters in [1_000, 100_000, 10_000_000] {
            let size = EpochSampler.defaultMicroBatchSize(parameters: parameters, trainingFLOPsPerSample: 50_000_000, globalBatchSize: 256)
            #expect(size.nonzeroBitCount == 1 && size <= 128)
        }
    }

    @Test("Test-set shards are whole blocks, cover every sample once, in order, for any rank count", arguments: [1, 2, 3, 4, 7])
    func shardsCoverTheTestSet(parts: Int) {
        for blockSize in [1, 16, 333] {
            let shards = (0..<parts).map { Evaluator.shard(count: 10_000, blockSize: blockSize, rank: $0, of: parts) }
            #expect(shards.flatMap(Array.init) == Array(0..<10_000))
            #expect(shards.allSatisfy { $0.lowerBound % blockSize == 0 })
        }
    }
}

struct SHA256Tests {
    @Test("SHA-256 known answers (FIPS 180-2 examples: the empty string, \"abc\", two blocks, a million 'a's)")
    func knownAnswers() {
        func digest(_ text: String) -> String {
            var hasher = SHA256()
            hasher.update(Array(text.utf8))
            return SHA256.hex(hasher.finalize())
        }
        #expect(digest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // A million 'a's crosses many blocks.
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        #expect(SHA256.hex(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("The parameter fingerprint hashes little-endian float32 bytes")
    func floatDigest() {
        let values: [Float] = [1, -2.5]
        var hasher = SHA256()
        hasher.update([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0])
        #expect(values.withUnsafeBufferPointer { SHA256.hexDigest(of: $0) } == SHA256.hex(hasher.finalize()))
    }

    @Test("A 10 MB parameter buffer has the fingerprint that the hand-written SHA-256 gave before libcrypto")
    func largeBufferDigestUnchanged() {
        let values = (0..<2_500_000).map { Float($0 % 9973) * 0.001 }
        #expect(values.withUnsafeBufferPointer { SHA256.hexDigest(of: $0) }
                == "1fd3d657bdc3b22f7783edfe7c1713c64264a93a782dce71bc953f371d0124c7")
    }

    @Test("A copied hasher goes on independently of the original")
    func copiesAreIndependent() {
        var first = SHA256()
        first.update(Array("ab".utf8))
        var second = first
        first.update(Array("c".utf8))
        second.update(Array("d".utf8))
        #expect(SHA256.hex(first.finalize()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var reference = SHA256()
        reference.update(Array("abd".utf8))
        #expect(SHA256.hex(second.finalize()) == SHA256.hex(reference.finalize()))
    }
}

struct LearningRateScheduleTests {
    @Test("Learning-rate scaling relative to a batch of 32, and a linear warm-up to the scaled rate")
    func scalingAndWarmup() {
        var configuration = TrainingConfiguration()
        configuration.recipe.learningRate = 0.001
        configuration.globalBatchSize = 128
        #expect(configuration.learningRate(step: 1, stepsPerEpoch: 100) == 0.001)    // none: unchanged
        configuration.recipe.learningRateScaling = .linear
        #expect(configuration.recipe.scaledLearningRate(globalBatchSize: 128) == 0.004)
        configuration.recipe.learningRateScaling = .squareRoot
        #expect(configuration.recipe.scaledLearningRate(globalBatchSize: 128) == 0.002)
        configuration.recipe.learningRateScaling = .linear
        configuration.recipe.warmupEpochs = 2
        #expect(configuration.learningRate(step: 0, stepsPerEpoch: 100) == 0.001)
        #expect(abs(configuration.learningRate(step: 100, stepsPerEpoch: 100) - 0.0025) < 1e-9)   // halfway
        #expect(configuration.learningRate(step: 200, stepsPerEpoch: 100) == 0.004)
        #expect(configuration.learningRate(step: 5000, stepsPerEpoch: 100) == 0.004)
    }

    @Test("Cosine decay after the warm-up, as Keras's CosineDecay: half the rate halfway, zero at the end")
    func cosine() {
        var recipe = Recipe()
        recipe.learningRate = 0.01
        recipe.schedule = .cosine
        recipe.decayEpochs = 10
        recipe.warmupEpochs = 0
        #expect(recipe.learningRate(step: 0, stepsPerEpoch: 100, globalBatchSize: 32) == 0.01)
        #expect(abs(recipe.learningRate(step: 500, stepsPerEpoch: 100, globalBatchSize: 32) - 0.005) < 1e-9)
        #expect(recipe.learningRate(step: 1000, stepsPerEpoch: 100, globalBatchSize: 32) == 0)
        #expect(recipe.learningRate(step: 2000, stepsPerEpoch: 100, globalBatchSize: 32) == 0)
        recipe.warmupEpochs = 2   // ramp from 0.01 (no scaling: the same) for 200 steps, then decay over 800
        #expect(abs(recipe.learningRate(step: 600, stepsPerEpoch: 100, globalBatchSize: 32) - 0.005) < 1e-9)
    }
}

struct OptimizerTests {
    @Test("SGD with and without momentum and Nesterov, and AdamW's decay, by hand (Keras 3's update rules)")
    func updateRules() {
        func run(_ settings: OptimizerSettings, gradients: [[Float]], trainable: [Range<Int>]? = nil) -> [Float] {
            let parameters = FloatBuffer([1, -2])
            let optimizer = Optimizer(parameterCount: 2, settings: settings, trainableRanges: trainable)
            for gradient in gradients { optimizer.update(parameters: parameters, gradient: gradient, learningRate: 0.1) }
            return parameters.array
        }
        var sgd = OptimizerSettings()
        sgd.kind = .sgd
        #expect(run(sgd, gradients: [[1, 1]]) == [0.9, -2.1])
        sgd.momentum = 0.5   // m1 = -0.1·g; m2 = 0.5·m1 − 0.1·g
        let first: Float = -0.1, second: Float = 0.5 * first - 0.1
        #expect(run(sgd, gradients: [[1, 1], [1, 1]]) == [1 + first + second, -2 + first + second])
        sgd.nesterov = true  // θ += 0.5·m − 0.1·g
        let m1: Float = -0.1
        #expect(run(sgd, gradients: [[1, 0]]) == [1 + (0.5 * m1 - 0.1), -2])
        var adamw = OptimizerSettings()
        adamw.kind = .adamw
        adamw.weightDecay = 0.5
        var adam = OptimizerSettings()
        adam.kind = .adam
        // With a zero gradient Adam does not move; AdamW decays the trainable weight only.
        #expect(run(adam, gradients: [[0, 0]]) == [1, -2])
        #expect(run(adamw, gradients: [[0, 0]], trainable: [0..<1]) == [1 - 1 * 0.5 * 0.1, -2])
    }

    @Test("RMSprop with and without momentum: Keras 3's weights after three steps, to a float32 rounding")
    func rmsprop() {
        var settings = OptimizerSettings()
        settings.kind = .rmsprop
        settings.rho = 0.8
        for (momentum, expected) in [(Float(0), [UInt32(0x3f6c_dc26), 0xc023_70c7]), (0.5, [0x3f5c_0e2a, 0xc031_aa46])] {
            // keras.optimizers.RMSprop(learning_rate=0.1, rho=0.8, momentum=m).apply_gradients, weights [1, -2].
            settings.momentum = momentum
            let parameters = FloatBuffer([1, -2])
            let optimizer = Optimizer(parameterCount: 2, settings: settings)
            for gradient: [Float] in [[1, 0.5], [-2, 0.25], [0.5, 3]] {
                optimizer.update(parameters: parameters, gradient: gradient, learningRate: 0.1)
            }
            // Keras computes 1 − ρ in float64 before rounding it (0.2, not 1 − 0.8 in float32): 1 ulp apart at most.
            for (value, bits) in zip(parameters.array, expected) {
                #expect(abs(value - Float(bitPattern: bits)) <= Float(bitPattern: bits).ulp, "momentum \(momentum): \(parameters.array)")
            }
        }
    }
}
