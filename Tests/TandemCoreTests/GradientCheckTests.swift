import Testing
@testable import TandemCore

/// Finite-difference checks of every layer kind's backward pass.
///
/// Each check compares directional derivatives: for random directions δ, the central difference
/// `(f(θ + hδ) − f(θ − hδ)) / 2h` of `f = Σ r · output` against `∇f · δ` from backward. A wrong backward
/// formula (a transposed kernel, a missing term, a mis-indexed window) is off by O(1) relative; the
/// tolerance of 1% leaves room only for float32 rounding and the few ReLU kinks a step of 1e-3 crosses.
struct GradientCheckTests {
    static let tolerance = 1e-2
    static let step: Float = 1e-3

    /// Checks the gradient with respect to the input and to the parameters along several random directions.
    /// - Parameter distinctInputs: use inputs at least 0.1 apart, so that no perturbation changes
    ///   which element of a pooling window is the largest (where the function has a kink).
    /// - Parameter parameters: values for the parameters instead of random ones in ±1 (e.g. a positive
    ///   variance). Non-trainable blocks are not perturbed: their gradient is zero by design.
    func check(_ layer: any Layer, directions: Int = 4, distinctInputs: Bool = false, parameters: [Float]? = nil,
               sourceLocation: SourceLocation = #_sourceLocation) {
        let harness = LayerHarness(layer)
        if let parameters { harness.parameters.copy(from: parameters) }
        let trainable = layer.parameterBlocks.flatMap { [Float](repeating: $0.trainable ? 1 : 0, count: $0.count) }
        if distinctInputs {
            var generator = RandomGenerator(seed: 3)
            let order = generator.permutation(count: harness.input.count)
            for (index, rank) in order.enumerated() { harness.input[index] = Float(rank) * 0.1 }
        }
        let projection = randomValues(layer.outputShape.count, seed: 11)
        let (inputGradient, parameterGradient) = harness.backward(outputGradient: projection)
        #expect(!inputGradient.contains { $0.isNaN }, "backward left input-gradient entries unwritten", sourceLocation: sourceLocation)
        #expect(!parameterGradient.contains { $0.isNaN }, "backward left parameter-gradient entries unwritten", sourceLocation: sourceLocation)

        func directional(_ buffer: FloatBuffer, _ gradient: [Float], seed: UInt64, mask: [Float]? = nil) -> (analytic: Double, numeric: Double) {
            let direction = zip(randomValues(buffer.count, seed: seed), mask ?? [Float](repeating: 1, count: buffer.count)).map { $0 * $1 }
            let original = buffer.array
            for index in 0..<buffer.count { buffer[index] = original[index] + Self.step * direction[index] }
            let plus = harness.projectedOutput(projection)
            for index in 0..<buffer.count { buffer[index] = original[index] - Self.step * direction[index] }
            let minus = harness.projectedOutput(projection)
            for index in 0..<buffer.count { buffer[index] = original[index] }
            return (dot(gradient, direction), (plus - minus) / (2 * Double(Self.step)))
        }

        var analytic: [Float] = [], numeric: [Float] = []
        for direction in 0..<directions {
            let input = directional(harness.input, inputGradient, seed: 100 + UInt64(direction))
            analytic.append(Float(input.analytic)); numeric.append(Float(input.numeric))
            if layer.parameterCount > 0 {
                let parameters = directional(harness.parameters, parameterGradient, seed: 200 + UInt64(direction), mask: trainable)
                analytic.append(Float(parameters.analytic)); numeric.append(Float(parameters.numeric))
            }
        }
        let difference = relativeDifference(analytic, numeric)
        #expect(difference < Self.tolerance,
                "\(layer.kind) \(layer.summaryDetail): analytic \(analytic) vs numeric \(numeric), relative difference \(difference)",
                sourceLocation: sourceLocation)
    }

    @Test("Conv2D im2col, same and valid padding, relu and linear")
    func convolutionIm2col() throws {
        check(try Conv2D(inputShape: TensorShape(height: 6, width: 5, channels: 3), filters: 4, kernelSize: 3,
                         padding: .same, activation: .linear, algorithm: .im2col))
        check(try Conv2D(inputShape: TensorShape(height: 7, width: 7, channels: 2), filters: 5, kernelSize: 3,
                         padding: .same, activation: .relu, algorithm: .im2col))
        check(try Conv2D(inputShape: TensorShape(height: 6, width: 7, channels: 2), filters: 3, kernelSize: 2,
                         padding: .same, activation: .linear, algorithm: .im2col))
        check(try Conv2D(inputShape: TensorShape(height: 8, width: 6, channels: 2), filters: 3, kernelSize: 5,
                         padding: .valid, activation: .linear, algorithm: .im2col))
    }

    @Test("Conv2D Winograd F(2x2) and F(4x4), planes that do and do not divide into tiles, wide and narrow channel groups",
          arguments: [ConvolutionAlgorithm.winograd, .winograd4x4])
    func convolutionWinograd(algorithm: ConvolutionAlgorithm) throws {
        check(try Conv2D(inputShape: TensorShape(height: 6, width: 6, channels: 3), filters: 4, kernelSize: 3,
                         padding: .same, activation: .linear, algorithm: algorithm))
        check(try Conv2D(inputShape: TensorShape(height: 7, width: 5, channels: 17), filters: 18, kernelSize: 3,
                         padding: .same, activation: .relu, algorithm: algorithm))
        check(try Conv2D(inputShape: TensorShape(height: 8, width: 9, channels: 2), filters: 3, kernelSize: 3,
                         padding: .same, activation: .linear, algorithm: algorithm))
    }

    @Test("Conv2D tap by tap: 3x3 on 2x2 and 1x1 planes, a 5x5 kernel with strides, a dilated kernel, valid padding")
    func convolutionTaps() throws {
        check(try Conv2D(inputShape: TensorShape(height: 2, width: 2, channels: 3), filters: 4, kernelSize: 3,
                         padding: .same, activation: .relu, algorithm: .taps))
        check(try Conv2D(inputShape: TensorShape(height: 1, width: 1, channels: 5), filters: 3, kernelSize: 3,
                         padding: .same, activation: .linear, algorithm: .taps))
        check(try Conv2D(inputShape: TensorShape(height: 6, width: 5, channels: 2), filters: 3, kernelSize: 5, strides: 2,
                         padding: .same, activation: .linear, algorithm: .taps))
        check(try Conv2D(inputShape: TensorShape(height: 5, width: 6, channels: 2), filters: 3, kernelSize: 3, dilation: 2,
                         padding: .same, activation: .linear, useBias: false, algorithm: .taps))
        check(try Conv2D(inputShape: TensorShape(height: 4, width: 3, channels: 2), filters: 2, kernelSize: 2,
                         padding: .valid, activation: .linear, algorithm: .taps))
    }

    @Test("MaxPooling2D, including a dropped trailing row and column")
    func maxPooling() throws {
        check(try MaxPooling2D(inputShape: TensorShape(height: 7, width: 6, channels: 3), poolSize: 2), distinctInputs: true)
        check(try MaxPooling2D(inputShape: TensorShape(height: 4, width: 4, channels: 17), poolSize: 2), distinctInputs: true)
    }

    @Test("Dense, relu and linear, and Flatten")
    func denseAndFlatten() throws {
        check(try Dense(inputShape: .vector(9), units: 7, activation: .hidden(.relu)))
        check(try Dense(inputShape: .vector(5), units: 3, activation: .softmax))
        check(try Dense(inputShape: .vector(6), units: 4, activation: .hidden(.tanh), useBias: false))
        check(try Dense(inputShape: .vector(6), units: 4, activation: .hidden(.sigmoid)))
        check(Flatten(inputShape: TensorShape(height: 3, width: 2, channels: 4)))
    }

    @Test("Conv2D with strides, rectangular kernels, no bias, sigmoid and tanh (im2col)")
    func convolutionOptions() throws {
        check(try Conv2D(inputShape: TensorShape(height: 9, width: 8, channels: 2), filters: 3, kernelSize: 5, strides: 2,
                         padding: .valid, activation: .tanh, useBias: false))
        check(try Conv2D(inputShape: TensorShape(height: 7, width: 6, channels: 3), filters: 4,
                         kernelSize: Extent2D(height: 3, width: 1), strides: Extent2D(height: 1, width: 2),
                         padding: .same, activation: .sigmoid))
        check(try Conv2D(inputShape: TensorShape(height: 8, width: 8, channels: 2), filters: 3, kernelSize: 3, strides: 2,
                         padding: .same, activation: .relu))
    }

    @Test("Pooling with strides and padding: overlapping max and average windows, clipped windows, global pooling")
    func poolingOptions() throws {
        check(try MaxPooling2D(inputShape: TensorShape(height: 7, width: 6, channels: 3), poolSize: 3, strides: 2, padding: .same),
              distinctInputs: true)
        check(try MaxPooling2D(inputShape: TensorShape(height: 5, width: 5, channels: 2), poolSize: 2, strides: 1), distinctInputs: true)
        check(try AveragePooling2D(inputShape: TensorShape(height: 6, width: 7, channels: 3), poolSize: 2))
        check(try AveragePooling2D(inputShape: TensorShape(height: 7, width: 6, channels: 17), poolSize: 3, strides: 2, padding: .same))
        check(GlobalPooling2D(inputShape: TensorShape(height: 4, width: 3, channels: 18), reduction: .average))
        check(GlobalPooling2D(inputShape: TensorShape(height: 4, width: 3, channels: 18), reduction: .maximum), distinctInputs: true)
    }

    @Test("Activation layers (relu, sigmoid, tanh, softmax-as-logits) and Dropout with a fixed mask")
    func activationsAndDropout() throws {
        for activation in [KerasActivation.hidden(.relu), .hidden(.sigmoid), .hidden(.tanh), .hidden(.linear), .softmax] {
            check(ActivationLayer(inputShape: TensorShape(height: 3, width: 3, channels: 5), activation: activation))
        }
        check(try Dropout(inputShape: .vector(40), rate: 0.3, position: 2))
    }

    @Test("Every other activation Keras names: ReLU's options, leaky ReLU, ELU, SELU, GELU (both forms), SiLU, softplus, softsign, hard sigmoid and SiLU, Mish")
    func pointwiseFunctions() {
        let functions: [PointwiseFunction] = [
            .rectifier(maximum: 0.5, negativeSlope: 0.1, threshold: 0.2), .rectifier(maximum: 6, negativeSlope: 0, threshold: 0),
            .rectifier(maximum: nil, negativeSlope: 0.3, threshold: 0), .elu(alpha: 0.7), .selu, .gelu(approximate: false),
            .gelu(approximate: true), .silu, .softplus, .softsign, .hardSigmoid, .hardSilu, .mish,
        ]
        for function in functions {
            check(ActivationLayer(inputShape: TensorShape(height: 3, width: 3, channels: 5), function: function))
        }
    }

    @Test("ZeroPadding2D and Cropping2D, uneven margins; CenterCrop of a smaller image (a window resized)")
    func margins() throws {
        let margins = Margins(top: 1, bottom: 2, left: 0, right: 3)
        check(ZeroPadding2D(inputShape: TensorShape(height: 4, width: 3, channels: 2), margins: margins))
        check(try Cropping2D(inputShape: TensorShape(height: 6, width: 5, channels: 2), margins: margins))
        let centerCrop = KerasLayerConfiguration(className: "CenterCrop", name: "crop", config: ["height": .number(7), "width": .number(4)])
        check(try LayerRegistry.make(centerCrop, inputShape: TensorShape(height: 5, width: 6, channels: 2), context: LayerBuildContext()))
    }

    @Test("Softmax cross-entropy gradient matches finite differences of the loss")
    func softmaxCrossEntropy() {
        let logits = randomValues(10, seed: 5, scale: 3)
        var gradient = [Float](repeating: 0, count: 10)
        _ = SoftmaxCrossEntropy.lossAndGradient(logits: logits, classes: 10, label: 3, scale: 1, gradient: &gradient)
        var numeric = [Float]()
        for index in 0..<10 {
            var plus = logits, minus = logits
            plus[index] += 1e-3; minus[index] -= 1e-3
            let difference = Double(SoftmaxCrossEntropy.loss(logits: plus, classes: 10, label: 3))
                - Double(SoftmaxCrossEntropy.loss(logits: minus, classes: 10, label: 3))
            numeric.append(Float(difference / 2e-3))
        }
        #expect(relativeDifference(gradient, numeric) < Self.tolerance)
    }
}
