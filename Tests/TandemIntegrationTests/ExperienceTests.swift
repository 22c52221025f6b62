import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// What a user sees and keeps from a run: the progress bar in a terminal, the line-per-epoch log,
/// the history file across a resume, the evaluation report and the plot; checked on the real binary.
@Suite(.serialized, .enabled(if: IntegrationEnvironment.ready))
struct ExperienceTests {
    /// 640 images, global batch 32: 20 steps per epoch.
    static let run = ["train", "--limit", "640", "--epochs", "2", "--seed", "3"]

    @Test("On a terminal (a real pseudo-terminal from script(1)), rank 0 draws Keras's progress bar; into a pipe, one line per epoch")
    func progressBarOnTerminalLinesOtherwise() throws {
        let command = ([TandemProcess.binary] + Self.run).joined(separator: " ")
        let terminal = TandemProcess.run("/usr/bin/script", ["-qec", command, "/dev/null"], timeout: 120)
        #expect(terminal.status == 0, "\(terminal.standardError)")
        let plain = terminal.standardOutput.replacingOccurrences(of: "\u{1b}\\[[0-9;]*m", with: "", options: .regularExpression)
        #expect(plain.contains("Epoch 1/2\r\n") && plain.contains("Epoch 2/2\r\n"))
        // The finished bar of each epoch: all 20 steps, elapsed seconds, time per step, the metrics, then the test set's.
        let finished = try NSRegularExpression(pattern: "\r20/20 ━{20} \\d+s \\d+ms/step - accuracy: 0\\.\\d{4} - loss: \\d\\.\\d{4} - test_accuracy: 0\\.\\d{4} - test_loss: \\d\\.\\d{4}\r\n")
        #expect(finished.numberOfMatches(in: plain, range: NSRange(plain.startIndex..., in: plain)) == 2, "\(plain.suffix(400))")
        #expect(!plain.contains(" img/s - loss"))

        let piped = TandemProcess.mpirun(ranks: 2, Self.run)
        #expect(piped.status == 0, "\(piped.standardError)")
        let epochLines = piped.lines.filter { $0.hasPrefix("Epoch ") }
        #expect(epochLines.count == 2 && epochLines.allSatisfy {
            $0.range(of: "^Epoch [12]/2 - [0-9.]+s - [0-9]+ img/s - loss: [0-9.]+ - accuracy: [0-9.]+ - test_loss: [0-9.]+ - test_accuracy: [0-9.]+ \\(eval [0-9.]+s\\)$",
                     options: .regularExpression) != nil
        }, "\(epochLines)")
        #expect(!piped.standardOutput.contains("━"))

        let silent = TandemProcess.tandem(Self.run + ["--verbose", "0"])
        #expect(silent.status == 0 && silent.lines.count == 2 && silent.lines[0].hasPrefix("Test loss:"), "\(silent.lines)")
    }

    @Test("--history: one row per epoch in Keras CSVLogger's columns; a resume drops the rows after its checkpoint and appends, so the file equals an uninterrupted run's (timings aside)",
          arguments: ["csv", "jsonl"])
    func historyContinuesAcrossResume(format: String) throws {
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let straightHistory = directory + "/straight." + format, history = directory + "/run." + format
        let run = ["train", "--limit", "640", "--epochs", "3", "--seed", "3"]
        #expect(TandemProcess.mpirun(ranks: 2, run + ["--history", straightHistory]).status == 0)
        // Stopped at step 50 (in epoch 3), the history holds epochs 0 and 1 (Keras's numbering); resuming
        // from the first epoch's checkpoint must drop the row of epoch 1 and write it again.
        let first = TandemProcess.mpirun(ranks: 2, run + ["--history", history, "--checkpoint-dir", directory, "--inject-failure", "0:50:error"])
        #expect(first.status != 0)
        #expect(try Self.epochs(history, format: format) == [0, 1])
        let resumed = TandemProcess.mpirun(ranks: 3, run + ["--history", history, "--resume", directory + "/tandem-epoch-001.ckpt"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(try Self.epochs(history, format: format) == [0, 1, 2])
        #expect(try Self.withoutTimings(history, format: format) == (try Self.withoutTimings(straightHistory, format: format)))
        if format == "csv" {
            let header = try String(contentsOfFile: history, encoding: .utf8).split(separator: "\n").first
            #expect(header == "epoch,accuracy,images_per_second,learning_rate,loss,seconds,test_accuracy,test_loss")
        }
    }

    static func rows(_ path: String, format: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        if format == "csv" {
            let columns = lines[0].split(separator: ",").map(String.init)
            return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(columns, $0.split(separator: ",").map(String.init))) }
        }
        return try lines.map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return object.mapValues { "\($0)" }
        }
    }

    static func epochs(_ path: String, format: String) throws -> [Int] { try rows(path, format: format).map { Int($0["epoch"]!)! } }

    static func withoutTimings(_ path: String, format: String) throws -> [[String: String]] {
        try rows(path, format: format).map { $0.filter { $0.key != "seconds" && $0.key != "images_per_second" } }
    }

    @Test("evaluate --report --json: the confusion matrix's diagonal is the correct count, its rows the class supports, top-1 the accuracy; the same at 1 and 2 ranks")
    func reportAddsUp() throws {
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(TandemProcess.tandem(Self.run + ["--epochs", "1", "--checkpoint-dir", directory, "--verbose", "0"]).status == 0)
        func report(ranks: Int) throws -> [String: Any] {
            let outcome = TandemProcess.mpirun(ranks: ranks, ["evaluate", "--checkpoint", directory, "--report", "--json"])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            return try #require(try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any])
        }
        let single = try report(ranks: 1)
        let confusion = try #require(single["confusion_matrix"] as? [[Int]])
        let classes = try #require(single["classes"] as? [[String: Any]])
        let correct = try #require(single["correct"] as? Int), samples = try #require(single["samples"] as? Int)
        #expect(samples == 10000 && confusion.count == 10 && confusion.allSatisfy { $0.count == 10 })
        #expect(confusion.indices.map { confusion[$0][$0] }.reduce(0, +) == correct)
        #expect(classes.map { $0["support"] as! Int } == confusion.map { $0.reduce(0, +) })
        #expect(classes.map { $0["support"] as! Int }.reduce(0, +) == samples)
        #expect(single["accuracy"] as? Double == Double(correct) / Double(samples))
        let topK = try #require(single["top_k_accuracy"] as? [String: Double])
        #expect(topK["1"] == single["accuracy"] as? Double && topK["2"]! >= topK["1"]! && topK["5"]! >= topK["2"]!)
        #expect((classes[0]["name"] as? String) == "T-shirt/top")
        let sharded = try report(ranks: 2)
        #expect(NSDictionary(dictionary: sharded).isEqual(to: single))

        let text = TandemProcess.tandem(["evaluate", "--checkpoint", directory, "--report"])
        #expect(text.lines.contains { $0.hasPrefix("    accuracy") } && text.lines.contains { $0.hasPrefix("top-1 accuracy: ") })
    }

    @Test("tandem plot writes well-formed SVG holding every epoch of every run as a point, with a legend entry per run")
    func plotHoldsThePoints() throws {
        let directory = TandemProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, seed) in [("a", "3"), ("b", "4")] {
            #expect(TandemProcess.tandem(Self.run + ["--seed", seed, "--history", "\(directory)/\(name).csv", "--verbose", "0"]).status == 0)
        }
        let output = directory + "/curves.svg"
        let plot = TandemProcess.tandem(["plot", "\(directory)/a.csv", "\(directory)/b.csv", "--output", output, "--labels", "seed 3,seed 4"])
        #expect(plot.status == 0, "\(plot.standardError)")
        let document = try XMLDocument(contentsOf: URL(fileURLWithPath: output))
        let polylines = try document.nodes(forXPath: "//*[local-name()='polyline']/@points").compactMap(\.stringValue)
        // Two runs × (loss, accuracy) × (training, test), two epochs each.
        #expect(polylines.count == 8)
        #expect(polylines.allSatisfy { $0.split(separator: " ").count == 2 }, "\(polylines)")
        let texts = try document.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
        #expect(texts.contains("seed 3: training") && texts.contains("seed 4: test set") && texts.contains("epoch"))

        let bad = TandemProcess.tandem(["plot", "\(directory)/missing.csv", "--output", output])
        #expect(bad.status != 0 && bad.standardError.contains("missing.csv"))
    }
}
