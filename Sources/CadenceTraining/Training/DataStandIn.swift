import CadenceVideo

import CadenceTensor

// Stand-ins for the data layer's types (branch `data`), removed when it is merged.

public struct LabeledVideo: Sendable, Equatable {
    public var path: String
    public var label: Int
    public init(path: String, label: Int) {
        self.path = path
        self.label = label
    }
}

public struct ClipBatch {
    public let requests: [ClipRequest]
    public let clips: Tensor
    public init(requests: [ClipRequest], clips: Tensor) {
        self.requests = requests
        self.clips = clips
    }
}

public struct SkippedVideo: Sendable, Equatable {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}
