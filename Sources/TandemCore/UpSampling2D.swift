/// Keras's `UpSampling2D`: each row repeated `size.height` times and each column `size.width` times
/// (`nearest`, Keras's default), or the image resized bilinearly to that size (`bilinear`, TensorFlow's
/// resize, `ImageResize`). No weights.
public struct UpSampling2D: KerasLayer {
    public let name: String
    public let inputShape: TensorShape
    public let size: Extent2D
    public let resize: ImageResize

    public var outputShape: TensorShape { resize.output }
    public var kind: String { "UpSampling2D" }
    public let interpolation: ImageResize.Interpolation
    public var summaryDetail: String { "\(size.height)x\(size.width), \(interpolation.rawValue)" }
    public var parameterBlocks: [ParameterBlock] { [] }

    public static let kerasClassNames = ["UpSampling2D"]

    public init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
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

    public func forward(_ memory: LayerMemory) {
        resize.forward(memory.input, into: memory.output, count: memory.count)
    }

    public func backward(_ memory: LayerMemory) {
        guard let inputGradient = memory.inputGradient else { return }
        resize.backward(memory.outputGradient, into: inputGradient, count: memory.count)
    }
}
