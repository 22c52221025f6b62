/// Keras's `Resizing`: every image resized to `height × width`, bilinear (Keras's default) or nearest,
/// as TensorFlow's resize computes it without antialiasing (`ImageResize`). No weights.
public struct Resizing: KerasLayer {
    public let name: String
    public let inputShape: TensorShape
    public let interpolation: ImageResize.Interpolation
    public let resize: ImageResize

    public var outputShape: TensorShape { resize.output }
    public var kind: String { "Resizing" }
    public var summaryDetail: String { interpolation.rawValue }
    public var parameterBlocks: [ParameterBlock] { [] }

    public static let kerasClassNames = ["Resizing"]

    public init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
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

    public func forward(_ memory: LayerMemory) {
        resize.forward(memory.input, into: memory.output, count: memory.count)
    }

    public func backward(_ memory: LayerMemory) {
        guard let inputGradient = memory.inputGradient else { return }
        resize.backward(memory.outputGradient, into: inputGradient, count: memory.count)
    }
}
