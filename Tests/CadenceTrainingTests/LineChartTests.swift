import Foundation
import Testing
@testable import CadenceTraining

@Suite struct LineChartTests {
    @Test func drawsEverySeriesWithItsLegendAndEscapesText() {
        let chart = LineChart(title: "loss & <accuracy>", xLabel: "epoch", yLabel: "value", series: [
            .init(name: "train loss", points: [(1, 2.0), (2, 1.5), (3, 0.9)]),
            .init(name: "val top-1", points: [(1, 0.2), (3, 0.8)], markers: true),
        ], guides: [0.5])
        let svg = chart.svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(svg.components(separatedBy: "<polyline").count == 3)
        #expect(svg.components(separatedBy: "<circle").count == 3)
        #expect(svg.contains("loss &amp; &lt;accuracy&gt;"))
        #expect(svg.contains(">train loss<") && svg.contains(">val top-1<"))
    }

    @Test func ticksAreRoundAndInsideTheRange() {
        let unit = LineChart.ticks(0...1)
        #expect(unit.count == 6 && unit.first == 0 && abs(unit.last! - 1) < 1e-12)
        let ticks = LineChart.ticks(3...47)
        #expect(ticks == [10, 20, 30, 40])
    }
}
