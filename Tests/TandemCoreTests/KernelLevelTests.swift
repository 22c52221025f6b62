import CTandemKernels
import Testing
@testable import TandemCore

/// The C kernels compiled per CPU level (portable, AVX2, AVX-512) give the same bits as one another,
/// on channel and element counts that are and are not multiples of the vector width, so a level
/// changes only speed. Each test runs the same work at every level this processor has (switching the
/// level in this process) and compares every float bit for bit with the portable level's.
@Suite(.serialized)
struct KernelLevelTests {
    static let levels = KernelLevel.allCases.filter(\.isSupported)

    /// `body`'s result at every level this CPU runs, keyed by level; the level in use is restored after.
    static func atEveryLevel<Result>(_ body: () -> Result) -> [(KernelLevel, Result)] {
        let original = KernelLevel.current
        defer { original.use() }
        return levels.map { level in
            #expect(level.use())
            return (level, body())
        }
    }

    static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    /// Every level's result equals the first level's (portable), element for element.
    static func expectAgreement<Element: Equatable>(_ results: [(KernelLevel, [Element])]) {
        for (level, result) in results.dropFirst() {
            let differing = zip(result, results[0].1).filter { $0 != $1 }.count
            #expect(result.count == results[0].1.count && differing == 0,
                    "\(level): \(differing) of \(result.count) values differ from \(results[0].0)'s")
        }
    }

    /// One layer's forward on `count` samples (inputs and weights from `seed`), then its backward with an
    /// output gradient from `seed + 1`: output, input gradient and parameter gradient agree at every level.
    static func expectLayerAgreement(_ layer: any Layer, count: Int, seed: UInt64) {
        expectAgreement(atEveryLevel { () -> [UInt32] in
            let harness = LayerHarness(layer, count: count, seed: seed)
            let output = harness.forward()
            let gradients = harness.backward(outputGradient: randomValues(output.count, seed: seed + 1))
            return bits(output) + bits(gradients.input) + bits(gradients.parameters)
        })
    }

    @Test("Winograd F(2×2) and F(4×4) convolutions, forward and backward, with ReLU and bias, agree bit for bit at every level",
          arguments: [ConvolutionAlgorithm.winograd, .winograd4x4], [(channels: 3, filters: 5), (channels: 16, filters: 16), (channels: 19, filters: 37)])
    func winogradAgrees(algorithm: ConvolutionAlgorithm, shape: (channels: Int, filters: Int)) throws {
        // 7×9: edge tiles on both sides for either tile size.
        let layer = try Conv2D(inputShape: TensorShape(height: 7, width: 9, channels: shape.channels), filters: shape.filters,
                               kernelSize: 3, padding: .same, activation: .relu, algorithm: algorithm)
        Self.expectLayerAgreement(layer, count: 3, seed: 11)
    }

    @Test("Depthwise convolutions (3x3, and 5x5 of stride 2), forward and backward, agree bit for bit at every level",
          arguments: [(kernel: 3, strides: 1, channels: 19), (kernel: 5, strides: 2, channels: 40)])
    func depthwiseAgrees(shape: (kernel: Int, strides: Int, channels: Int)) throws {
        let layer = try DepthwiseConv2D(inputShape: TensorShape(height: 7, width: 9, channels: shape.channels),
                                        kernelSize: Extent2D(height: shape.kernel, width: shape.kernel),
                                        strides: Extent2D(height: shape.strides, width: shape.strides), padding: .same, activation: .relu)
        Self.expectLayerAgreement(layer, count: 2, seed: 13)
    }

    @Test("Fixed-point rounding (storing and adding), its range check (with and without a copy) and the conversion back agree bit for bit at every level, out-of-range values included",
          arguments: [1, 8, 13, 1000])
    func fixedPointAgrees(count: Int) {
        let format = FixedPointFormat.gradient(addends: 64)
        let outOfRange = count > 8 ? [Float.nan, .infinity, Float(format.limit) * 2] : []
        let results = Self.atEveryLevel { () -> [Int64] in
            var values = randomValues(count, seed: UInt64(count), scale: 1000), outcome: [Int64] = []
            for (index, bad) in ([nil] + outOfRange.map(Optional.some)).enumerated() {
                if let bad { values[index * 3 % count] = bad }
                let sums = AlignedBuffer<Int64>(count: count), floats = FloatBuffer(count: count)
                let stored = format.store(values, count: count, into: sums.pointer)
                let added = format.accumulate(values, count: count, into: sums.pointer)
                let copy = FloatBuffer(count: count)
                let checked = format.check(values, count: count, copyingTo: copy.pointer)
                #expect(stored == added && stored == (bad == nil) && checked == stored && format.check(values, count: count, copyingTo: nil) == stored)
                #expect(copy.array.map(\.bitPattern) == values.map(\.bitPattern))
                format.convert(sums.pointer, sums.pointer, count: count, to: floats.pointer)
                outcome += sums.array + floats.array.map { Int64($0.bitPattern) } + [stored ? 1 : 0]
            }
            return outcome
        }
        Self.expectAgreement(results)
    }

    @Test("Each optimiser's update (from floats and from exact sums), with regularisers and frozen weights, agrees bit for bit at every level",
          arguments: OptimizerSettings.Kind.allCases)
    func optimizerAgrees(kind: OptimizerSettings.Kind) {
        let count = 1037
        var settings = OptimizerSettings()
        settings.kind = kind
        settings.momentum = 0.9
        settings.nesterov = kind == .sgd
        let format = FixedPointFormat.gradient(addends: 8)
        let gradient = randomValues(count, seed: 3, scale: 0.1)
        let sums = AlignedBuffer<Int64>(count: count)
        _ = format.store(gradient, count: count, into: sums.pointer)
        let results = Self.atEveryLevel { () -> [UInt32] in
            let optimizer = Optimizer(parameterCount: count, settings: settings, trainableRanges: [0..<500, 600..<count],
                                      regularization: [(weights: 100..<700, regularizer: Regularizer(l1: 0.01, l2: 0.001))])
            let parameters = FloatBuffer(randomValues(count, seed: 4))
            for _ in 0..<3 { optimizer.update(parameters: parameters, gradient: gradient, learningRate: 0.01) }
            for _ in 0..<3 {
                optimizer.beginStep()
                // Two shares, as two ranks would update them.
                optimizer.update(parameters.pointer, exactSums: sums.pointer, nil, format: format, range: 0..<300, learningRate: 0.01)
                optimizer.update(parameters.pointer, exactSums: sums.pointer + 300, sums.pointer + 300, format: format,
                                 range: 300..<count, learningRate: 0.01)
            }
            return Self.bits(parameters.array) + Self.bits(optimizer.firstMoment.array) + Self.bits(optimizer.secondMoment.array)
        }
        Self.expectAgreement(results)
    }

    @Test("The element-wise and per-channel kernels (ReLU and its gradient, bias, sums, batch-norm's passes) agree bit for bit at every level",
          arguments: [1, 16, 37])
    func elementwiseAgrees(channels: Int) {
        let positions = 5, count = positions * channels
        let x = randomValues(count, seed: 21), y = randomValues(count, seed: 22), vector = randomValues(channels, seed: 23)
        let other = randomValues(channels, seed: 24), third = randomValues(channels, seed: 25)
        let results = Self.atEveryLevel { () -> [UInt32] in
            var outcome: [Float] = []
            // Each kernel into a fresh buffer that starts as `y` (the sums add to it).
            func run(_ size: Int, _ kernel: (UnsafeMutablePointer<Float>) -> Void) {
                let buffer = FloatBuffer(Array(y.prefix(size)))
                kernel(buffer.pointer)
                outcome += buffer.array
            }
            run(count) { tandem_relu_forward(x, count, $0) }
            run(count) { tandem_relu_backward(x, y, count, $0) }
            run(count) { tandem_channels_add_bias($0, vector, positions, channels, 1) }
            run(channels) { tandem_channels_sum(x, positions, channels, $0) }
            run(channels) { tandem_channels_sum_squared_deviations(x, vector, positions, channels, $0) }
            run(channels) { tandem_channels_sum_products(x, y, positions, channels, $0) }
            run(2 * channels) { tandem_channels_sum_and_sum_products(x, y, positions, channels, $0, $0 + channels) }
            run(count) { tandem_channels_multiply_add(x, vector, other, positions, channels, $0) }
            let normalized = FloatBuffer(count: count)
            run(count) { tandem_channels_normalize(x, vector, other, third, other, positions, channels, $0, normalized.pointer) }
            outcome += normalized.array
            run(count) { tandem_channels_normalization_gradient(x, y, vector, other, third, positions, channels, $0) }
            return Self.bits(outcome)
        }
        Self.expectAgreement(results)
    }
}
