// Trains the Keras tutorial's CNN on Fashion-MNIST (Debian's dataset-fashion-mnist) for one epoch through
// Tandem's library, as `tandem train --epochs 1 --limit N` does, with the same weights:
//   swift run -c release TrainTutorial [N]          (N training images, default 6000)
//   mpirun -np 2 .build/release/TrainTutorial [N]   (the same weights again)
import Foundation
import Tandem

var job = TrainingJob()
job.model = "tutorial"
job.epochs = 1
job.limit = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 6_000

do {
    let result = try job.run { epoch in
        print(epoch)
    }
    if let evaluation = result.evaluation {
        print("test accuracy \(evaluation.accuracy) (\(evaluation.correct)/\(evaluation.count))")
    }
    print("parameters sha256: \(result.parameterDigest)")
} catch {
    FileHandle.standardError.write(Data("TrainTutorial: \(error)\n".utf8))
    exit(1)
}
