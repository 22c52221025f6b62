import Foundation
@testable import TandemCore

/// Owns every buffer one layer needs for a block of `count` samples, so a test can run a single
/// layer's forward and backward.
final class LayerHarness {
    let layer: any Layer
    let count: Int
    let input, output, inputGradient, outputGradient, parameters, parameterGradient, prepared, saved, scratch: FloatBuffer
    /// The training-set indices of the block's samples: randomised layers (Dropout) draw the same
    /// masks on every forward pass of them.
    let indices: AlignedBuffer<Int32>
    /// Training (randomised layers draw) or inference (they do nothing).
    var training = true

    init(_ layer: any Layer, count: Int = 1, seed: UInt64 = 1) {
        self.layer = layer
        self.count = count
        input = FloatBuffer(count: count * layer.inputShape.count)
        output = FloatBuffer(count: count * layer.outputShape.count)
        inputGradient = FloatBuffer(count: count * layer.inputShape.count)
        outputGradient = FloatBuffer(count: count * layer.outputShape.count)
        parameters = FloatBuffer(count: layer.parameterCount)
        parameterGradient = FloatBuffer(count: layer.parameterCount)
        prepared = FloatBuffer(count: layer.preparedCount)
        saved = FloatBuffer(count: layer.savedCount(samples: count))
        scratch = FloatBuffer(count: layer.scratchCount(samples: count))
        indices = AlignedBuffer(count: count)
        for sample in 0..<count { indices[sample] = Int32(42 + sample) }
        var generator = RandomGenerator(seed: seed, stream: 99)
        for index in 0..<input.count { input[index] = 2 * generator.nextUnitFloat() - 1 }
        for index in 0..<parameters.count { parameters[index] = 2 * generator.nextUnitFloat() - 1 }
    }

    /// The training-set index of the first sample.
    var sampleIndex: Int {
        get { Int(indices[0]) }
        set { indices[0] = Int32(newValue) }
    }

    var memory: LayerMemory {
        LayerMemory(count: count, input: input.pointer, output: output.pointer, inputGradient: inputGradient.pointer,
                    outputGradient: outputGradient.pointer, parameters: parameters.pointer,
                    parameterGradient: parameterGradient.pointer, prepared: prepared.pointer,
                    saved: saved.pointer, scratch: scratch.pointer,
                    samples: training ? SampleBlock(training: true, seed: 5, epoch: 1, indices: indices.pointer) : .inference)
    }

    func forward() -> [Float] {
        layer.prepare(parameters: parameters.pointer, prepared: prepared.pointer)
        layer.forward(memory)
        return output.array
    }

    /// Forward, then backward with `outputGradient`; returns (input gradient, parameter gradient).
    func backward(outputGradient seed: [Float]) -> (input: [Float], parameters: [Float]) {
        _ = forward()
        for index in seed.indices { outputGradient[index] = seed[index] }
        inputGradient.fill(with: .nan)      // backward must overwrite, not accumulate
        parameterGradient.fill(with: .nan)
        layer.backward(memory)
        return (inputGradient.array, parameterGradient.array)
    }

    /// `Σ projection · output`, in Double: a scalar whose gradient with respect to the output is `projection`.
    func projectedOutput(_ projection: [Float]) -> Double {
        let values = forward()
        return zip(values, projection).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
}

func randomValues(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var generator = RandomGenerator(seed: seed, stream: 7)
    return (0..<count).map { _ in (2 * generator.nextUnitFloat() - 1) * scale }
}

/// ‖a − b‖ / max(‖b‖, tiny): one number for how far two vectors are apart.
func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var difference = 0.0, norm = 0.0
    for (x, y) in zip(a, b) {
        difference += (Double(x) - Double(y)) * (Double(x) - Double(y))
        norm += Double(y) * Double(y)
    }
    return (difference / max(norm, 1e-30)).squareRoot()
}

func dot(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

/// A fixture of `Tests/Fixtures/keras-layers` (written by real Keras), decoded.
func kerasLayerFixture<Fixture: Decodable>(_ name: String, as type: Fixture.Type = Fixture.self) throws -> Fixture {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/keras-layers/\(name).json")
    return try JSONDecoder().decode(type, from: Data(contentsOf: url))
}
