import Testing
@testable import TandemTraining
import TandemCore
import TandemMPI

struct SamplingTests {
    @Test("One permutation per (seed, epoch): reproducible, a true permutation, different across epochs and seeds")
    func epochPermutation() {
        let sampler = EpochSampler(sampleCount: 1000, globalBatchSize: 32, rank: 0, rankCount: 1, seed: 9)
        let first = sampler.order(epoch: 1)
        #expect(first == sampler.order(epoch: 1))
        #expect(Set(first).count == 1000 && first.allSatisfy { $0 >= 0 && $0 < 1000 })
        #expect(first != sampler.order(epoch: 2))
        #expect(first != EpochSampler(sampleCount: 1000, globalBatchSize: 32, rank: 0, rankCount: 1, seed: 10).order(epoch: 1))
    }

    @Test("Every rank computes the same order; the ranks' slices of each step tile the global batch exactly once, differing by at most one sample",
          arguments: [(1, 32), (2, 32), (3, 32), (4, 32), (5, 30), (6, 30), (8, 32), (9, 5)])
    func rankSlicesTileTheGlobalBatch(ranks: Int, batch: Int) {
        let samplers = (0..<ranks).map { EpochSampler(sampleCount: 1000, globalBatchSize: batch, rank: $0, rankCount: ranks, seed: 3) }
        #expect(samplers.allSatisfy { $0.order(epoch: 5) == samplers[0].order(epoch: 5) })
        #expect(samplers.allSatisfy { $0.stepsPerEpoch == 1000 / batch })   // the same on every rank
        let steps = samplers[0].stepsPerEpoch
        for step in [0, steps / 2, steps - 1] {
            let covered = samplers.flatMap { Array($0.rankSlice(step: step)) }
            #expect(covered == Array(step * batch..<(step + 1) * batch))
            let sizes = samplers.map { $0.rankSlice(step: step).count }
            #expect(sizes.max()! - sizes.min()! <= 1 && sizes.max()! == samplers[0].largestRankBatchSize)
        }
    }

    @Test("Test-set shards cover every sample once, in order, for any rank count", arguments: [1, 2, 3, 4, 7])
    func shardsCoverTheTestSet(parts: Int) {
        let shards = (0..<parts).map { shardRange(10_000, part: $0, of: parts) }
        #expect(shards.flatMap(Array.init) == Array(0..<10_000))
        #expect(shards.map(\.count).max()! - shards.map(\.count).min()! <= 1)
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
}
