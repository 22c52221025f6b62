import Testing
@testable import TandemCore

/// The whole tutorial model's backward pass against finite differences of an independent,
/// double-precision reference forward pass (`ReferenceModel`), one parameter block at a time, and
/// the two convolution algorithms against each other.
struct ModelGradientTests {
    @Test("A block of three samples: the model's forward pass and every parameter block's gradient (summed over the block) match the double-precision reference",
          arguments: [ConvolutionAlgorithm.im2col, .winograd, .winograd4x4])
    func tutorialModel(convolution: ConvolutionAlgorithm) {
        let model = Model.tutorial(convolution: convolution)
        let reference = ReferenceModel(model: model)
        let samples = 3, labels = [4, 0, 9], size = model.inputShape.count
        let workspace = ModelWorkspace(model: model, capacity: samples)
        let parameters = FloatBuffer(count: model.parameterCount)
        let gradient = FloatBuffer(count: model.parameterCount)
        model.initializeParameters(parameters.buffer, seed: 42)
        let pixels = randomValues(samples * size, seed: 8).map { ($0 + 1) / 2 }
        for index in pixels.indices { workspace.input[index] = pixels[index] }
        workspace.count = samples

        model.prepare(parameters: parameters.pointer, workspace: workspace)
        let logits = Array(UnsafeBufferPointer(start: model.forward(parameters: parameters.pointer, workspace: workspace), count: 10 * samples))
        let referenceParameters = parameters.array.map(Double.init)
        let referenceInputs = (0..<samples).map { sample in pixels[sample * size..<(sample + 1) * size].map(Double.init) }
        let referenceLogits = referenceInputs.flatMap { reference.logits(parameters: referenceParameters, input: $0) }
        #expect(relativeDifference(logits, referenceLogits.map(Float.init)) < 1e-5, "forward: \(logits) vs \(referenceLogits)")

        _ = model.lossAndGradient(labels: { labels[$0] }, scale: 1, parameters: parameters.pointer,
                                  parameterGradient: gradient.pointer, workspace: workspace)
        let analyticGradient = gradient.array
        let step = 1e-8
        func loss(_ parameters: [Double]) -> Double {
            (0..<samples).reduce(0) { $0 + reference.loss(parameters: parameters, input: referenceInputs[$1], label: labels[$1]) }
        }

        for (layerIndex, layer) in model.layers.enumerated() {
            var offset = model.parameterOffsets[layerIndex]
            for block in layer.parameterBlocks {
                var analytic: [Float] = [], numeric: [Float] = []
                for trial in 0..<3 {
                    let direction = randomValues(block.count, seed: UInt64(1000 * layerIndex + 10 * offset + trial))
                    var plus = referenceParameters, minus = referenceParameters
                    for (index, value) in direction.enumerated() {
                        plus[offset + index] += step * Double(value)
                        minus[offset + index] -= step * Double(value)
                    }
                    numeric.append(Float((loss(plus) - loss(minus)) / (2 * step)))
                    analytic.append(Float(dot(Array(analyticGradient[offset..<offset + block.count]), direction)))
                }
                let difference = relativeDifference(analytic, numeric)
                #expect(difference < 1e-4, "layer \(layerIndex) \(layer.kind) \(block.name): analytic \(analytic) numeric \(numeric)")
                offset += block.count
            }
        }
    }

    @Test("Winograd F(2x2) and F(4x4) give im2col's outputs and gradients to within float32 rounding (1e-5 and 4e-5 relative), for blocks of 1 and 3 samples",
          arguments: [ConvolutionAlgorithm.winograd, .winograd4x4], [1, 3])
    func winogradMatchesIm2col(algorithm: ConvolutionAlgorithm, samples: Int) throws {
        let tolerance = algorithm == .winograd ? 1e-5 : 4e-5
        for shape in [TensorShape(height: 28, width: 28, channels: 64), TensorShape(height: 7, width: 7, channels: 16),
                      TensorShape(height: 5, width: 8, channels: 3), TensorShape(height: 2, width: 2, channels: 24)] {
            let direct = LayerHarness(try Conv2D(inputShape: shape, filters: 20, kernelSize: 3, padding: .same,
                                                 activation: .relu, algorithm: .im2col), count: samples, seed: 4)
            let winograd = LayerHarness(try Conv2D(inputShape: shape, filters: 20, kernelSize: 3, padding: .same,
                                                   activation: .relu, algorithm: algorithm), count: samples, seed: 4)
            let forward = relativeDifference(winograd.forward(), direct.forward())
            #expect(forward < tolerance, "\(shape) output: \(forward)")
            let seed = randomValues(samples * direct.layer.outputShape.count, seed: 6)
            let (directInput, directParameters) = direct.backward(outputGradient: seed)
            let (winogradInput, winogradParameters) = winograd.backward(outputGradient: seed)
            let input = relativeDifference(winogradInput, directInput), parameters = relativeDifference(winogradParameters, directParameters)
            #expect(input < tolerance, "\(shape) input gradient: \(input)")
            #expect(parameters < tolerance, "\(shape) parameter gradient: \(parameters)")
        }
    }

    @Test("Tap by tap gives im2col's outputs and gradients to within float32 rounding (1e-5 relative), for blocks of 1 and 3 samples",
          arguments: [1, 3])
    func tapsMatchIm2col(samples: Int) throws {
        let cases: [(shape: TensorShape, kernel: Extent2D, strides: Extent2D, dilation: Extent2D, padding: Padding)] = [
            (TensorShape(height: 2, width: 2, channels: 24), 3, 1, 1, .same),
            (TensorShape(height: 1, width: 1, channels: 40), 3, 1, 1, .same),
            (TensorShape(height: 2, width: 3, channels: 16), 3, 1, 1, .same),
            (TensorShape(height: 9, width: 7, channels: 5), 5, 2, 1, .same),
            (TensorShape(height: 6, width: 6, channels: 4), 3, 1, 2, .same),
            (TensorShape(height: 5, width: 4, channels: 3), Extent2D(height: 1, width: 3), 1, 1, .valid),
        ]
        for (shape, kernel, strides, dilation, padding) in cases {
            func harness(_ algorithm: ConvolutionAlgorithm) throws -> LayerHarness {
                LayerHarness(try Conv2D(inputShape: shape, filters: 20, kernelSize: kernel, strides: strides, dilation: dilation,
                                        padding: padding, activation: .relu, algorithm: algorithm), count: samples, seed: 4)
            }
            let direct = try harness(.im2col), taps = try harness(.taps)
            let forward = relativeDifference(taps.forward(), direct.forward())
            #expect(forward < 1e-5, "\(shape) \(kernel) output: \(forward)")
            let seed = randomValues(samples * direct.layer.outputShape.count, seed: 6)
            let (directInput, directParameters) = direct.backward(outputGradient: seed)
            let (tapsInput, tapsParameters) = taps.backward(outputGradient: seed)
            let input = relativeDifference(tapsInput, directInput), parameters = relativeDifference(tapsParameters, directParameters)
            #expect(input < 1e-5, "\(shape) \(kernel) input gradient: \(input)")
            #expect(parameters < 1e-5, "\(shape) \(kernel) parameter gradient: \(parameters)")
        }
    }

    @Test("auto picks tap by tap where at least half of the multiplies would meet padding (3x3 on 2x2 and 1x1 planes), Winograd on larger planes")
    func automaticChoice() throws {
        func chosen(_ height: Int, _ width: Int, channels: Int = 64) throws -> ConvolutionAlgorithm {
            try Conv2D(inputShape: TensorShape(height: height, width: width, channels: channels), filters: 64, kernelSize: 3,
                       padding: .same, activation: .relu).algorithm
        }
        #expect(try chosen(2, 2) == .taps && chosen(1, 1) == .taps && chosen(1, 4) == .taps)
        #expect(try chosen(3, 3) == .winograd4x4 && chosen(4, 4) == .winograd4x4 && chosen(4, 4, channels: 512) == .winograd)
        #expect(try chosen(28, 28, channels: 1) == .im2col)
    }

    @Test("A last layer without softmax is logits: the same loss and gradient, bit for bit, as the twin whose last layer ends in a softmax")
    func logitsModelTrainsAsItsSoftmaxTwin() throws {
        let logits = try Model(description: ModelDescription(compact: "input(6,6,2) conv2d(3,3,same,relu) flatten dense(4,linear)"))
        let softmax = try Model(description: ModelDescription(compact: "input(6,6,2) conv2d(3,3,same,relu) flatten dense(4,softmax)"))
        #expect(logits.output == .logits && softmax.output == .probabilities)
        let samples = 3, labels = [3, 0, 2]
        let parameters = FloatBuffer(count: logits.parameterCount)
        logits.initializeParameters(parameters.buffer, seed: 5)
        let pixels = randomValues(samples * logits.inputShape.count, seed: 2)
        var results: [(loss: Float, correct: Int, gradient: [Float])] = []
        for model in [logits, softmax] {
            let workspace = ModelWorkspace(model: model, capacity: samples)
            for index in pixels.indices { workspace.input[index] = pixels[index] }
            workspace.count = samples
            model.prepare(parameters: parameters.pointer, workspace: workspace)
            let gradient = FloatBuffer(count: model.parameterCount)
            let (loss, correct) = model.lossAndGradient(labels: { labels[$0] }, scale: 1, parameters: parameters.pointer,
                                                        parameterGradient: gradient.pointer, workspace: workspace)
            results.append((loss, correct, gradient.array))
        }
        #expect(results[0].loss == results[1].loss && results[0].correct == results[1].correct)
        #expect(results[0].gradient == results[1].gradient)
        #expect(results[0].gradient.contains { $0 != 0 })
    }

    @Test("The same seed gives bit-identical initial parameters; another seed does not")
    func seededInitialisation() {
        let model = Model.tutorial()
        let first = FloatBuffer(count: model.parameterCount), second = FloatBuffer(count: model.parameterCount)
        let other = FloatBuffer(count: model.parameterCount)
        model.initializeParameters(first.buffer, seed: 7)
        model.initializeParameters(second.buffer, seed: 7)
        model.initializeParameters(other.buffer, seed: 8)
        #expect(first.array == second.array)
        #expect(first.array != other.array)
        // Keras's Glorot-uniform limit for conv1: sqrt(6 / (9 + 576)).
        let limit = Float((6.0 / 585.0).squareRoot())
        #expect(first.array[0..<576].allSatisfy { abs($0) <= limit })
        #expect(first.array[576..<640].allSatisfy { $0 == 0 })
    }
}
