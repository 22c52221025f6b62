/// Keras's `Resizing`: every image resized to `height × width`, bilinear (Keras's default) or nearest,
/// as TensorFlow's resize computes it without antialiasing (`ImageResize`). No weights.
package struct Resizing: KerasLayer {
    package let name: String
    package let inputShape: TensorShape
    package let interpolation: ImageResize.Interpolation
    package let resize: ImageResize

    package var outputShape: TensorShape { resize.output }
    package var kind: String { "Resizing" }
    package var summaryDetail: String { interpolation.rawValue }
    package var parameterBlocks: [ParameterBlock] { [] }

    package static let kerasClassNames = ["Resizing"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        for key in ["crop_to_aspect_ratio", "pad_to_aspect_ratio", "antialias"] {
            try configuration.require(key, isOneOf: [.bool(false)])
        }
        let extents = 1...ModelDescription.largestInputExtent
        name = configuration.name
        self.inputShape = inputShape
        interpolation = ImageResize.Interpolation(rawValue: try configuration.choice(
            "interpolation", default: "bilinear", allowed: ImageResize.Interpolation.allCases.map(\.rawValue)))!
        resize = ImageResize(input: inputShape, outputHeight: try configuration.integer("height", in: extents),
                             outputWidth: try configuration.integer("width", in: extents), interpolation: interpolation)
    }

    package func forward(_ memory: LayerMemory) {
        resize.forward(memory.input, into: memory.output, count: memory.count)
    }

    package func backward(_ memory: LayerMemory) {
        guard let inputGradient = memory.inputGradient else { return }
        resize.backward(memory.outputGradient, into: inputGradient, count: memory.count)
    }
}
