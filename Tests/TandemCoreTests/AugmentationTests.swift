import Foundation
import Testing
@testable import TandemCore

/// Augmentation layers: Keras's resampling (checked against keras.ops.image.affine_transform), draws per
/// sample and identity in inference.
struct AugmentationTests {
    struct TranslationFixture: Decodable {
        struct Case: Decodable {
            let down, right: Float
            let fill_mode, interpolation: String
            let output: [Float]
        }
        let input_shape: [Int]
        let input: [Float]
        let fill_value: Float
        let cases: [Case]
    }

    @Test("Translation resamples as TensorFlow does, for every fill mode and interpolation, whole and fractional shifts")
    func translationMatchesKeras() throws {
        let fixture = try kerasLayerFixture("translation", as: TranslationFixture.self)
        let shape = TensorShape(height: fixture.input_shape[0], width: fixture.input_shape[1], channels: fixture.input_shape[2])
        #expect(fixture.cases.count == 32)
        for item in fixture.cases {
            let layer = RandomTranslation(inputShape: shape, heightRange: 0...0, widthRange: 0...0,
                                          fillMode: .init(rawValue: item.fill_mode)!, interpolation: .init(rawValue: item.interpolation)!,
                                          fillValue: fixture.fill_value, position: 0)
            var output = [Float](repeating: .nan, count: shape.count)
            layer.translate(fixture.input, by: (item.down, item.right), into: &output)
            let worst = zip(output, item.output).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-5, "shift (\(item.down), \(item.right)) \(item.fill_mode) \(item.interpolation): \(worst)")
        }
    }

    /// Keras's resampling of one image by a layer's matrix (rotation.json, zoom.json): the angle, or the
    /// zooms, of each case.
    struct ResamplingFixture: Decodable {
        struct Case: Decodable {
            var degrees: Float?
            var height: Float?
            var width: Float?
            let fill_mode: String
            let interpolation: String
            let output: [Float]
        }
        let input_shape: [Int]
        let input: [Float]
        let fill_value: Float
        let cases: [Case]
    }

    @Test("Rotation resamples with Keras's matrix about the centre as TensorFlow does, for every fill mode and interpolation")
    func rotationMatchesKeras() throws {
        let fixture = try kerasLayerFixture("rotation", as: ResamplingFixture.self)
        let shape = TensorShape(height: fixture.input_shape[0], width: fixture.input_shape[1], channels: fixture.input_shape[2])
        #expect(fixture.cases.count == 40)
        for item in fixture.cases {
            let resampling = AffineResampling(shape: shape, fillMode: .init(rawValue: item.fill_mode)!,
                                              interpolation: .init(rawValue: item.interpolation)!, fillValue: fixture.fill_value)
            let layer = RandomRotation(inputShape: shape, range: 0...0, resampling: resampling, position: 0)
            var output = [Float](repeating: .nan, count: shape.count)
            layer.rotate(fixture.input, degrees: try #require(item.degrees), into: &output)
            let worst = zip(output, item.output).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-5, "\(item.degrees!)° \(item.fill_mode) \(item.interpolation): \(worst)")
        }
    }

    @Test("RandomZoom's zoom about the centre is Keras's matrix through TensorFlow's resampling, for every fill mode and interpolation (Tests/Fixtures/keras-layers/zoom.json)")
    func zoomMatchesKeras() throws {
        let fixture = try kerasLayerFixture("zoom", as: ResamplingFixture.self)
        let shape = TensorShape(height: fixture.input_shape[0], width: fixture.input_shape[1], channels: fixture.input_shape[2])
        #expect(fixture.cases.count == 24)
        for item in fixture.cases {
            let configuration = KerasLayerConfiguration(className: "RandomZoom", name: "zoom", config: [
                "height_factor": .number(0.1), "fill_mode": .string(item.fill_mode), "interpolation": .string(item.interpolation),
                "fill_value": .number(Double(fixture.fill_value))])
            let layer = try #require(try LayerRegistry.make(configuration, inputShape: shape, context: LayerBuildContext()) as? RandomZoom)
            var output = [Float](repeating: .nan, count: shape.count)
            layer.zoom(fixture.input, height: try #require(item.height), width: try #require(item.width), into: &output)
            let worst = zip(output, item.output).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-5, "\(item.height!)x\(item.width!) \(item.fill_mode) \(item.interpolation): \(worst)")
        }
    }

    struct CropFixture: Decodable {
        struct Crop: Decodable { let top, left: Int; let output: [Float] }
        struct Inference: Decodable { let height, width: Int; let output: [Float] }
        let input_shape: [Int]
        let input: [Float]
        let crops: [Crop]
        let inference: [Inference]
    }

    @Test("RandomCrop: Keras's window at a given offset; in inference Keras's smart_resize (the centred window of the crop's aspect ratio, resized), for crops smaller, larger and of other shapes than the image (Tests/Fixtures/keras-layers/random-crop.json)")
    func randomCropMatchesKeras() throws {
        let fixture = try kerasLayerFixture("random-crop", as: CropFixture.self)
        let shape = TensorShape(height: fixture.input_shape[0], width: fixture.input_shape[1], channels: fixture.input_shape[2])
        let count = fixture.input.count / shape.count
        #expect(fixture.crops.count == 4 && fixture.inference.count == 6 && count == 2)
        var input = fixture.input
        let crop = RandomCrop(inputShape: shape, height: 4, width: 5, position: 0)
        for item in fixture.crops {
            var output = [Float](repeating: .nan, count: count * crop.outputShape.count)
            let rows = shape.height - 4, columns = shape.width - 5
            let margins = Margins(top: item.top, bottom: rows - item.top, left: item.left, right: columns - item.left)
            input.withUnsafeMutableBufferPointer { image in
                output.withUnsafeMutableBufferPointer { cropped in
                    for sample in 0..<count {
                        crop.crop(image.baseAddress! + sample * shape.count, at: margins,
                                  into: cropped.baseAddress! + sample * crop.outputShape.count)
                    }
                }
            }
            #expect(output == item.output, "offset (\(item.top), \(item.left))")
        }
        for item in fixture.inference {
            let layer = RandomCrop(inputShape: shape, height: item.height, width: item.width, position: 0)
            let harness = LayerHarness(layer, count: count)
            harness.training = false
            for index in input.indices { harness.input[index] = input[index] }
            let worst = zip(harness.forward(), item.output).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-5, "\(item.height)x\(item.width): \(worst)")
            // An image smaller than the crop is resized in training too.
            if item.height > shape.height || item.width > shape.width {
                harness.training = true
                #expect(zip(harness.forward(), item.output).allSatisfy { abs($0 - $1) < 1e-5 })
            }
        }
    }

    @Test("RandomCrop in training: every offset of the window about equally often, the same again for the same sample")
    func randomCropDraws() {
        let shape = TensorShape(height: 5, width: 4, channels: 1)
        let layer = RandomCrop(inputShape: shape, height: 3, width: 3, position: 2)
        let harness = LayerHarness(layer)
        for index in 0..<shape.count { harness.input[index] = Float(index) }
        var counts = [Int: Int]()
        for sample in 0..<3000 {
            harness.sampleIndex = sample
            let output = harness.forward()
            if sample < 5 { #expect(harness.forward() == output) }
            // The top-left value names the offset: row · 4 + column, rows 0…2, columns 0…1.
            let offset = Int(output[0])
            #expect(output == (0..<9).map { Float(offset + ($0 / 3) * 4 + $0 % 3) })
            counts[offset, default: 0] += 1
        }
        #expect(counts.keys.sorted() == [0, 1, 4, 5, 8, 9])
        #expect(counts.values.allSatisfy { abs($0 - 500) < 90 }, "\(counts)")
    }

    @Test("RandomContrast and RandomBrightness: one factor per image, within Keras's range, clipped to value_range; the same again for the same sample; none in inference",
          arguments: ["RandomContrast", "RandomBrightness"])
    func intensity(className: String) throws {
        let shape = TensorShape(height: 4, width: 5, channels: 2)
        let configuration = KerasLayerConfiguration(className: className, name: "intensity",
                                                    config: ["factor": .number(0.3), "value_range": .array([.number(0), .number(1)])])
        let layer = try LayerRegistry.make(configuration, inputShape: shape, context: LayerBuildContext())
        let harness = LayerHarness(layer)
        for index in 0..<shape.count { harness.input[index] = 0.3 + 0.4 * Float(index % 7) / 6 }   // within 0.3…0.7
        var factors: [Float] = []
        for sample in 0..<400 {
            harness.sampleIndex = sample
            let output = harness.forward()
            #expect(harness.forward() == output)
            #expect(output.allSatisfy { (0...1).contains($0) })
            for channel in 0..<2 {
                let values = stride(from: channel, to: shape.count, by: 2).map { (harness.input[$0], output[$0]) }
                let mean = values.map(\.0).reduce(0, +) / Float(values.count)
                // Unclipped elements: (y − mean)/(x − mean) is the contrast, y − x the brightness's delta, one per image.
                let unclipped = values.filter { $0.1 > 0 && $0.1 < 1 && abs($0.0 - mean) > 0.05 }
                let measured = unclipped.map { className == "RandomContrast" ? ($0.1 - mean) / ($0.0 - mean) : $0.1 - $0.0 }
                #expect(measured.max()! - measured.min()! < 1e-4, "sample \(sample): \(measured)")
                factors.append(measured[0])
            }
        }
        // Keras's reading of factor 0.3: contrast 1…1.3, brightness −0.3…0.3 of the value range's width.
        let range: ClosedRange<Float> = className == "RandomContrast" ? 1...1.3 : -0.3...0.3
        #expect(factors.allSatisfy { $0 >= range.lowerBound - 1e-4 && $0 <= range.upperBound + 1e-4 })
        #expect(factors.min()! < range.lowerBound + 0.05 && factors.max()! > range.upperBound - 0.05)
        harness.training = false
        #expect(harness.forward() == harness.input.array)
    }

    @Test("RandomErasing: an image is left alone or one rectangle of it filled, with Keras's probability and side fractions; noise within value_range; the same again for the same sample; none in inference",
          arguments: [JSONValue.null, .number(0.25), .array([.number(0.1), .number(0.2), .number(0.3)])])
    func erasing(fillValue: JSONValue) throws {
        let shape = TensorShape(height: 20, width: 10, channels: 3)
        let configuration = KerasLayerConfiguration(className: "RandomErasing", name: "erase", config: [
            "factor": .array([.number(0.4), .number(0.4)]), "scale": .array([.number(0.04), .number(0.25)]),
            "fill_value": fillValue, "value_range": .array([.number(0), .number(1)])])
        let layer = try LayerRegistry.make(configuration, inputShape: shape, context: LayerBuildContext())
        let harness = LayerHarness(layer)
        for index in 0..<shape.count { harness.input[index] = 2 }   // outside value_range: every erased value is seen
        var erased = 0, widths: [Int] = [], heights: [Int] = []
        for sample in 0..<2000 {
            harness.sampleIndex = sample
            let output = harness.forward()
            #expect(harness.forward() == output)
            let changed = (0..<shape.count / 3).filter { pixel in (0..<3).contains { output[pixel * 3 + $0] != 2 } }
            guard let first = changed.first, let last = changed.last else { continue }
            erased += 1
            // One rectangle: every pixel between its corners, and no other, changed.
            let (rows, columns) = ((first / 10)...(last / 10), (first % 10)...(last % 10))
            #expect(changed.count == rows.count * columns.count && changed.allSatisfy { columns.contains($0 % 10) })
            widths.append(columns.count)
            heights.append(rows.count)
            for pixel in changed {
                for channel in 0..<3 {
                    let value = output[pixel * 3 + channel]
                    switch fillValue {
                    case .null: #expect((0...1).contains(value))
                    case let .number(number): #expect(value == Float(number))
                    default: #expect(value == [0.1, 0.2, 0.3][channel])
                    }
                }
            }
        }
        // Probability 0.4; each side √u of the image's, u in 0.04…0.25: 0.2…0.5 of it, ±1 for the pixel grid.
        #expect(abs(erased - 800) < 90, "\(erased) of 2000 erased")
        #expect(widths.allSatisfy { (1...6).contains($0) } && heights.allSatisfy { (3...11).contains($0) })
        #expect(Set(widths).count >= 4 && Set(heights).count >= 6)
        harness.training = false
        #expect(harness.forward() == harness.input.array)
    }

    struct ErasingFixture: Decodable {
        let config: JSONValue
        let input_shape: [Int]
        let input, inference: [Float]
    }

    @Test("RandomErasing: Keras's configuration (Tests/Fixtures/keras-layers/random-erasing.json) builds the layer; in inference it gives Keras's output, the input")
    func erasingMatchesKerasInInference() throws {
        let fixture = try kerasLayerFixture("random-erasing", as: ErasingFixture.self)
        guard case let .object(config) = fixture.config else { Issue.record("config is not an object"); return }
        let shape = TensorShape(height: fixture.input_shape[0], width: fixture.input_shape[1], channels: fixture.input_shape[2])
        let layer = try LayerRegistry.make(KerasLayerConfiguration(className: "RandomErasing", name: "erase", config: config),
                                           inputShape: shape, context: LayerBuildContext())
        let erasing = try #require(layer as? RandomErasing)
        #expect(erasing.probabilities == 0.5...0.5 && erasing.scales == 0.02...0.33 && erasing.fill == nil && erasing.valueRange == 0...1)
        let harness = LayerHarness(layer, count: 2)
        for index in 0..<fixture.input.count { harness.input[index] = fixture.input[index] }
        harness.training = false
        #expect(harness.forward() == fixture.inference)
    }

    @Test("RandomErasing: a fill_value that is neither a number nor one per channel is refused in one line naming the layer")
    func erasingRefusesFill() {
        let configuration = KerasLayerConfiguration(className: "RandomErasing", name: "erase",
                                                    config: ["fill_value": .array([.number(0.1), .number(0.2)])])
        #expect {
            try LayerRegistry.make(configuration, inputShape: TensorShape(height: 4, width: 4, channels: 3), context: LayerBuildContext())
        } throws: { "\($0)" == "erase: fill_value [0.1, 0.2] is not one number or one per channel (3)" }
    }

    @Test("RandomFlip: each sample gets one of the flips, about a quarter each, the same again for the same sample; none in inference")
    func flips() {
        let shape = TensorShape(height: 2, width: 3, channels: 1)
        let layer = RandomFlip(inputShape: shape, horizontal: true, vertical: true, position: 0)
        let harness = LayerHarness(layer)
        for index in 0..<6 { harness.input[index] = Float(index) }
        let flips: [[Float]] = [[0, 1, 2, 3, 4, 5], [2, 1, 0, 5, 4, 3], [3, 4, 5, 0, 1, 2], [5, 4, 3, 2, 1, 0]]
        var counts = [Int](repeating: 0, count: 4)
        for sample in 0..<4000 {
            harness.sampleIndex = sample
            let output = harness.forward()
            guard let kind = flips.firstIndex(of: output) else { Issue.record("not a flip: \(output)"); return }
            counts[kind] += 1
            if sample < 5 { #expect(harness.forward() == output) }
        }
        #expect(counts.allSatisfy { abs($0 - 1000) < 120 }, "\(counts)")
        harness.training = false
        #expect(harness.forward() == flips[0])
    }

    @Test("RandomTranslation: shifts drawn within the factors; none in inference")
    func translationDraws() {
        let shape = TensorShape(height: 10, width: 10, channels: 1)
        let layer = RandomTranslation(inputShape: shape, heightRange: -0.2...0.2, widthRange: 0...0, fillMode: .constant,
                                      interpolation: .nearest, fillValue: -1, position: 1)
        let harness = LayerHarness(layer)
        for index in 0..<100 { harness.input[index] = 1 }
        var shifted = 0
        for sample in 0..<200 {
            harness.sampleIndex = sample
            let filledRows = harness.forward().filter { $0 == -1 }.count / 10
            #expect(filledRows <= 2)
            shifted += filledRows > 0 ? 1 : 0
        }
        #expect(shifted > 100)
        harness.training = false
        #expect(harness.forward().allSatisfy { $0 == 1 })
    }

    @Test("An augmentation layer after a layer with weights is refused in one line")
    func augmentationOrder() throws {
        let text = """
            {"class_name": "Sequential", "config": {"layers": [
              {"class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 1]}},
              {"class_name": "Conv2D", "config": {"name": "conv", "filters": 2, "kernel_size": 3}},
              {"class_name": "RandomFlip", "config": {"name": "flip", "mode": "horizontal"}},
              {"class_name": "Flatten", "config": {}},
              {"class_name": "Dense", "config": {"units": 3, "activation": "softmax"}}]}}
            """
        #expect {
            _ = try Model(description: ModelDescription(json: text, source: "model.json"))
        } throws: { "\($0)" == "flip: augmentation layers must come before every layer with weights (it follows conv)" }
    }
}
