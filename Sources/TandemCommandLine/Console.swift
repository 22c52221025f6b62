import Foundation
import TandemMPI

/// Prints on rank 0 only, flushed at once so that lines arrive through mpirun as they happen.
struct Console {
    let communicator: Communicator

    func line(_ text: String = "") {
        guard communicator.isRoot else { return }
        print(text)
        fflush(nil)
    }

    func warning(_ text: String) {
        guard communicator.isRoot else { return }
        StandardError.write("tandem: warning: \(text)")
    }
}
