/// Rows and columns added around (ZeroPadding2D) or cut from (Cropping2D) an image.
package struct Margins: Equatable, Sendable {
    package var top: Int, bottom: Int, left: Int, right: Int

    package init(top: Int, bottom: Int, left: Int, right: Int) {
        (self.top, self.bottom, self.left, self.right) = (top, bottom, left, right)
    }

    /// Keras's forms: one number for all four, `[rows, columns]`, or `[[top, bottom], [left, right]]`
    /// (what `get_config` writes).
    init(keras configuration: KerasLayerConfiguration, key: String) throws {
        let largest = ModelDescription.largestInputExtent
        guard let value = configuration.config[key], value != .null else { throw configuration.error("\(key) is missing") }
        func whole(_ entry: JSONValue) throws -> Int {
            guard let number = entry.integer, (0...largest).contains(number) else {
                throw configuration.error("\(key) \(value.displayText) must be whole numbers in 0…\(largest)")
            }
            return number
        }
        if value.array == nil {
            let all = try whole(value)
            self.init(top: all, bottom: all, left: all, right: all)
            return
        }
        guard let axes = value.array, axes.count == 2 else { throw configuration.error("\(key) \(value.displayText) is not two entries") }
        let pairs = try axes.map { axis -> (Int, Int) in
            if let both = axis.array {
                guard both.count == 2 else { throw configuration.error("\(key) \(value.displayText) is not two pairs") }
                return (try whole(both[0]), try whole(both[1]))
            }
            let same = try whole(axis)
            return (same, same)
        }
        self.init(top: pairs[0].0, bottom: pairs[0].1, left: pairs[1].0, right: pairs[1].1)
    }

    /// Copies every sample's `inner` image to or from its place inside `outer`, which is `inner` with
    /// these margins around it; the margins of `outer` are not touched.
    func copy(inner: UnsafeMutablePointer<Float>, innerShape: TensorShape, outer: UnsafeMutablePointer<Float>,
              samples: Int, intoOuter: Bool) {
        let channels = innerShape.channels, rowLength = innerShape.width * channels
        let outerWidth = innerShape.width + left + right, outerHeight = innerShape.height + top + bottom
        for sample in 0..<samples {
            for row in 0..<innerShape.height {
                let innerRow = inner + (sample * innerShape.height + row) * rowLength
                let outerRow = outer + ((sample * outerHeight + top + row) * outerWidth + left) * channels
                if intoOuter { outerRow.update(from: innerRow, count: rowLength) } else { innerRow.update(from: outerRow, count: rowLength) }
            }
        }
    }
}

/// Zeros around each image; Keras's `ZeroPadding2D` (channels last). The input gradient is the output
/// gradient without its margins.
package struct ZeroPadding2D: KerasLayer {
    package let name: String
    package let inputShape: TensorShape
    package let margins: Margins

    package var outputShape: TensorShape {
        TensorShape(height: inputShape.height + margins.top + margins.bottom, width: inputShape.width + margins.left + margins.right,
                    channels: inputShape.channels)
    }
    package var kind: String { "ZeroPadding2D" }
    package var parameterBlocks: [ParameterBlock] { [] }

    package init(name: String = "zero_padding2d", inputShape: TensorShape, margins: Margins) {
        self.name = name
        self.inputShape = inputShape
        self.margins = margins
    }

    package static let kerasClassNames = ["ZeroPadding2D"]

    package init(keras configuration: KerasLayerConfiguration, inputShape: TensorShape, context: LayerBuildContext) throws {
        try configuration.requireChannelsLast()
        self.init(name: configuration.name, inputShape: inputShape, margins: try Margins(keras: configuration, key: "padding"))
    }

    package func forward(_ memory: LayerMemory) {
        memory.output.update(repeating: 0, count: memory.count * outputShape.count)
        margins.copy(inner: memory.input, innerShape: inputShape, outer: memory.output, samples: memory.count, intoOuter: true)
    }

    package func backward(_ memory: LayerMemory) {
        guard let inputGradient = memory.inputGradient else { return }
        margins.copy(inner: inputGradient, innerShape: inputShape, outer: memory.outputGradient, samples: memory.count, intoOuter: false)
    }
}
