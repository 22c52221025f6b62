import Foundation
import TandemTraining

/// Rank 0's report while pictures are decoded: a line per 10% (with pictures/s), rewritten in place on
/// a terminal.
final class DecodingProgress {
    private var reportedTenths = 0
    private let onTerminal = Terminal.standardOutputIsTerminal

    func update(done: Int, total: Int, seconds: Double) {
        guard total > 0 else { return }
        let tenths = 10 * done / total
        guard tenths > reportedTenths else { return }
        reportedTenths = tenths
        let rate = Double(done) / max(seconds, 1e-9)
        let text = "Decoding pictures: \(10 * tenths)% (\(Format.grouped(done)) of \(Format.grouped(total))), \(Int(rate.rounded())) pictures/s"
        if onTerminal { print("\r" + text, terminator: "") } else { print(text) }
        fflush(nil)
    }

    func finish() {
        guard onTerminal, reportedTenths > 0 else { return }
        print("")
        fflush(nil)
    }
}
