import TandemCore

/// Class probabilities for images, computed in canonical blocks of `blockSize` (a checkpoint's
/// micro-batch size), so that each image's probabilities are those evaluation computes for it in the
/// same place of a block.
package enum Prediction {
    /// Per image (each of the model's input size), its probability for each class.
    package static func probabilities(of images: [[Float]], model: Model, parameters: UnsafeMutablePointer<Float>,
                                      blockSize: Int) -> [[Float]] {
        let workspace = ModelWorkspace(model: model, capacity: blockSize, use: .inference)
        model.prepare(parameters: parameters, workspace: workspace)
        let classes = model.classCount
        var results: [[Float]] = []
        results.reserveCapacity(images.count)
        for start in stride(from: 0, to: images.count, by: blockSize) {
            let block = images[start..<min(start + blockSize, images.count)]
            for (slot, image) in block.enumerated() {
                image.withUnsafeBufferPointer { (workspace.input + slot * model.inputShape.count).update(from: $0.baseAddress!, count: $0.count) }
            }
            workspace.count = block.count
            let logits = model.forward(parameters: parameters, workspace: workspace)
            for slot in 0..<block.count {
                results.append([Float](unsafeUninitializedCapacity: classes) { buffer, count in
                    SoftmaxCrossEntropy.probabilities(logits: logits + slot * classes, classes: classes, into: buffer.baseAddress!)
                    count = classes
                })
            }
        }
        return results
    }

    /// Class indices from the most probable down (ties: the lower index first).
    package static func ranked(_ probabilities: [Float]) -> [Int] {
        probabilities.indices.sorted { probabilities[$0] > probabilities[$1] || (probabilities[$0] == probabilities[$1] && $0 < $1) }
    }
}
