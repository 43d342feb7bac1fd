import Foundation

/// A line chart written as a self-contained SVG image: one or more named series over a shared x
/// axis, with axis ticks and a legend. Used for training curves and speediness curves; SVG needs
/// no image library and opens in any browser.
public struct LineChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// Draws markers on the points as well as the line (for sparse series).
        public var markers: Bool

        public init(name: String, points: [(x: Double, y: Double)], markers: Bool = false) {
            self.name = name
            self.points = points
            self.markers = markers
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Fixed y range; nil fits the data.
    public var yRange: ClosedRange<Double>?
    /// Horizontal reference lines (e.g. a 0.5 threshold).
    public var guides: [Double]
    public var width = 720.0
    public var height = 400.0

    public init(title: String, xLabel: String, yLabel: String, series: [Series],
                yRange: ClosedRange<Double>? = nil, guides: [Double] = []) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.yRange = yRange
        self.guides = guides
    }

    private static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// The chart as an SVG document.
    public func svg() -> String {
        let left = 64.0, right = 16.0, top = 36.0, bottom = 48.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
        let ys = series.flatMap { $0.points.map(\.y) }.filter(\.isFinite) + guides
        let xRange = LineChart.padded(xs.min() ?? 0, xs.max() ?? 1, pad: 0)
        let yFit = yRange ?? LineChart.padded(ys.min() ?? 0, ys.max() ?? 1, pad: 0.05)
        func px(_ x: Double) -> Double { left + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (y - yFit.lowerBound) / (yFit.upperBound - yFit.lowerBound)) * plotHeight }

        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" \
        viewBox="0 0 \(f(width)) \(f(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(width / 2))" y="20" text-anchor="middle" font-size="14">\(LineChart.escaped(title))</text>

        """
        for tick in LineChart.ticks(yFit) {
            out += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(py(tick)))\" y2=\"\(f(py(tick)))\" stroke=\"#e5e5e5\"/>\n"
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(py(tick) + 4))\" text-anchor=\"end\">\(LineChart.label(tick))</text>\n"
        }
        for tick in LineChart.ticks(xRange) {
            out += "<line x1=\"\(f(px(tick)))\" x2=\"\(f(px(tick)))\" y1=\"\(f(top + plotHeight))\" y2=\"\(f(top + plotHeight + 4))\" stroke=\"black\"/>\n"
            out += "<text x=\"\(f(px(tick)))\" y=\"\(f(top + plotHeight + 17))\" text-anchor=\"middle\">\(LineChart.label(tick))</text>\n"
        }
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"black\"/>\n"
        for guide in guides {
            out += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(py(guide)))\" y2=\"\(f(py(guide)))\" stroke=\"#888\" stroke-dasharray=\"4 4\"/>\n"
        }
        for (k, line) in series.enumerated() {
            let colour = LineChart.palette[k % LineChart.palette.count]
            let points = line.points.filter { $0.x.isFinite && $0.y.isFinite }
            let path = points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(path)\"/>\n"
            if line.markers {
                for p in points { out += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3\" fill=\"\(colour)\"/>\n" }
            }
            let legendY = top + 14 + Double(k) * 16
            out += "<line x1=\"\(f(left + plotWidth - 150))\" x2=\"\(f(left + plotWidth - 130))\" y1=\"\(f(legendY - 4))\" y2=\"\(f(legendY - 4))\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
            out += "<text x=\"\(f(left + plotWidth - 124))\" y=\"\(f(legendY))\">\(LineChart.escaped(line.name))</text>\n"
        }
        out += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">\(LineChart.escaped(xLabel))</text>\n"
        out += "<text transform=\"translate(16 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(LineChart.escaped(yLabel))</text>\n"
        out += "</svg>\n"
        return out
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }

    static func padded(_ low: Double, _ high: Double, pad: Double) -> ClosedRange<Double> {
        if high - low < 1e-12 { return (low - 1)...(high + 1) }
        let margin = (high - low) * pad
        return (low - margin)...(high + margin)
    }

    /// About five round tick values inside `range` (steps of 1, 2 or 5 times a power of ten).
    static func ticks(_ range: ClosedRange<Double>) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return [] }
        let raw = span / 5, magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var values: [Double] = []
        var value = ceil(range.lowerBound / step) * step
        while value <= range.upperBound + step * 1e-9 {
            values.append(abs(value) < step * 1e-9 ? 0 : value)
            value += step
        }
        return values
    }

    static func label(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(format: "%g", value)
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
