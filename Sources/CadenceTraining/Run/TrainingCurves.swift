import CadenceVideo
/// The run's learning curves as two SVG charts stacked in one image: training loss, and training and
/// validation accuracy (and a speediness run's validation AUC), per epoch.
public enum TrainingCurves {
    public static func svg(_ records: [EpochRecord]) -> String {
        func points(_ value: (EpochRecord) -> Double?) -> [(x: Double, y: Double)] {
            records.compactMap { r in value(r).map { (Double(r.epoch), $0) } }
        }
        let markers = records.count < 30
        let loss = LineChart(title: "Training loss", xLabel: "epoch", yLabel: "loss",
                             series: [.init(name: "train loss", points: points { $0.trainLoss }, markers: markers)])
        var accuracy = [LineChart.Series(name: "train top-1", points: points { $0.trainTop1 }, markers: markers)]
        if records.contains(where: { $0.valTop1 != nil }) {
            accuracy.append(.init(name: "val top-1", points: points { $0.valTop1 }, markers: markers))
            accuracy.append(.init(name: "val top-5", points: points { $0.valTop5 }, markers: markers))
        }
        if records.contains(where: { $0.valAccuracy != nil }) {
            accuracy.append(.init(name: "val accuracy", points: points { $0.valAccuracy }, markers: markers))
            accuracy.append(.init(name: "val AUC x100", points: points { $0.valAUC.map { 100 * $0 } }, markers: markers))
        }
        let accuracyChart = LineChart(title: "Accuracy", xLabel: "epoch", yLabel: "percent", series: accuracy,
                                      yRange: 0...100)
        // Two charts, one above the other, nested in one SVG document.
        let height = loss.height + accuracyChart.height
        return """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(loss.width))" height="\(Int(height))">
        \(loss.svg())
        <g transform="translate(0,\(Int(loss.height)))">
        \(accuracyChart.svg())
        </g>
        </svg>

        """
    }
}
