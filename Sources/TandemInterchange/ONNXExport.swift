import Foundation
import SwiftProtobuf
import TandemCore
import TandemData

/// The model as an ONNX graph (opset 17), written with swift-protobuf from ONNX's own `onnx.proto`
/// (`ONNX.pb.swift`, generated once). It takes Keras's layout, `input` of shape (batch, height, width,
/// channels), and gives `probabilities` (batch, classes), or `logits` for a model without a final softmax,
/// or for a binary classifier `probability` (batch, 1) or `logit`: the model as Keras runs it for `predict`.
/// Inside, convolutions and pooling run in ONNX's channels-first layout; one transpose goes in, and one
/// goes back before a `Flatten`, whose element order is Keras's (channels last). Layers that are the
/// identity at inference (Dropout, the augmentations) leave no node.
package enum ONNXExport {
    package static let opset: Int64 = 17
    package static let inputName = "input"
    /// The metadata entry that says how pixels become the input (see `Model.byteScale`).
    package static let byteScaleKey = "tandem.byte_scale"
    /// What the graph's output is called: what Keras's `predict` gives for this model.
    package static func outputName(for model: Model) -> String { model.output.rawValue }

    package static func encoded(model: Model, parameters: UnsafePointer<Float>, data: DataDescription = DataDescription()) throws -> [UInt8] {
        var graph = GraphBuilder(model: model, parameters: parameters)
        try graph.build()
        var modelProto = Onnx_ModelProto()
        modelProto.irVersion = 8
        modelProto.producerName = "tandem"
        modelProto.domain = "org.tandem"
        modelProto.docString = "Exported by tandem from the Keras model \(model.description.name)"
        var operatorSet = Onnx_OperatorSetIdProto()
        operatorSet.domain = ""
        operatorSet.version = opset
        modelProto.opsetImport = [operatorSet]
        modelProto.graph = graph.graph
        // What a uint8 pixel is multiplied by before it is the graph's input: 1/255, or 1 for a model
        // that rescales its own input.
        var byteScale = Onnx_StringStringEntryProto()
        byteScale.key = byteScaleKey
        byteScale.value = model.byteScale == 1 ? "1" : "1/255"
        // A model trained on folders of pictures: `tandem.class_names` (a JSON array) and `tandem.pictures`.
        modelProto.metadataProps = [byteScale] + data.metadata.sorted { $0.key < $1.key }.map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = "tandem." + key
            entry.value = value
            return entry
        }
        return try modelProto.serializedBytes()
    }
}

/// Builds the graph node by node, tracking the current tensor's name and layout.
struct GraphBuilder {
    let model: Model
    let parameters: UnsafePointer<Float>
    let names: KerasWeightNames
    var graph = Onnx_GraphProto()
    /// The tensor the next node reads.
    private var current = ONNXExport.inputName
    /// Whether `current` is (batch, channels, height, width); otherwise (batch, features).
    private var channelsFirst = false
    private var counter = 0

    init(model: Model, parameters: UnsafePointer<Float>) {
        self.model = model
        self.parameters = parameters
        names = KerasWeightNames(model: model)
        graph.name = model.description.name
    }

    mutating func build() throws {
        let shape = model.inputShape
        graph.input = [Self.valueInfo(ONNXExport.inputName, dimensions: [nil, shape.height, shape.width, shape.channels])]
        if shape.isVector {
            add("Flatten", [current], attributes: [Self.attribute("axis", 1)])
        } else {
            transposeToChannelsFirst()
        }
        // Each activation's tensor and layout, by activation (0 the input, `i + 1` layer i's output).
        var activations = [(name: current, channelsFirst: channelsFirst)]
        for (index, layer) in model.layers.enumerated() {
            let inputs = model.layerInputs[index].map { activations[$0] }
            (current, channelsFirst) = inputs[0]
            if let merge = layer as? any MergeLayer {
                try addMerge(merge, inputs: inputs)
            } else {
                try add(layer, tensors: names.layers[index].tensors)
            }
            activations.append((current, channelsFirst))
        }
        // A binary classifier's sigmoid, which Tandem's loss computes, is the graph's last node.
        if model.output == .probability { add("Sigmoid", [current]) }
        let output = ONNXExport.outputName(for: model)
        graph.output = [Self.valueInfo(output, dimensions: [nil, model.layers.last!.outputShape.count])]
        // The last node's output is the model's output.
        graph.node[graph.node.count - 1].output = [output]
    }

    // MARK: Layers

    private mutating func add(_ layer: any Layer, tensors: [KerasWeightNames.Tensor]) throws {
        func weight(_ variable: String) -> KerasWeightNames.Tensor? { tensors.first { $0.variable == variable } }
        switch layer {
        case let convolution as Conv2D:
            toChannelsFirst()
            let kernel = try require(weight("kernel"), layer)
            // Keras (kh, kw, in, out) → ONNX (out, in, kh, kw).
            let w = initializer(kernel, permutation: [3, 2, 0, 1])
            var inputs = [current, w]
            if let bias = weight("bias") { inputs.append(initializer(bias)) }
            add("Conv", inputs, attributes: [
                Self.attribute("kernel_shape", [convolution.kernelSize.height, convolution.kernelSize.width]),
                Self.attribute("strides", [convolution.strides.height, convolution.strides.width]),
                Self.attribute("dilations", [convolution.dilation.height, convolution.dilation.width]),
                Self.attribute("pads", pads(input: layer.inputShape, window: convolution.window, strides: convolution.strides,
                                            padding: convolution.padding)),
            ])
            addActivation(.hidden(convolution.activation))
            if let trailing = convolution.trailing { addPointwise(trailing.function, layer: layer.name) }
        case let depthwise as DepthwiseConv2D:
            addDepthwise(depthwise, kernel: try require(weight("depthwise_kernel"), layer), bias: weight("bias"))
            addActivation(.hidden(depthwise.activation))
            if let trailing = depthwise.trailing { addPointwise(trailing.function, layer: layer.name) }
        case let separable as SeparableConv2D:
            addDepthwise(separable.depthwise, kernel: try require(weight("depthwise_kernel"), layer), bias: nil)
            // Keras (1, 1, in, out) → ONNX (out, in, 1, 1).
            var inputs = [current, initializer(try require(weight("pointwise_kernel"), layer), permutation: [3, 2, 0, 1])]
            if let bias = weight("bias") { inputs.append(initializer(bias)) }
            add("Conv", inputs, attributes: [Self.attribute("kernel_shape", [1, 1])])
            addActivation(.hidden(separable.pointwise.activation))
            if let trailing = separable.pointwise.trailing { addPointwise(trailing.function, layer: layer.name) }
        case let dense as Dense:
            flatten()
            let kernel = try require(weight("kernel"), layer)
            var inputs = [current, initializer(kernel)]
            inputs.append(weight("bias").map { initializer($0) } ?? constant(Array(repeating: Float(0), count: dense.units), name: "\(dense.name)/bias"))
            add("Gemm", inputs)
            addActivation(dense.activation)
            if let trailing = dense.trailing { addPointwise(trailing.function, layer: layer.name) }
        case let pooling as MaxPooling2D:
            toChannelsFirst()
            add("MaxPool", [current], attributes: poolingAttributes(layer, size: pooling.poolSize, strides: pooling.strides, padding: pooling.padding))
        case let pooling as AveragePooling2D:
            toChannelsFirst()
            // Keras averages over the window's part inside the input (count_include_pad 0).
            add("AveragePool", [current], attributes: poolingAttributes(layer, size: pooling.poolSize, strides: pooling.strides, padding: pooling.padding)
                + [Self.attribute("count_include_pad", 0)])
        case let pooling as GlobalPooling2D:
            toChannelsFirst()
            add(pooling.reduction == .average ? "GlobalAveragePool" : "GlobalMaxPool", [current])
            if !pooling.keepsDimensions {
                add("Flatten", [current], attributes: [Self.attribute("axis", 1)])
                channelsFirst = false
            }
        case is Flatten:
            flatten()
        case let activation as ActivationLayer:
            addPointwise(activation.function, layer: layer.name)
        case let normalization as BatchNormalization:
            let channels = normalization.channels
            let (gamma, beta) = scaleAndShift(weight("gamma"), weight("beta"), channels: channels, layer: layer.name)
            let mean = initializer(try require(weight("moving_mean"), layer))
            let variance = initializer(try require(weight("moving_variance"), layer))
            add("BatchNormalization", [current, gamma, beta, mean, variance], attributes: [Self.attribute("epsilon", normalization.epsilon)])
        case let normalization as LayerNormalization:
            // Over the channels of each position: channels last for ONNX's LayerNormalization (axis -1).
            let channels = layer.inputShape.channels
            let wasChannelsFirst = channelsFirst
            if wasChannelsFirst { add("Transpose", [current], attributes: [Self.attribute("perm", [0, 2, 3, 1])]) }
            let (gamma, beta) = scaleAndShift(weight("gamma"), weight("beta"), channels: channels, layer: layer.name)
            add("LayerNormalization", [current, gamma, beta], attributes: [Self.attribute("axis", -1), Self.attribute("epsilon", normalization.epsilon)])
            if wasChannelsFirst { add("Transpose", [current], attributes: [Self.attribute("perm", [0, 3, 1, 2])]) }
        case let normalization as GroupNormalization:
            // Each group of channels over all positions: instance normalisation of (batch, groups, rest),
            // then the per-channel gamma and beta.
            toChannelsFirst()
            let shape = layer.inputShape, groups = normalization.groups
            let grouped = constant([0, groups, -1], name: "\(layer.name)/grouped_shape")
            add("Reshape", [current, grouped])
            add("InstanceNormalization", [current, constant(Array(repeating: Float(1), count: groups), name: "\(layer.name)/unit_scale"),
                                          constant(Array(repeating: Float(0), count: groups), name: "\(layer.name)/zero_bias")],
                attributes: [Self.attribute("epsilon", normalization.epsilon)])
            add("Reshape", [current, constant([0, shape.channels, shape.height, shape.width], name: "\(layer.name)/shape")])
            if let gamma = weight("gamma") { add("Mul", [current, initializer(gamma, shape: [shape.channels, 1, 1])]) }
            if let beta = weight("beta") { add("Add", [current, initializer(beta, shape: [shape.channels, 1, 1])]) }
        case let reshape as Reshape:
            // The values in Keras's (channels-last) order, then the new shape; images go back to channels first.
            flatten()
            let shape = reshape.outputShape
            if !shape.isVector {
                add("Reshape", [current, constant([-1, shape.height, shape.width, shape.channels], name: "\(layer.name)/shape")])
                transposeToChannelsFirst()
            }
        case let rescaling as Rescaling:
            add("Mul", [current, constant([rescaling.scale], name: "\(layer.name)/scale")])
            if rescaling.offset != 0 { add("Add", [current, constant([rescaling.offset], name: "\(layer.name)/offset")]) }
        case let normalization as Normalization:
            // The weights' mean and deviation as constants, laid out to broadcast over the current tensor.
            let channels = normalization.channels
            let statistics = (0..<channels).map { normalization.meanAndDeviation(parameters: parameters + (tensors.first?.offset ?? 0), channel: $0) }
            let shape = channelsFirst ? [channels, 1, 1] : [channels]
            let mean = constant(statistics.map(\.mean), name: "\(layer.name)/mean", shape: shape)
            let deviation = constant(statistics.map(\.deviation), name: "\(layer.name)/deviation", shape: shape)
            if normalization.invert {
                add("Mul", [current, deviation])
                add("Add", [current, mean])
            } else {
                add("Sub", [current, mean])
                add("Div", [current, deviation])
            }
        case let upsampling as UpSampling2D:
            addResize(upsampling.resize, interpolation: upsampling.interpolation, layer: layer.name)
        case let resizing as Resizing:
            addResize(resizing.resize, interpolation: resizing.interpolation, layer: layer.name)
        case let padding as ZeroPadding2D:
            toChannelsFirst()
            let margins = padding.margins
            add("Pad", [current, constant([0, 0, margins.top, margins.left, 0, 0, margins.bottom, margins.right], name: "\(layer.name)/pads")])
        case let cropping as Cropping2D:
            addCropAndResize(cropping.crop, layer: layer.name)
        case let prelu as PReLU:
            // Keras's alpha (height, width, channels) as ONNX's slope, broadcast over (channels, height, width).
            let alpha = try require(weight("alpha"), layer)
            if !prelu.inputShape.isVector { toChannelsFirst() }
            add("PRelu", [current, prelu.inputShape.isVector ? initializer(alpha) : initializer(alpha, permutation: [2, 0, 1])])
        case let crop as RandomCrop:
            addCropAndResize(crop.centred, layer: layer.name)   // its inference
        case is Dropout, is GaussianNoise, is ActivityRegularization, is any AugmentationLayer:
            break   // the identity at inference
        default:
            throw ModelDefinitionError("\(layer.name): \(layer.kind) has no ONNX export yet")
        }
    }

    /// A depthwise convolution: ONNX's grouped `Conv`, one group per input channel, its kernel Keras's
    /// (kh, kw, channels, multiplier) as (channels · multiplier, 1, kh, kw).
    private mutating func addDepthwise(_ layer: DepthwiseConv2D, kernel: KerasWeightNames.Tensor, bias: KerasWeightNames.Tensor?) {
        toChannelsFirst()
        let size = layer.kernelSize
        var inputs = [current, initializer(kernel, permutation: [2, 3, 0, 1], shape: [layer.outputShape.channels, 1, size.height, size.width])]
        if let bias { inputs.append(initializer(bias)) }
        add("Conv", inputs, attributes: [
            Self.attribute("group", layer.inputShape.channels),
            Self.attribute("kernel_shape", [size.height, size.width]),
            Self.attribute("strides", [layer.strides.height, layer.strides.width]),
            Self.attribute("dilations", [layer.dilation.height, layer.dilation.width]),
            Self.attribute("pads", pads(input: layer.inputShape, window: layer.window,
                                        strides: layer.strides, padding: layer.padding)),
        ])
    }

    /// The window (a `Slice` of the height and width, channels first), then its resize where it has one.
    private mutating func addCropAndResize(_ crop: CropAndResize, layer: String) {
        toChannelsFirst()
        let margins = crop.window, shape = crop.input
        add("Slice", [current, constant([margins.top, margins.left], name: "\(layer)/starts"),
                      constant([shape.height - margins.bottom, shape.width - margins.right], name: "\(layer)/ends"),
                      constant([2, 3], name: "\(layer)/axes")])
        if let resize = crop.resize { addResize(resize, interpolation: .bilinear, layer: layer) }
    }

    /// TensorFlow's resize as ONNX's `Resize` to the output's size: bilinear with half-pixel centres
    /// (both clamp at the border), nearest with TensorFlow's half-pixel rule `floor((y + 0.5)·in/out)`, which
    /// is ONNX's half-pixel position `(y + 0.5)·in/out − 0.5` rounded half up.
    private mutating func addResize(_ resize: ImageResize, interpolation: ImageResize.Interpolation, layer: String) {
        toChannelsFirst()
        let image = current
        add("Shape", [image])
        add("Slice", [current, constant([0], name: "\(layer)/batch_start"), constant([2], name: "\(layer)/batch_end")])
        add("Concat", [current, constant([resize.output.height, resize.output.width], name: "\(layer)/size")],
            attributes: [Self.attribute("axis", 0)])
        let sizes = current
        let mode: [Onnx_AttributeProto] = switch interpolation {
        case .bilinear: [Self.attribute("mode", "linear"), Self.attribute("coordinate_transformation_mode", "half_pixel")]
        case .nearest: [Self.attribute("mode", "nearest"), Self.attribute("coordinate_transformation_mode", "half_pixel"),
                        Self.attribute("nearest_mode", "round_prefer_ceil")]
        }
        add("Resize", [image, "", "", sizes], attributes: mode)
    }

    /// A merge layer over tensors in one layout: images channels first (a vector broadcast against
    /// them becomes (batch, channels, 1, 1)), vectors flat.
    private mutating func addMerge(_ layer: any MergeLayer, inputs: [(name: String, channelsFirst: Bool)]) throws {
        let images = !layer.outputShape.isVector || inputs.contains { $0.channelsFirst }
        var names: [String] = []
        for (slot, (shape, input)) in zip(layer.inputShapes, inputs).enumerated() {
            (current, channelsFirst) = input
            if images && !channelsFirst {
                add("Reshape", [current, constant([0, shape.channels, 1, 1], name: "\(layer.name)/input_\(slot)_shape")])
            }
            names.append(current)
        }
        switch layer {
        case let merge as ElementwiseMerge:
            switch merge.operation {
            case .add: add("Sum", names)
            case .subtract: add("Sub", names)
            case .average: add("Mean", names)
            case .maximum: add("Max", names)
            case .minimum: add("Min", names)
            case .multiply:
                current = names[0]
                if names.count == 1 { add("Identity", names) }
                for name in names.dropFirst() { add("Mul", [current, name]) }
            }
        case let concatenate as Concatenate:
            let axis = switch (images, concatenate.axis) {
            case (false, _), (true, .channels): 1
            case (true, .height): 2
            case (true, .width): 3
            }
            add("Concat", names, attributes: [Self.attribute("axis", axis)])
        default:
            throw ModelDefinitionError("\(layer.name): \(layer.kind) has no ONNX export yet")
        }
        channelsFirst = images
    }

    /// The initialisers of a normalisation's gamma and beta: its own, or ones and zeros where the layer
    /// has none (`scale` or `center` false), since ONNX's operators take both.
    private mutating func scaleAndShift(_ gamma: KerasWeightNames.Tensor?, _ beta: KerasWeightNames.Tensor?, channels: Int,
                                        layer: String) -> (gamma: String, beta: String) {
        (gamma.map { initializer($0) } ?? constant(Array(repeating: Float(1), count: channels), name: "\(layer)/gamma"),
         beta.map { initializer($0) } ?? constant(Array(repeating: Float(0), count: channels), name: "\(layer)/beta"))
    }

    private func require(_ tensor: KerasWeightNames.Tensor?, _ layer: any Layer) throws -> KerasWeightNames.Tensor {
        guard let tensor else { throw ModelDefinitionError("\(layer.name): a weight the ONNX export needs is missing") }
        return tensor
    }

    private mutating func addActivation(_ activation: KerasActivation) {
        switch activation {
        case .softmax: add("Softmax", [current], attributes: [Self.attribute("axis", -1)])
        case .hidden(.relu): add("Relu", [current])
        case .hidden(.sigmoid): add("Sigmoid", [current])
        case .hidden(.tanh): add("Tanh", [current])
        case .hidden(.linear): break
        }
    }

    /// An element-wise function in opset 17's operators; GELU, Mish, SiLU and Keras's general ReLU are
    /// composed from them as Keras defines them.
    private mutating func addPointwise(_ function: PointwiseFunction, layer: String) {
        if let activation = function.kerasActivation { return addActivation(activation) }
        let x = current
        func scalar(_ value: Float, _ role: String) -> String { constant([value], name: "\(layer)/\(role)") }
        switch function {
        case let .rectifier(nil, slope, 0):
            add("LeakyRelu", [x], attributes: [Self.attribute("alpha", slope)])
        case let .rectifier(maximum, slope, threshold):
            if threshold == 0 {
                add("Relu", [x])
            } else {
                add("Greater", [x, scalar(threshold, "threshold")])
                add("Where", [current, x, scalar(0, "zero")])
            }
            if let maximum { add("Min", [current, scalar(maximum, "maximum")]) }
            if slope != 0 {
                let passed = current
                add("Sub", [scalar(threshold, "negative_part_threshold"), x])
                add("Relu", [current])
                add("Mul", [current, scalar(slope, "negative_slope")])
                add("Sub", [passed, current])
            }
        case let .elu(alpha):
            add("Elu", [x], attributes: [Self.attribute("alpha", alpha)])
        case .selu:
            add("Selu", [x], attributes: [Self.attribute("alpha", Float(1.67326324)), Self.attribute("gamma", Float(1.05070098))])
        case .gelu(approximate: false):
            add("Div", [x, scalar(Float(2).squareRoot(), "sqrt2")])
            add("Erf", [current])
            add("Add", [current, scalar(1, "one")])
            add("Mul", [current, x])
            add("Mul", [current, scalar(0.5, "half")])
        case .gelu(approximate: true):
            add("Mul", [x, x])
            add("Mul", [current, x])
            add("Mul", [current, scalar(0.044715, "cubic")])
            add("Add", [current, x])
            add("Mul", [current, scalar(0.7978845608, "scale")])
            add("Tanh", [current])
            add("Add", [current, scalar(1, "one")])
            add("Mul", [current, x])
            add("Mul", [current, scalar(0.5, "half")])
        case .silu:
            add("Sigmoid", [x])
            add("Mul", [x, current])
        case .softplus:
            add("Softplus", [x])
        case .softsign:
            add("Softsign", [x])
        case .hardSigmoid:
            add("HardSigmoid", [x], attributes: [Self.attribute("alpha", Float(1) / 6), Self.attribute("beta", Float(0.5))])
        case .hardSilu:
            add("HardSwish", [x])
        case .mish:
            add("Softplus", [x])
            add("Tanh", [current])
            add("Mul", [x, current])
        case .linear, .relu, .sigmoid, .tanh, .softmax:
            break   // handled above
        }
    }

    /// ONNX pads (top, left, bottom, right): TensorFlow's `same` puts an odd extra row or column last.
    private func pads(input: TensorShape, window: Extent2D, strides: Extent2D, padding: Padding) -> [Int] {
        let (outputHeight, top) = padding.outputSize(input: input.height, window: window.height, stride: strides.height)
        let (outputWidth, left) = padding.outputSize(input: input.width, window: window.width, stride: strides.width)
        let totalHeight = max((outputHeight - 1) * strides.height + window.height - input.height, 0)
        let totalWidth = max((outputWidth - 1) * strides.width + window.width - input.width, 0)
        return padding == .valid ? [0, 0, 0, 0] : [top, left, totalHeight - top, totalWidth - left]
    }

    private func poolingAttributes(_ layer: any Layer, size: Extent2D, strides: Extent2D, padding: Padding) -> [Onnx_AttributeProto] {
        [Self.attribute("kernel_shape", [size.height, size.width]), Self.attribute("strides", [strides.height, strides.width]),
         Self.attribute("pads", pads(input: layer.inputShape, window: size, strides: strides, padding: padding))]
    }

    // MARK: Layout

    /// Channels first for a layer that works on images. A tensor that is not channels first is flat
    /// here, (batch, channels): a 1×1 image (Tandem's shapes do not tell the two apart, as in
    /// squeeze-and-excitation's `Reshape((1, 1, C))`), which becomes (batch, channels, 1, 1). Images in
    /// Keras's layout (the graph's input, a `Reshape`'s output) are transposed where they are made.
    private mutating func toChannelsFirst() {
        guard !channelsFirst else { return }
        add("Unsqueeze", [current, constant([2, 3], name: "\(current)/image_axes")])
        channelsFirst = true
    }

    /// An image in Keras's layout, (batch, height, width, channels), to ONNX's channels first.
    private mutating func transposeToChannelsFirst() {
        add("Transpose", [current], attributes: [Self.attribute("perm", [0, 3, 1, 2])])
        channelsFirst = true
    }

    /// (batch, features) in Keras's order: channels-first tensors go back to channels last first.
    private mutating func flatten() {
        guard channelsFirst else { return }
        add("Transpose", [current], attributes: [Self.attribute("perm", [0, 2, 3, 1])])
        add("Flatten", [current], attributes: [Self.attribute("axis", 1)])
        channelsFirst = false
    }

    // MARK: Nodes and tensors

    private mutating func add(_ operation: String, _ inputs: [String], attributes: [Onnx_AttributeProto] = []) {
        counter += 1
        var node = Onnx_NodeProto()
        node.opType = operation
        node.name = "\(operation.lowercased())_\(counter)"
        node.input = inputs
        node.output = [node.name + "_output"]
        node.attribute = attributes
        graph.node.append(node)
        current = node.output[0]
    }

    /// A weight as an initialiser named as Keras names it, its axes permuted if asked.
    private mutating func initializer(_ tensor: KerasWeightNames.Tensor, permutation: [Int]? = nil, shape: [Int]? = nil) -> String {
        var values = Array(UnsafeBufferPointer(start: parameters + tensor.offset, count: tensor.count))
        var dimensions = tensor.shape
        if let permutation {
            (values, dimensions) = Self.permute(values, shape: tensor.shape, permutation: permutation)
        }
        var proto = Onnx_TensorProto()
        proto.name = tensor.name
        proto.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        proto.dims = (shape ?? dimensions).map(Int64.init)
        proto.floatData = values
        graph.initializer.append(proto)
        return tensor.name
    }

    private mutating func constant(_ values: [Float], name: String, shape: [Int]? = nil) -> String {
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        proto.dims = (shape ?? [values.count]).map(Int64.init)
        proto.floatData = values
        graph.initializer.append(proto)
        return name
    }

    private mutating func constant(_ values: [Int], name: String) -> String {
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        proto.dims = [Int64(values.count)]
        proto.int64Data = values.map(Int64.init)
        graph.initializer.append(proto)
        return name
    }

    /// `values` of `shape` (row-major) with its axes reordered: output axis i is input axis permutation[i].
    static func permute(_ values: [Float], shape: [Int], permutation: [Int]) -> ([Float], [Int]) {
        let outputShape = permutation.map { shape[$0] }
        var inputStrides = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) { inputStrides[axis] = inputStrides[axis + 1] * shape[axis + 1] }
        var output = [Float](repeating: 0, count: values.count)
        var index = [Int](repeating: 0, count: shape.count)
        for position in 0..<values.count {
            var source = 0
            for axis in 0..<shape.count { source += index[axis] * inputStrides[permutation[axis]] }
            output[position] = values[source]
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < outputShape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return (output, outputShape)
    }

    static func valueInfo(_ name: String, dimensions: [Int?]) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var shape = Onnx_TensorShapeProto()
        shape.dim = dimensions.map { size in
            var dimension = Onnx_TensorShapeProto.Dimension()
            if let size { dimension.dimValue = Int64(size) } else { dimension.dimParam = "batch" }
            return dimension
        }
        tensor.shape = shape
        info.type.tensorType = tensor
        return info
    }

    static func attribute(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = Int64(value)
        return attribute
    }

    static func attribute(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .ints
        attribute.ints = values.map(Int64.init)
        return attribute
    }

    static func attribute(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .float
        attribute.f = value
        return attribute
    }

    static func attribute(_ name: String, _ value: String) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .string
        attribute.s = Data(value.utf8)
        return attribute
    }
}
