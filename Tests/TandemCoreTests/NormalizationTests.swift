import Foundation
import Testing
@testable import TandemCore

/// Layer and group normalisation (per sample) against finite differences (and against Keras: KerasLayerTests).
struct NormalizationTests {
    @Test("Finite differences: layer normalisation over channels, group normalisation over groups")
    func finiteDifferences() throws {
        GradientCheckTests().check(LayerNormalization(inputShape: TensorShape(height: 3, width: 2, channels: 6)))
        GradientCheckTests().check(LayerNormalization(inputShape: .vector(7), center: false))
        GradientCheckTests().check(try GroupNormalization(inputShape: TensorShape(height: 3, width: 3, channels: 8), groups: 4))
        GradientCheckTests().check(try GroupNormalization(inputShape: TensorShape(height: 2, width: 2, channels: 18), groups: 1,
                                                           scale: false))
    }
}
