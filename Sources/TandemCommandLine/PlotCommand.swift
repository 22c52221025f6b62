import ArgumentParser
import Foundation
import TandemData
import TandemMPI
import TandemTraining

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw training histories (loss and accuracy per epoch) or scaling results as an SVG picture.",
        discussion: """
            Each history (from train --history, or Keras's CSVLogger) is one run: training as solid lines, the \
            test set dashed, one colour per run, so that several runs compare at a glance. A scaling.csv (from \
            Launch/scaling.sh) gives images/s against ranks with the ideal line. Examples:
              tandem plot runs/a.csv runs/b.csv --output curves.svg
              tandem plot Launch/results/scaling/scaling.csv --output scaling.svg
            """)

    @Argument(help: ArgumentHelp("History files (.csv or .jsonl), or one scaling.csv.", valueName: "file"))
    var files: [String]

    @Option(help: ArgumentHelp("Where to write the SVG.", valueName: "file.svg"))
    var output: String

    @Option(help: ArgumentHelp("Names for the runs in the legend, comma-separated (default: the file names).", valueName: "names"))
    var labels: String?

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one history file to plot") }
        if let labels, labels.split(separator: ",", omittingEmptySubsequences: false).count != files.count {
            throw ValidationError("--labels has \(labels.split(separator: ",", omittingEmptySubsequences: false).count) names for \(files.count) files")
        }
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    func run() throws {
        SingleProcessCommunicator().agree {
            let tables = try files.map(Table.init(path:))
            let figure: Figure
            if tables.count == 1, tables[0].columns.starts(with: ["mode", "ranks"]) {
                figure = try Self.scalingFigure(tables[0])
            } else {
                let names = labels.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
                    ?? files.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
                figure = try Self.historyFigure(tables, names: names)
            }
            guard FileManager.default.createFile(atPath: output, contents: Data(figure.svg.utf8)) else {
                throw InputFileError(path: output, problem: "cannot be written")
            }
        }
        print("Wrote \(output)")
    }

    /// Loss and accuracy against epochs: training solid, test dashed, a colour per run.
    static func historyFigure(_ tables: [Table], names: [String]) throws -> Figure {
        var loss = LineChart(title: "Loss (cross-entropy)", xLabel: "epoch", yLabel: "loss", series: [])
        var accuracy = LineChart(title: "Accuracy", xLabel: "epoch", yLabel: "accuracy", series: [])
        var legend: [(String, String, Bool)] = []
        for (index, table) in tables.enumerated() {
            guard let epochs = table.column("epoch") else {
                throw InputFileError(path: table.path, problem: "has no epoch column: not a training history")
            }
            let colour = palette[index % palette.count]
            // Histories count epochs from 0, as Keras's CSVLogger does; the plot shows epochs completed.
            func points(_ name: String) -> [(x: Double, y: Double)]? {
                table.column(name).map { values in zip(epochs, values).compactMap { x, y in x.map { ($0 + 1, y ?? .nan) } } }
            }
            func add(_ metric: String, to chart: inout LineChart) {
                if let train = points(metric) {
                    chart.series.append(.init(label: "\(names[index]) train \(metric)", colour: colour, dashed: false, points: train))
                }
                if let test = points("test_" + metric) ?? points("val_" + metric) {
                    chart.series.append(.init(label: "\(names[index]) test \(metric)", colour: colour, dashed: true, points: test))
                }
            }
            add("loss", to: &loss)
            add("accuracy", to: &accuracy)
            legend.append(("\(names[index]): training", colour, false))
            legend.append(("\(names[index]): test set", colour, true))
        }
        return Figure(charts: [loss, accuracy], legend: legend)
    }

    /// Images/s against ranks, a line per mode (strong, weak) with its ideal (rank 1 × N) dashed.
    static func scalingFigure(_ table: Table) throws -> Figure {
        guard let modes = table.textColumn("mode"), let ranks = table.column("ranks"), let speed = table.column("images_per_second") else {
            throw InputFileError(path: table.path, problem: "needs mode, ranks and images_per_second columns")
        }
        var chart = LineChart(title: "Training throughput", xLabel: "ranks", yLabel: "images/s", series: [])
        var legend: [(String, String, Bool)] = []
        for (index, mode) in Array(Set(modes)).sorted().enumerated() {
            let colour = palette[index % palette.count]
            let points = modes.indices.filter { modes[$0] == mode }.compactMap { row in ranks[row].flatMap { r in speed[row].map { (x: r, y: $0) } } }
                .sorted { $0.x < $1.x }
            guard let single = points.first(where: { $0.x == 1 }) else { continue }
            chart.series.append(.init(label: "\(mode) measured", colour: colour, dashed: false, points: points))
            chart.series.append(.init(label: "\(mode) ideal", colour: colour, dashed: true, points: points.map { ($0.x, single.y * $0.x) }))
            legend += [("\(mode) scaling, measured", colour, false), ("\(mode) scaling, ideal (1 rank × N)", colour, true)]
        }
        return Figure(charts: [chart], legend: legend, chartWidth: 620)
    }
}

/// A small table read from CSV (header row) or JSON Lines (one object per line); numbers or missing.
struct Table {
    let path: String
    let columns: [String]
    let rows: [[String]]

    init(path: String) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else { throw InputFileError(path: path, problem: "cannot be read") }
        guard data.count <= 64 << 20 else { throw InputFileError(path: path, problem: "is over 64 MiB: not a history") }
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).filter { !$0.isEmpty }
        if path.hasSuffix(".jsonl") {
            var columns: [String] = [], rows: [[String: String]] = []
            for (number, line) in lines.enumerated() {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw InputFileError(path: path, problem: "line \(number + 1) is not a JSON object")
                }
                for key in object.keys.sorted() where !columns.contains(key) { columns.append(key) }
                rows.append(object.mapValues { "\($0)" })
            }
            self.columns = columns
            self.rows = rows.map { row in columns.map { row[$0] ?? "" } }
        } else {
            guard let header = lines.first else { throw InputFileError(path: path, problem: "is empty") }
            columns = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            if let bad = rows.firstIndex(where: { $0.count != columns.count }) {
                throw InputFileError(path: path, problem: "row \(bad + 2) has \(rows[bad].count) fields; the header has \(columns.count)")
            }
        }
    }

    func textColumn(_ name: String) -> [String]? {
        columns.firstIndex(of: name).map { index in rows.map { $0[index] } }
    }

    /// A column as numbers; nil where a value is missing or not a number (Keras writes `NA`).
    func column(_ name: String) -> [Double?]? {
        textColumn(name)?.map { Double($0.trimmingCharacters(in: .whitespaces)) }
    }
}
