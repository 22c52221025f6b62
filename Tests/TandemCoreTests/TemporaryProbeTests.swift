import Testing
@testable import TandemCore

struct TemporaryProbeTests {
    @Test func probe() throws {
        for (shape, filters) in [(TensorShape(height: 28, width: 28, channels: 1), 8), (TensorShape(height: 28, width: 28, channels: 8), 8),
                                 (TensorShape(height: 14, width: 14, channels: 16), 16)] {
            for samples in [1, 2, 3, 4, 8, 16, 32] {
                let direct = LayerHarness(try Conv2D(inputShape: shape, filters: filters, kernelSize: 3, padding: .same,
                                                     activation: .linear, algorithm: .im2col), count: samples, seed: 4)
                let winograd = LayerHarness(try Conv2D(inputShape: shape, filters: filters, kernelSize: 3, padding: .same,
                                                       activation: .linear, algorithm: .winograd4x4), count: samples, seed: 4)
                let forward = relativeDifference(winograd.forward(), direct.forward())
                let seed = randomValues(samples * direct.layer.outputShape.count, seed: 6)
                let (di, dp) = direct.backward(outputGradient: seed)
                let (wi, wp) = winograd.backward(outputGradient: seed)
                print("PROBE \(shape) f\(filters) n\(samples): forward \(forward) input \(relativeDifference(wi, di)) params \(relativeDifference(wp, dp))")
            }
        }
    }
}
