/// The area under the ROC curve of a binary score: the probability that a random positive scores
/// above a random negative, ties counting one half (the Mann-Whitney statistic).
public enum ROCAUC {
    /// AUC of `positives` against `negatives`; nil when either is empty.
    public static func area(positives: [Double], negatives: [Double]) -> Double? {
        guard !positives.isEmpty, !negatives.isEmpty else { return nil }
        // Midranks over the pooled, sorted scores handle ties in O(n log n).
        let pooled = (positives.map { ($0, true) } + negatives.map { ($0, false) }).sorted { $0.0 < $1.0 }
        var rankSum = 0.0
        var start = 0
        while start < pooled.count {
            var end = start
            while end + 1 < pooled.count && pooled[end + 1].0 == pooled[start].0 { end += 1 }
            let midrank = Double(start + end) / 2 + 1
            rankSum += midrank * Double(pooled[start...end].filter(\.1).count)
            start = end + 1
        }
        let p = Double(positives.count), n = Double(negatives.count)
        return (rankSum - p * (p + 1) / 2) / (p * n)
    }
}
