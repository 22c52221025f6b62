import Testing
@testable import TandemCore

/// Small cases computed by hand.
struct KnownAnswerTests {
    /// A 3×3 single-channel input 1…9 and a 3×3 kernel of ones: with `same` padding each output is
    /// the sum of the input's 3×3 neighbourhood, zeros outside; with `valid` only the centre remains.
    @Test("3x3 convolution with zero padding, by hand", arguments: ConvolutionAlgorithm.allCases)
    func convolutionSamePadding(algorithm: ConvolutionAlgorithm) throws {
        let layer = try Conv2D(inputShape: TensorShape(height: 3, width: 3, channels: 1), filters: 1, kernelSize: 3,
                               padding: .same, activation: .linear, algorithm: algorithm)
        let harness = LayerHarness(layer)
        for index in 0..<9 { harness.input[index] = Float(index + 1) }
        for index in 0..<9 { harness.parameters[index] = 1 }
        harness.parameters[9] = 0.5   // bias
        let expected: [Float] = [12, 21, 16,
                                 27, 45, 33,
                                 24, 39, 28].map { $0 + 0.5 }
        if algorithm == .winograd4x4 {
            // F(4×4)'s transforms hold 1/6 and 1/24, which no float is exactly: the sums are off in the last bits.
            #expect(relativeDifference(harness.forward(), expected) < 1e-6)
        } else {
            #expect(harness.forward() == expected)
        }
    }

    @Test("3x3 valid convolution of a two-channel input, by hand")
    func convolutionValidTwoChannels() throws {
        let layer = try Conv2D(inputShape: TensorShape(height: 3, width: 3, channels: 2), filters: 2, kernelSize: 3,
                               padding: .valid, activation: .relu, algorithm: .im2col)
        let harness = LayerHarness(layer)
        // Channel 0 holds 1…9, channel 1 holds 10, 20, … 90 (HWC interleaved).
        for position in 0..<9 {
            harness.input[2 * position] = Float(position + 1)
            harness.input[2 * position + 1] = Float(10 * (position + 1))
        }
        // Filter 0 sums channel 0; filter 1 subtracts channel 1 (then ReLU clamps it to 0).
        for tap in 0..<9 {
            harness.parameters[(tap * 2 + 0) * 2 + 0] = 1   // kernel[ky][kx][c=0][f=0]
            harness.parameters[(tap * 2 + 0) * 2 + 1] = 0
            harness.parameters[(tap * 2 + 1) * 2 + 0] = 0
            harness.parameters[(tap * 2 + 1) * 2 + 1] = -1  // kernel[ky][kx][c=1][f=1]
        }
        harness.parameters[36] = 1   // bias[0]
        harness.parameters[37] = 2   // bias[1]
        #expect(harness.forward() == [46, 0])
    }

    @Test("Max pooling of 0..<16 in a 4x4 plane, and the floor of an odd plane")
    func maxPooling() throws {
        let layer = try MaxPooling2D(inputShape: TensorShape(height: 4, width: 4, channels: 1), poolSize: 2)
        let harness = LayerHarness(layer)
        for index in 0..<16 { harness.input[index] = Float(index) }
        #expect(harness.forward() == [5, 7, 13, 15])
        let (inputGradient, _) = harness.backward(outputGradient: [1, 2, 3, 4])
        #expect(inputGradient == [0, 0, 0, 0,  0, 1, 0, 2,  0, 0, 0, 0,  0, 3, 0, 4])

        let odd = try MaxPooling2D(inputShape: TensorShape(height: 7, width: 7, channels: 8), poolSize: 2)
        #expect(odd.outputShape == TensorShape(height: 3, width: 3, channels: 8))
    }

    @Test("Softmax cross-entropy of known logits")
    func softmaxCrossEntropy() {
        var gradient = [Float](repeating: 0, count: 2)
        let loss = SoftmaxCrossEntropy.lossAndGradient(logits: [0, 0], classes: 2, label: 0, scale: 0.5, gradient: &gradient)
        #expect(abs(loss - Float(0.6931472)) < 1e-6)
        #expect(gradient == [-0.25, 0.25])
        // log(1 + e + e²) − 2 for logits (0, 1, 2) and label 2.
        let expected: Float = 0.40760596
        #expect(abs(SoftmaxCrossEntropy.loss(logits: [0, 1, 2], classes: 3, label: 2) - expected) < 1e-6)
        // Large logits must not overflow.
        #expect(abs(SoftmaxCrossEntropy.loss(logits: [1000, 0], classes: 2, label: 0)) < 1e-6)
        #expect(SoftmaxCrossEntropy.predictedClass(logits: [1, 3, 3, 2], classes: 4) == 1)
    }

    @Test("Dense layer, by hand")
    func dense() throws {
        let layer = try Dense(inputShape: .vector(2), units: 3, activation: .hidden(.relu))
        let harness = LayerHarness(layer)
        harness.input[0] = 1; harness.input[1] = 2
        // kernel[2][3] then bias[3]
        let parameters: [Float] = [1, 2, -3,  4, 5, 6,  0.5, 0, 0]
        for (index, value) in parameters.enumerated() { harness.parameters[index] = value }
        #expect(harness.forward() == [9.5, 12, 9])
    }

    @Test("The tutorial model has Keras's shapes and 47,090 parameters")
    func tutorialModel() {
        let model = Model.tutorial()
        #expect(model.parameterCount == 47_090)
        #expect(model.layers.map(\.outputShape.description) == [
            "(None, 28, 28, 64)", "(None, 28, 28, 32)", "(None, 14, 14, 32)", "(None, 14, 14, 32)",
            "(None, 14, 14, 16)", "(None, 7, 7, 16)", "(None, 7, 7, 16)", "(None, 7, 7, 8)",
            "(None, 3, 3, 8)", "(None, 72)", "(None, 128)", "(None, 10)"])
        #expect(model.forwardMultiplyAdds == 17_791_616)
        let rebuilt = try? Model(description: ModelDescription(json: model.description.json, source: "test"))
        #expect(rebuilt?.description == model.description)
    }
}
