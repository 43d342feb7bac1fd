/// One video of a dataset and the id of its class (an index into `VideoDataset.classNames`).
public struct LabeledVideo: Sendable, Equatable {
    public var path: String
    public var label: Int

    public init(path: String, label: Int) {
        self.path = path
        self.label = label
    }
}
