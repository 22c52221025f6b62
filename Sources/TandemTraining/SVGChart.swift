import Foundation

/// A line chart drawn as SVG: axes with round-number ticks, grid, labelled axes, lines with markers.
package struct LineChart {
    package struct Series {
        package let label: String
        package let colour: String
        package let dashed: Bool
        package let points: [(x: Double, y: Double)]

        package init(label: String, colour: String, dashed: Bool, points: [(x: Double, y: Double)]) {
            (self.label, self.colour, self.dashed, self.points) = (label, colour, dashed, points)
        }
    }

    package let title: String
    package let xLabel: String
    package let yLabel: String
    package var series: [Series]
    /// Tick labels on the x axis only at whole numbers (epochs, ranks).
    package var integerX = true

    package init(title: String, xLabel: String, yLabel: String, series: [Series], integerX: Bool = true) {
        (self.title, self.xLabel, self.yLabel, self.series, self.integerX) = (title, xLabel, yLabel, series, integerX)
    }

    /// The chart's SVG elements inside the rectangle at (`left`, `top`) of `width` × `height`.
    package func svg(left: Double, top: Double, width: Double, height: Double) -> [String] {
        let plot = (left: left + 62, top: top + 30, right: left + width - 14, bottom: top + height - 46)
        let all = series.flatMap(\.points).filter { $0.y.isFinite }
        guard !all.isEmpty else {
            return [text(title, x: left + width / 2, y: top + 18, anchor: "middle", weight: "bold"),
                    text("no data", x: left + width / 2, y: top + height / 2, anchor: "middle")]
        }
        let xTicks = Self.ticks(from: all.map(\.x).min()!, to: all.map(\.x).max()!, integer: integerX)
        let yTicks = Self.ticks(from: all.map(\.y).min()!, to: all.map(\.y).max()!, integer: false)
        let (xLow, xHigh) = (xTicks.first!, xTicks.last!), (yLow, yHigh) = (yTicks.first!, yTicks.last!)
        func x(_ value: Double) -> Double { plot.left + (value - xLow) / max(xHigh - xLow, 1e-12) * (plot.right - plot.left) }
        func y(_ value: Double) -> Double { plot.bottom - (value - yLow) / max(yHigh - yLow, 1e-12) * (plot.bottom - plot.top) }

        var elements = [text(title, x: (plot.left + plot.right) / 2, y: top + 18, anchor: "middle", weight: "bold")]
        for tick in yTicks {
            elements.append(line(plot.left, y(tick), plot.right, y(tick), stroke: "#e4e4e4"))
            elements.append(text(Self.label(tick, step: yTicks[1] - yTicks[0]), x: plot.left - 6, y: y(tick) + 4, anchor: "end"))
        }
        for tick in xTicks {
            elements.append(line(x(tick), plot.bottom, x(tick), plot.bottom + 4, stroke: "black"))
            elements.append(text(Self.label(tick, step: xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1), x: x(tick), y: plot.bottom + 18, anchor: "middle"))
        }
        elements.append(line(plot.left, plot.bottom, plot.right, plot.bottom, stroke: "black"))
        elements.append(line(plot.left, plot.top, plot.left, plot.bottom, stroke: "black"))
        elements.append(text(xLabel, x: (plot.left + plot.right) / 2, y: plot.bottom + 38, anchor: "middle"))
        let middle = (plot.top + plot.bottom) / 2
        elements.append("<text x=\"\(Self.number(left + 14))\" y=\"\(Self.number(middle))\" transform=\"rotate(-90 \(Self.number(left + 14)) \(Self.number(middle)))\" text-anchor=\"middle\">\(Self.escaped(yLabel))</text>")
        for series in self.series {
            let points = series.points.filter { $0.y.isFinite }
            guard !points.isEmpty else { continue }
            let path = points.map { "\(Self.number(x($0.x))),\(Self.number(y($0.y)))" }.joined(separator: " ")
            elements.append("<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(series.colour)\" stroke-width=\"2\"\(series.dashed ? " stroke-dasharray=\"6 4\"" : "")><title>\(Self.escaped(series.label))</title></polyline>")
            for point in points {
                elements.append("<circle cx=\"\(Self.number(x(point.x)))\" cy=\"\(Self.number(y(point.y)))\" r=\"2.5\" fill=\"\(series.dashed ? "white" : series.colour)\" stroke=\"\(series.colour)\"><title>\(Self.escaped(series.label)): \(Self.label(point.x, step: 1)), \(point.y)</title></circle>")
            }
        }
        return elements
    }

    /// Round-number ticks (steps of 1, 2 or 5 × 10^k) covering `low…high`, about five of them.
    static func ticks(from low: Double, to high: Double, integer: Bool) -> [Double] {
        var (low, high) = (low, high)
        if high - low < 1e-12 { (low, high) = (low - (integer ? 1 : max(abs(low) * 0.05, 1e-3)), high + (integer ? 1 : max(abs(high) * 0.05, 1e-3))) }
        let rough = (high - low) / 5
        let magnitude = pow(10, floor(log10(rough)))
        var step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        if integer { step = max(step.rounded(), 1) }
        let first = floor(low / step) * step, last = ceil(high / step) * step
        return stride(from: first, through: last + step / 2, by: step).map { $0 }
    }

    /// A tick label with as many decimals as the step needs.
    static func label(_ value: Double, step: Double) -> String {
        let decimals = step >= 1 ? 0 : min(6, Int(ceil(-log10(step) - 1e-9)))
        return String(format: "%.\(decimals)f", value)
    }

    static func number(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    private func text(_ content: String, x: Double, y: Double, anchor: String, weight: String = "normal") -> String {
        "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" text-anchor=\"\(anchor)\"\(weight == "normal" ? "" : " font-weight=\"\(weight)\"")>\(Self.escaped(content))</text>"
    }

    private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String) -> String {
        "<line x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\" y2=\"\(Self.number(y2))\" stroke=\"\(stroke)\"/>"
    }
}

/// Charts side by side, with one legend underneath, as a standalone SVG document.
package struct Figure {
    package let charts: [LineChart]
    /// Legend entries: label, colour, dashed.
    package let legend: [(label: String, colour: String, dashed: Bool)]
    package var chartWidth: Double
    package var chartHeight: Double

    package init(charts: [LineChart], legend: [(label: String, colour: String, dashed: Bool)], chartWidth: Double = 460, chartHeight: Double = 330) {
        (self.charts, self.legend, self.chartWidth, self.chartHeight) = (charts, legend, chartWidth, chartHeight)
    }

    package var svg: String {
        let legendRows = (legend.count + 1) / 2
        let width = chartWidth * Double(charts.count), height = chartHeight + 14 + 20 * Double(legendRows)
        var lines = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">",
                     "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"]
        for (index, chart) in charts.enumerated() {
            lines += chart.svg(left: chartWidth * Double(index), top: 0, width: chartWidth, height: chartHeight)
        }
        for (index, entry) in legend.enumerated() {
            let x = 70 + Double(index % 2) * (width / 2), y = chartHeight + 4 + 20 * Double(index / 2)
            lines.append("<line x1=\"\(LineChart.number(x))\" y1=\"\(LineChart.number(y))\" x2=\"\(LineChart.number(x + 28))\" y2=\"\(LineChart.number(y))\" stroke=\"\(entry.colour)\" stroke-width=\"2\"\(entry.dashed ? " stroke-dasharray=\"6 4\"" : "")/>")
            lines.append("<text x=\"\(LineChart.number(x + 36))\" y=\"\(LineChart.number(y + 4))\">\(LineChart.escaped(entry.label))</text>")
        }
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }
}
