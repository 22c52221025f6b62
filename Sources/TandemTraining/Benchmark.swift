import Foundation
import TandemCore
import TandemData
import TandemMPI

/// `tandem bench`: training steps timed on every rank, split by phase, with warm-up excluded and
/// min/median/max over repeats; the direct-convolution sgemm rate of this core measured in the same
/// run as the reference for "% of the compute limit".
package struct Benchmark {
    package struct Options: Sendable {
        package var steps = 200
        package var warmupSteps = 20
        package var repeats = 5
        package var measureGEMM = true
        package init() {}
    }

    package let trainer: Trainer
    package let options: Options
    package let dataDescription: String

    package init(trainer: Trainer, options: Options, dataDescription: String) {
        self.trainer = trainer
        self.options = options
        self.dataDescription = dataDescription
    }

    /// Random images and labels, for a benchmark that needs no dataset.
    package static func syntheticImages(count: Int, shape: TensorShape, classes: Int, seed: UInt64) -> LabeledImages {
        var generator = RandomGenerator(seed: seed, stream: 77)
        var pixels = [UInt8](repeating: 0, count: count * shape.count)
        for index in pixels.indices { pixels[index] = UInt8(truncatingIfNeeded: generator.next()) }
        let labels = (0..<count).map { _ in UInt8(generator.next(below: min(classes, 256))) }
        return LabeledImages(rows: shape.height, columns: shape.width, channels: shape.channels, pixels: pixels, labels: labels,
                             path: "synthetic")
    }

    /// Collective. Runs warm-up and timed steps and returns the report (complete on rank 0).
    package func run() -> BenchmarkReport {
        let communicator = trainer.communicator
        let sampler = trainer.sampler
        let order = sampler.order(epoch: 1)
        var stepIndex = 0
        func runSteps(_ count: Int) {
            order.withUnsafeBufferPointer { order in
                for _ in 0..<count {
                    trainer.step(order: order.baseAddress!, step: stepIndex % sampler.stepsPerEpoch, epoch: 1)
                    stepIndex += 1
                }
            }
        }

        let startup = ProcessClock.secondsSinceProcessStart()
        let sinceLaunch = ProcessClock.secondsSinceLaunch()
        runSteps(options.warmupSteps)

        var repeatSeconds: [Double] = []
        var phaseMilliseconds: [[Double]] = []   // [repeat][phase], mean over ranks, per step
        for _ in 0..<options.repeats {
            communicator.barrier()
            trainer.resetTimes()
            let start = monotonicSeconds()
            runSteps(options.steps)
            communicator.barrier()
            repeatSeconds.append(monotonicSeconds() - start)
            var phases = trainer.phaseTimes.phaseSeconds
            communicator.allreduceSum(&phases)
            phaseMilliseconds.append(phases.map { $0 / Double(communicator.size) / Double(options.steps) * 1000 })
        }

        var gemm = 0.0
        if options.measureGEMM {
            // Every rank at once, one core each: the rate a core sustains while its neighbours work too.
            communicator.barrier()
            var rate = [GEMMProbe.measure(GEMMProbe.directConvolutionShapes(of: trainer.model), clock: monotonicSeconds)]
            communicator.allreduceSum(&rate)
            gemm = rate[0] / Double(communicator.size)
        }
        var residentBytes = [Double](repeating: 0, count: communicator.size)
        residentBytes[communicator.rank] = Double(ProcessHost.peakResidentBytes)
        communicator.allreduceSum(&residentBytes)

        let imagesPerRepeat = Double(options.steps * sampler.globalBatchSize)
        let throughput = repeatSeconds.map { imagesPerRepeat / $0 }
        let medianPhases = (0..<PhaseTimes.phaseNames.count).map { phase in Statistics(phaseMilliseconds.map { $0[phase] }).median }
        let flopsPerImage = Double(trainer.model.trainingFLOPsPerSample)
        let limit = gemm > 0 ? Double(communicator.size) * gemm * 1e9 / flopsPerImage : 0
        let throughputStatistics = Statistics(throughput)
        return BenchmarkReport(
            ranks: communicator.size, threadsPerRank: trainer.threads.count, hosts: communicator.hostNames,
            coresOnHost: ProcessHost.processorCount, processor: ProcessHost.processorModel, blasCore: BLASThreads.coreName,
            kernels: KernelLevel.current.rawValue,
            data: dataDescription, globalBatch: sampler.globalBatchSize, microBatch: sampler.microBatchSize,
            microBatchesPerRank: sampler.largestRankMicroBatchCount,
            convolution: trainer.model.layers.compactMap { ($0 as? Conv2D)?.algorithm.rawValue },
            allreduce: trainer.configuration.allreduce.rawValue,
            steps: options.steps, warmupSteps: options.warmupSteps, repeats: options.repeats,
            repeatSeconds: repeatSeconds, imagesPerSecond: throughputStatistics,
            imagesPerSecondPerRank: throughputStatistics.median / Double(communicator.size),
            stepMilliseconds: Statistics(repeatSeconds.map { $0 / Double(options.steps) * 1000 }),
            phases: zip(PhaseTimes.phaseNames, medianPhases).map { BenchmarkReport.Phase(name: $0, millisecondsPerStep: $1) },
            waitSeparated: trainer.configuration.separateWait,
            trainingFLOPsPerImage: flopsPerImage,
            achievedGFLOPS: throughputStatistics.median * flopsPerImage / 1e9,
            sgemmGFLOPSPerCore: gemm,
            directFLOPLimitImagesPerSecond: limit,
            fractionOfLimit: limit > 0 ? throughputStatistics.median / limit : 0,
            peakResidentBytesPerRank: residentBytes.map { Int($0) },
            startupSeconds: startup, sinceLaunchSeconds: sinceLaunch)
    }
}

/// min / median / max of a few measurements.
package struct Statistics: Codable, Sendable {
    package let min: Double
    package let median: Double
    package let max: Double
    package init(_ values: [Double]) {
        let sorted = values.sorted()
        min = sorted.first ?? .nan
        max = sorted.last ?? .nan
        median = sorted.isEmpty ? .nan
            : sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

package struct BenchmarkReport: Codable, Sendable {
    package struct Phase: Codable, Sendable {
        package let name: String
        package let millisecondsPerStep: Double
    }
    package let ranks: Int
    package let threadsPerRank: Int
    package let hosts: [String]
    package let coresOnHost: Int
    package let processor: String
    package let blasCore: String
    /// The vector kernels' CPU level (`KernelLevel`): it changes the speed, never the weights.
    package let kernels: String
    package let data: String
    package let globalBatch: Int
    /// `m`: samples per canonical micro-batch.
    package let microBatch: Int
    /// The most micro-batches a rank takes per step.
    package let microBatchesPerRank: Int
    package let convolution: [String]
    package let allreduce: String
    package let steps: Int
    package let warmupSteps: Int
    package let repeats: Int
    package let repeatSeconds: [Double]
    package let imagesPerSecond: Statistics
    package let imagesPerSecondPerRank: Double
    package let stepMilliseconds: Statistics
    /// Median over repeats of each phase's time per step, averaged over ranks.
    package let phases: [Phase]
    package let waitSeparated: Bool
    /// Direct-convolution FLOPs of one training image (Winograd does fewer; rates below count these).
    package let trainingFLOPsPerImage: Double
    package let achievedGFLOPS: Double
    package let sgemmGFLOPSPerCore: Double
    package let directFLOPLimitImagesPerSecond: Double
    package let fractionOfLimit: Double
    package let peakResidentBytesPerRank: [Int]
    package let startupSeconds: Double?
    package let sinceLaunchSeconds: Double?
    package var oversubscribed: Bool {
        let ranksPerHost = Dictionary(grouping: hosts, by: { $0 }).values.map(\.count).max() ?? 1
        return ranksPerHost * threadsPerRank > coresOnHost
    }
}

/// Process start and launch times, for start-up measurements.
package enum ProcessClock {
    /// Seconds since this process started (from /proc; 10 ms resolution), or nil off Linux.
    package static func secondsSinceProcessStart() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let uptimeText = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name; starttime is field 22 overall, the 20th after ")".
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]),
              let uptime = Double(uptimeText.split(separator: " ").first ?? "") else { return nil }
        return uptime - ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Seconds since the wall-clock time in `TANDEM_LAUNCH_TIME` (set by a launch script just before
    /// `mpirun`), so start-up can be measured with mpirun's own start included.
    package static func secondsSinceLaunch() -> Double? {
        guard let text = ProcessInfo.processInfo.environment["TANDEM_LAUNCH_TIME"], let launch = Double(text) else { return nil }
        return Date().timeIntervalSince1970 - launch
    }
}
