import Foundation
import Testing
import TandemData

/// The real Fashion-MNIST files from Debian's dataset-fashion-mnist, when installed.
@Suite(.enabled(if: (try? DatasetDirectory(path: DatasetDirectory.defaultPath).validate()) != nil,
                "Fashion-MNIST is not installed at \(DatasetDirectory.defaultPath)"))
struct FashionMNISTTests {
    let dataset = DatasetDirectory(path: DatasetDirectory.defaultPath)

    @Test("The training split has 60,000 28x28 images with labels in 0..<10, all ten present")
    func trainingSplit() throws {
        let train = try dataset.load(.train)
        #expect(train.count == 60_000 && train.fileCount == 60_000 && train.firstIndex == 0)
        #expect(train.rows == 28 && train.columns == 28)
        #expect(train.pixels.count == 60_000 * 28 * 28)
        #expect(train.labels.allSatisfy { $0 < 10 })
        #expect(Set(train.labels).count == FashionMNIST.classNames.count)
    }

    @Test("The test split has 10,000 28x28 images with labels in 0..<10")
    func testSplit() throws {
        let test = try dataset.load(.test)
        #expect(test.count == 10_000 && test.fileCount == 10_000)
        #expect(test.rows == 28 && test.columns == 28)
        #expect(test.labels.allSatisfy { $0 < 10 })
    }

    /// A rank that reads only its shard must see the very bytes a full read gives for that slice.
    @Test("A shard of the test split equals the same slice of a full read")
    func shardMatchesFullRead() throws {
        let full = try dataset.load(.test)
        let shard = try dataset.load(.test, keeping: { _ in 2500..<5000 })
        let imageSize = 28 * 28
        #expect(shard.count == 2500 && shard.firstIndex == 2500 && shard.fileCount == 10_000)
        #expect(Array(shard.pixels) == Array(full.pixels[2500 * imageSize..<5000 * imageSize]))
        #expect(shard.labels == Array(full.labels[2500..<5000]))
    }
}
