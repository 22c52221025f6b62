/// Keras's `UpSampling2D`: each row repeated `size.height` times and each column `size.width` times
/// (`nearest`, Keras's default), or the image resized bilinearly to that size (`bilinear`, TensorFlow's
/// resize, `ImageResize`). No weights.
package struct UpSampling2D: KerasLayer {
    package let name: String
    package let inputShape: TensorShape
    package let size: Extent2D
    package let resize: ImageResize

    package var outputShape: TensorShape { resize.output }
    package var kind: String { "UpSampling2D" }
    package let interpolation: ImageResize.Interpolation
    package var summaryDetail: String { "\(size.height)x\(size.width), \(interpolation.rawValue)" }
    package var parameterBlocks: [ParameterBlock] { [] }

    package static let kerasClassNames = ["UpSampling2D"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        let size = try configuration.pair("size", default: (2, 2), in: 1...KerasLayerConfiguration.largestExtent)
        let interpolation = ImageResize.Interpolation(rawValue: try configuration.choice(
            "interpolation", default: "nearest", allowed: ImageResize.Interpolation.allCases.map(\.rawValue)))!
        guard inputShape.height * size.0 <= ModelDescription.largestInputExtent,
              inputShape.width * size.1 <= ModelDescription.largestInputExtent else {
            throw configuration.error("size \(size.0)x\(size.1) makes images larger than \(ModelDescription.largestInputExtent) pixels a side")
        }
        name = configuration.name
        self.inputShape = inputShape
        self.size = Extent2D(height: size.0, width: size.1)
        self.interpolation = interpolation
        resize = ImageResize(input: inputShape, outputHeight: inputShape.height * size.0, outputWidth: inputShape.width * size.1,
                             interpolation: interpolation)
    }

    package func forward(_ memory: LayerMemory) {
        resize.forward(memory.input, into: memory.output, count: memory.count)
    }

    package func backward(_ memory: LayerMemory) {
        guard let inputGradient = memory.inputGradient else { return }
        resize.backward(memory.outputGradient, into: inputGradient, count: memory.count)
    }
}
