import ArgumentParser
import TandemCore
import TandemData
import TandemMPI
import TandemTraining

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "placeholder")
    func run() throws {}
}
