/// Measures this core's `sgemm` rate on exactly the matrix products a direct (im2col) convolution of
/// the model would run for one training sample: the reference for "% of the direct-FLOP limit".
package enum GEMMProbe {
    package struct Shape: Sendable {
        package let m, n, k: Int
        package let transposeA, transposeB: Bool
        package var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    }

    /// Per convolution: forward, kernel gradient and (except the first layer) input gradient GEMMs.
    package static func directConvolutionShapes(of model: Model) -> [Shape] {
        var shapes: [Shape] = []
        for (index, layer) in model.layers.enumerated() {
            guard let convolution = layer as? Conv2D else { continue }
            let positions = convolution.outputShape.height * convolution.outputShape.width
            let patch = convolution.kernelSize.area * convolution.inputShape.channels
            let filters = convolution.filters
            shapes.append(Shape(m: positions, n: filters, k: patch, transposeA: false, transposeB: false))
            shapes.append(Shape(m: patch, n: filters, k: positions, transposeA: true, transposeB: false))
            if index > 0 { shapes.append(Shape(m: positions, n: patch, k: filters, transposeA: false, transposeB: true)) }
        }
        return shapes
    }

    /// GFLOP/s of running `shapes` back to back (one sample's worth), the best of `repeats`
    /// measurements taking about `seconds` in all.
    package static func measure(_ shapes: [Shape], seconds: Double = 0.3, repeats: Int = 3,
                                clock: () -> Double) -> Double {
        let largest = shapes.map { max($0.m * $0.k, $0.k * $0.n, $0.m * $0.n) }.max() ?? 1
        let a = FloatBuffer(count: largest), b = FloatBuffer(count: largest), c = FloatBuffer(count: largest)
        var generator = RandomGenerator(seed: 5)
        for index in 0..<largest {
            a[index] = generator.nextUnitFloat() - 0.5
            b[index] = generator.nextUnitFloat() - 0.5
        }
        let flopsPerRound = shapes.reduce(0) { $0 + $1.flops }
        func round() {
            for shape in shapes {
                matrixMultiply(a.pointer, transposeA: shape.transposeA, b.pointer, transposeB: shape.transposeB,
                               into: c.pointer, m: shape.m, n: shape.n, k: shape.k)
            }
        }
        round()  // warm up: page in the buffers, let OpenBLAS allocate its own
        let calibrationStart = clock()
        var calibrationRounds = 0
        while clock() - calibrationStart < 0.05 { round(); calibrationRounds += 1 }
        let secondsPerRound = (clock() - calibrationStart) / Double(calibrationRounds)
        let roundsPerMeasurement = max(1, Int(seconds / Double(repeats) / secondsPerRound))
        var best = 0.0
        for _ in 0..<repeats {
            let begin = clock()
            for _ in 0..<roundsPerMeasurement { round() }
            best = max(best, Double(roundsPerMeasurement) * flopsPerRound / (clock() - begin) / 1e9)
        }
        return best
    }
}
