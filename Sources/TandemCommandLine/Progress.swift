import ArgumentParser
import Foundation
import TandemMPI
import TandemTraining
#if canImport(Glibc)
import Glibc
#endif

/// `--verbose`, with Keras's meaning: 0 silent, 1 a progress bar per epoch, 2 one line per epoch;
/// `auto` (the default) is 1 on a terminal and 2 otherwise (logs, Slurm).
enum Verbosity: String, ExpressibleByArgument, CaseIterable {
    case auto, silent = "0", bar = "1", lines = "2"

    /// What a run prints with this setting, given where rank 0's output goes.
    var resolved: Verbosity {
        guard self == .auto else { return self }
        return Terminal.standardOutputIsTerminal ? .bar : .lines
    }
}

enum Terminal {
    /// Whether what this process prints reaches a terminal. Open MPI gives every rank a
    /// pseudo-terminal of its own whatever mpirun's output is, so under a launcher the answer is
    /// the launching process's (mpirun runs the ranks of its own host as children); a rank started
    /// by a remote daemon or by srun answers no, and prints lines.
    static var standardOutputIsTerminal: Bool {
        guard isatty(1) != 0, ProcessInfo.processInfo.environment["TERM"] != "dumb" else { return false }
        guard LaunchEnvironment.isUnderLauncher else { return true }
        var target = [CChar](repeating: 0, count: 256)
        let length = readlink("/proc/\(getppid())/fd/1", &target, target.count - 1)
        guard length > 0 else { return false }
        let path = String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return path.hasPrefix("/dev/pts/") || path.hasPrefix("/dev/tty")
    }
}

/// Keras's metrics after an epoch's training numbers: `- test_accuracy: 0.9103 - test_loss: 0.2472`
/// (`val_…` for data held out).
private func evaluationText(_ report: EpochReport) -> String {
    guard let evaluation = report.evaluation else { return "" }
    let prefix = report.evaluationSet.metricPrefix
    return " - \(prefix)_accuracy: \(Format.keras(evaluation.accuracy)) - \(prefix)_loss: \(Format.keras(evaluation.meanLoss))"
}

/// `--verbose 2`: one line per epoch, on rank 0, flushed (what logs and Slurm output files get).
final class EpochLines: TrainingObserver {
    let console: Console
    init(console: Console) { self.console = console }

    func epochEnded(_ report: EpochReport) {
        var line = "Epoch \(report.epoch)/\(report.epochs) - \(Format.fixed(report.seconds, 1))s - \(Int(report.imagesPerSecond.rounded())) img/s"
            + " - loss: \(Format.fixed(report.loss, 4)) - accuracy: \(Format.fixed(report.accuracy, 4))"
        if let evaluation = report.evaluation {
            let prefix = report.evaluationSet.metricPrefix
            line += " - \(prefix)_loss: \(Format.fixed(evaluation.meanLoss, 4)) - \(prefix)_accuracy: \(Format.fixed(evaluation.accuracy, 4))"
                + " (eval \(Format.fixed(report.evaluationSeconds, 1))s)"
        }
        console.line(line)
    }
}

/// `--verbose 1`: Keras 3's progress bar, redrawn in place on rank 0 at most every 50 ms:
///
///     Epoch 3/7
///     1250/1875 ━━━━━━━━━━━━━━━━━━━━ 6s 10ms/step - accuracy: 0.8874 - loss: 0.3121
///
/// ETA while the epoch runs, elapsed seconds when done, then the test metrics. The metrics are the
/// global batch's running means over the epoch so far: the step's allreduce already carries them,
/// so the bar adds no communication; a step costs one clock read unless the bar is redrawn.
final class ProgressBar: TrainingObserver {
    static let width = 20
    static let interval = 0.05
    let isRoot: Bool
    private var steps = 1
    private var epochStart = 0.0
    private var afterFirstStep: Double?
    private var lastDraw = 0.0
    private var previousWidth = 0
    private var lastLine = (step: 0, lossSum: 0.0, correct: 0, samples: 1)

    init(isRoot: Bool) { self.isRoot = isRoot }

    func epochBegan(_ epoch: Int, of epochs: Int, steps: Int) {
        guard isRoot else { return }
        self.steps = steps
        emit("Epoch \(epoch)/\(epochs)\n")
        epochStart = monotonicSeconds()
        afterFirstStep = nil
        lastDraw = 0
        previousWidth = 0
    }

    func stepEnded(_ step: Int, lossSum: Double, correct: Int, samples: Int) {
        guard isRoot else { return }
        let now = monotonicSeconds()
        if step == 1 { afterFirstStep = now }
        lastLine = (step, lossSum, correct, samples)
        guard now - lastDraw >= Self.interval, step < steps else { return }
        lastDraw = now
        draw(now: now, finished: false, suffix: "")
    }

    func epochEnded(_ report: EpochReport) {
        guard isRoot else { return }
        draw(now: epochStart + report.seconds, finished: true, suffix: evaluationText(report))
        emit("\n")
    }

    /// Keras's time per step: the first step (warm-up) left out once there are others.
    private func secondsPerStep(now: Double) -> Double {
        let step = lastLine.step
        guard step > 0 else { return 0 }
        if let afterFirstStep, step > 1 { return (now - afterFirstStep) / Double(step - 1) }
        return (now - epochStart) / Double(step)
    }

    private func draw(now: Double, finished: Bool, suffix: String) {
        let (step, lossSum, correct, samples) = lastLine
        let digits = String(steps).count
        let counter = String(repeating: " ", count: max(0, digits - String(step).count)) + "\(step)/\(steps)"
        let filled = Self.width * step / max(steps, 1)
        let perStep = secondsPerStep(now: now)
        let time = finished ? "\(Int((now - epochStart).rounded()))s" : Format.duration(perStep * Double(steps - step))
        let metrics = " - accuracy: \(Format.keras(Double(correct) / Double(samples))) - loss: \(Format.keras(lossSum / Double(samples)))"
        let plain = "\(counter) " + String(repeating: "━", count: Self.width) + " \(time) \(Format.perStep(perStep))" + metrics + suffix
        let width = plain.count
        var text = "\r\u{1b}[1m\(counter)\u{1b}[0m "
        if filled > 0 { text += "\u{1b}[32m" + String(repeating: "━", count: filled) + "\u{1b}[0m" }
        text += "\u{1b}[37m" + String(repeating: "━", count: Self.width - filled) + "\u{1b}[0m"
        text += " \u{1b}[1m\(time)\u{1b}[0m \(Format.perStep(perStep))" + metrics + suffix
        if previousWidth > width { text += String(repeating: " ", count: previousWidth - width) }
        previousWidth = width
        emit(text)
    }

    private func emit(_ text: String) {
        text.utf8CString.withUnsafeBufferPointer { bytes in _ = Glibc.write(1, bytes.baseAddress, bytes.count - 1) }
    }
}

extension Format {
    /// Keras's metric format: four decimals, or scientific below 1e-3.
    static func keras(_ value: Double) -> String {
        guard value.isFinite, abs(value) <= 1e-3 else { return fixed(value, 4) }
        return String(format: "%.4e", value)
    }

    /// Keras's ETA: `42s`, `3:07`, `1:02:03`.
    static func duration(_ seconds: Double) -> String {
        let total = Int(max(seconds, 0))
        if total > 3600 { return "\(total / 3600):" + twoDigits((total % 3600) / 60) + ":" + twoDigits(total % 60) }
        if total > 60 { return "\(total / 60):" + twoDigits(total % 60) }
        return "\(total)s"
    }

    /// Keras's time per step: `2s/step`, `19ms/step`, `850us/step`.
    static func perStep(_ seconds: Double) -> String {
        if seconds >= 1 || seconds == 0 { return "\(Int(seconds.rounded()))s/step" }
        if seconds >= 1e-3 { return "\(Int((seconds * 1e3).rounded()))ms/step" }
        return "\(Int((seconds * 1e6).rounded()))us/step"
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
