import ArgumentParser
import Foundation
import TandemCore
import TandemData
import TandemMPI
import TandemTraining

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: training throughput (default), or the allreduce alone.",
        subcommands: [TrainingBenchCommand.self, AllreduceBenchCommand.self],
        defaultSubcommand: TrainingBenchCommand.self)
}

struct TrainingBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "training",
        abstract: "Measure training throughput: images/s, the step split by phase, GFLOP/s, memory, start-up.",
        discussion: """
            Runs warm-up steps, then --repeats timed runs of --steps training steps each, on every rank, and \
            reports min/median/max. Also measures this machine's single-core sgemm on the model's \
            direct-convolution GEMMs (all ranks at once) as the reference for the compute limit.
              tandem bench
              mpirun -np 2 tandem bench --json bench.json
            """)

    @OptionGroup var data: DataOptions
    @OptionGroup var subset: TrainingSubsetOptions
    @OptionGroup var choice: ModelChoiceOptions
    @OptionGroup var convolution: ConvolutionOptions
    @OptionGroup var distributed: DistributedOptions

    @Flag(help: "Use random images instead of the dataset (no disk reads).")
    var synthetic = false

    @Option(help: ArgumentHelp("Global batch size.", valueName: "n"))
    var batchSize: Int = 32

    @OptionGroup var microBatch: MicroBatchOptions

    @Option(help: ArgumentHelp("Timed steps per repeat.", valueName: "n"))
    var steps: Int = 200

    @Option(help: ArgumentHelp("Untimed steps first.", valueName: "n"))
    var warmup: Int = 20

    @Option(help: ArgumentHelp("Timed repeats.", valueName: "n"))
    var repeats: Int = 5

    @Flag(inversion: .prefixedNo, help: "Time a barrier before each allreduce to report waiting for other ranks apart from the transfer.")
    var separateWait = true

    @Flag(inversion: .prefixedNo, help: "Measure the sgemm reference rate.")
    var gemm = true

    @Option(help: ArgumentHelp("Also write the report as JSON here.", valueName: "file"))
    var json: String?

    @Option(help: ArgumentHelp("Also write one CSV row per repeat here.", valueName: "file"))
    var csv: String?

    @OptionGroup var recipe: RecipeOptions

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, not \(batchSize)") }
        if steps < 1 || repeats < 1 || warmup < 0 {
            throw ValidationError("--steps and --repeats must be at least 1 and --warmup at least 0")
        }
    }

    func run() throws {
        let communicator = distributed.makeCommunicator()
        var request = TrainingRequest(model: choice, convolution: convolution, data: data, subset: subset, microBatch: microBatch,
                                      recipe: recipe, distributed: distributed)
        request.globalBatchSize = batchSize
        let trainer: Trainer, dataPath: String
        do {
            (trainer, dataPath) = try TrainingSession.benchmarkTrainer(request, syntheticImages: synthetic ? subset.limit ?? 60_000 : nil,
                                                                       separateWait: separateWait, communicator: communicator,
                                                                       threads: distributed.makeThreads())
        } catch {
            communicator.end(after: error)
        }
        var options = Benchmark.Options()
        options.steps = steps
        options.warmupSteps = warmup
        options.repeats = repeats
        options.measureGEMM = gemm
        let report = Benchmark(trainer: trainer, options: options, dataDescription: dataPath).run()
        if communicator.isRoot {
            print(BenchmarkTable(report: report).text)
            fflush(nil)
            do {
                if let json { try BenchmarkTable.writeJSON(report, to: json) }
                if let csv { try BenchmarkTable.writeCSV(report, to: csv) }
            } catch {
                Fatal.fail("writing the report: \(error)", communicator: communicator)
            }
        }
        communicator.finalize()
    }
}

/// The human-readable, JSON and CSV forms of a `BenchmarkReport`.
struct BenchmarkTable {
    let report: BenchmarkReport

    var text: String {
        let r = report
        let hostCount = Set(r.hosts).count
        var lines: [String] = []
        lines.append("Tandem bench: \(r.ranks) rank\(r.ranks == 1 ? "" : "s") × \(r.threadsPerRank) thread\(r.threadsPerRank == 1 ? "" : "s") on \(hostCount) host\(hostCount == 1 ? "" : "s") (\(r.coresOnHost) cores, \(r.processor), OpenBLAS \(r.blasCore), \(r.kernels) kernels)")
        lines.append("  global batch \(r.globalBatch) in micro-batches of \(r.microBatch) (up to \(r.microBatchesPerRank) per rank), \(r.data) data, allreduce \(r.allreduce), convolution \(Set(r.convolution).sorted().joined(separator: "+"))")
        lines.append("  \(r.steps) steps × \(r.repeats) repeats after \(r.warmupSteps) warm-up steps")
        if r.oversubscribed { lines.append("  OVERSUBSCRIBED: more ranks × threads than cores; efficiency here says nothing about a cluster") }
        func row(_ name: String, _ value: String) { lines.append("  " + name.padding(toLength: 24, withPad: " ", startingAt: 0) + value) }
        func stats(_ s: Statistics, _ digits: Int) -> String {
            "min \(Format.fixed(s.min, digits))   median \(Format.fixed(s.median, digits))   max \(Format.fixed(s.max, digits))"
        }
        row("images/s (all ranks)", stats(r.imagesPerSecond, 0))
        row("images/s per rank", Format.fixed(r.imagesPerSecondPerRank, 0) + " (median)")
        row("step time (ms)", stats(r.stepMilliseconds, 2))
        let phaseTotal = r.phases.reduce(0) { $0 + $1.millisecondsPerStep }
        for phase in r.phases where phase.name != "wait" || r.waitSeparated {
            row("  " + phase.name, "\(Format.fixed(phase.millisecondsPerStep, 3)) ms  \(Format.fixed(100 * phase.millisecondsPerStep / max(phaseTotal, 1e-12), 1))%")
        }
        row("achieved", "\(Format.fixed(r.achievedGFLOPS, 1)) GFLOP/s (counting \(Format.fixed(r.trainingFLOPsPerImage / 1e6, 1)) MFLOP/image of direct convolution; Winograd does fewer, so this rate is effective)")
        if r.sgemmGFLOPSPerCore > 0 {
            row("sgemm per core", "\(Format.fixed(r.sgemmGFLOPSPerCore, 1)) GFLOP/s (this model's direct-convolution GEMMs, all ranks at once)")
            row("direct-FLOP limit", "\(Format.fixed(r.directFLOPLimitImagesPerSecond, 0)) images/s (\(r.ranks) × sgemm rate); achieved \(Format.fixed(100 * r.fractionOfLimit, 1))% of it")
        }
        row("peak RSS per rank", r.peakResidentBytesPerRank.map { "\(Format.fixed(Double($0) / 1_000_000, 1)) MB" }.joined(separator: ", "))
        if let startup = r.startupSeconds {
            row("start-up", "\(Format.fixed(startup, 2)) s from process start to first step (rank 0)"
                + (r.sinceLaunchSeconds.map { "; \(Format.fixed($0, 2)) s since launch (TANDEM_LAUNCH_TIME)" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }

    static func writeJSON(_ report: BenchmarkReport, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try encoder.encode(report).write(to: URL(fileURLWithPath: path))
    }

    static func writeCSV(_ report: BenchmarkReport, to path: String) throws {
        var text = "ranks,threads_per_rank,global_batch,micro_batch,allreduce,repeat,seconds,images_per_second\n"
        for (index, seconds) in report.repeatSeconds.enumerated() {
            text += "\(report.ranks),\(report.threadsPerRank),\(report.globalBatch),\(report.microBatch),\(report.allreduce),\(index + 1),\(seconds),\(Double(report.steps * report.globalBatch) / seconds)\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

struct AllreduceBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Time the allreduce alone over message sizes: the inputs of the communication cost model.",
        discussion: "  mpirun -np 2 tandem bench allreduce --json allreduce.json")

    @OptionGroup var distributed: DistributedOptions

    @Option(parsing: .upToNextOption, help: ArgumentHelp(
        "Message sizes in 64-bit sums (default: 1 to 262,144, with the tutorial model's 47,092: its gradient, loss and correct count).",
        valueName: "sums"))
    var sizes: [Int] = [1, 16, 256, 1024, 4096, 16_384, 47_092, 65_536, 262_144]

    @Option(help: ArgumentHelp("Timed repeats per size.", valueName: "n"))
    var repeats: Int = 5

    @Option(help: ArgumentHelp("Also write the rows as JSON here.", valueName: "file"))
    var json: String?

    func validate() throws {
        if sizes.isEmpty || sizes.contains(where: { $0 < 1 }) { throw ValidationError("--sizes must be positive counts") }
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
    }

    func run() throws {
        let communicator = distributed.makeCommunicator()
        let rows = CollectiveBenchmark(communicator: communicator, algorithm: distributed.allreduce)
            .run(sizes: sizes, repeats: repeats)
        if communicator.isRoot {
            print("allreduce \(distributed.allreduce.rawValue) over \(communicator.size) ranks on \(Set(communicator.hostNames).count) hosts (\(communicator.hostNames.joined(separator: ", ")))")
            print("    sums        bytes     min µs  median µs   MB/s (median)")
            for row in rows {
                let rate = Double(row.bytes) / row.medianSeconds / 1e6
                print("  " + [String(row.elements).leftPadded(8), String(row.bytes).leftPadded(11),
                              Format.fixed(row.minimumSeconds * 1e6, 1).leftPadded(10),
                              Format.fixed(row.medianSeconds * 1e6, 1).leftPadded(10),
                              Format.fixed(rate, 1).leftPadded(14)].joined(separator: " "))
            }
            fflush(nil)
            if let json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.keyEncodingStrategy = .convertToSnakeCase
                do {
                    let report = AllreduceReport(ranks: communicator.size, hosts: communicator.hostNames,
                                                 algorithm: distributed.allreduce.rawValue, rows: rows)
                    try encoder.encode(report).write(to: URL(fileURLWithPath: json))
                } catch {
                    Fatal.fail("writing \(json): \(error)", communicator: communicator)
                }
            }
        }
        communicator.finalize()
    }
}

struct AllreduceReport: Codable {
    let ranks: Int
    let hosts: [String]
    let algorithm: String
    let rows: [CollectiveBenchmark.Row]
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
