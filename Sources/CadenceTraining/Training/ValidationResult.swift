import CadenceVideo
/// Video-level validation scores: each video's class scores averaged over its views, then top-1,
/// top-5 and a confusion matrix (rows: true class, columns: predicted class).
public struct ValidationResult: Codable, Sendable, Equatable {
    public var top1: Double
    public var top5: Double
    public var videos: Int
    public var confusion: [[Int]]

    /// Scores `scores[v]` (averaged over views) of videos with labels `labels[v]`, `classes` classes.
    public init(scores: [[Float]], labels: [Int], classes: Int) {
        var confusion = Array(repeating: Array(repeating: 0, count: classes), count: classes)
        var hits1 = 0, hits5 = 0
        for (score, label) in zip(scores, labels) {
            let ranked = score.indices.sorted { score[$0] != score[$1] ? score[$0] > score[$1] : $0 < $1 }
            if ranked.first == label { hits1 += 1 }
            if ranked.prefix(5).contains(label) { hits5 += 1 }
            if let predicted = ranked.first, label < classes { confusion[label][predicted] += 1 }
        }
        let n = Double(max(scores.count, 1))
        top1 = 100 * Double(hits1) / n
        top5 = 100 * Double(hits5) / n
        videos = scores.count
        self.confusion = confusion
    }
}
