import CadenceNN
import CadenceTensor

/// Receives a named intermediate result during a forward pass: `s1`…`s5`, `s1_fuse`…, `head_features`,
/// `logits`, `output`. Multi-pathway stages pass one tensor per pathway (slow first), in Cadence's
/// channels-last layout.
public typealias LayerObserver = (_ layer: String, _ tensors: [Tensor]) throws -> Void

/// A video classifier of the PySlowFast family: takes one channels-last clip per pathway
/// (`N, T, H, W, 3`, slow first) and returns `[N, classes]` (softmax averaged over head positions in
/// evaluation, logits in training).
public protocol VideoModel: Module {
    /// Number of input pathways (2 for SlowFast, else 1).
    var pathwayCount: Int { get }
    /// Names of the layers an observer sees, in order.
    var layerNames: [String] { get }
    /// Runs the model, reporting named intermediate results to `observer`.
    func forward(_ inputs: [Tensor], observer: LayerObserver?) throws -> Tensor
    /// An evaluation-only copy with batch norms folded into the convs and activations fused into
    /// their kernels; it snapshots the current weights.
    func folded() throws -> any FoldedVideoModel
    /// fvcore's operation count of one evaluation forward pass over inputs of these channels-last
    /// shapes: conv/linear multiply-adds once each, batch norms twice per element (see `MACCount`).
    func flopCount(inputShapes: [[Int]]) throws -> Int
    /// Replaces the classifier with a freshly initialised one for `classes` outputs.
    func replaceClassifier(classes: Int, generator: inout TensorRandom)
}

/// The inference form of a `VideoModel` (see `VideoModel.folded()`); same observer contract.
public protocol FoldedVideoModel {
    func forward(_ inputs: [Tensor], observer: LayerObserver?) throws -> Tensor
}

extension VideoModel {
    /// `forward(inputs, observer: nil)`.
    public func forward(_ inputs: [Tensor]) throws -> Tensor { try forward(inputs, observer: nil) }
}

/// Checks that `inputs` holds one video activation per pathway.
func checkInputs(_ inputs: [Tensor], pathways: Int, model: String) throws {
    guard inputs.count == pathways else {
        throw ModelError(model, "takes \(pathways) pathway input(s), got \(inputs.count)")
    }
    for x in inputs where x.rank != 5 || x.shape[4] != 3 {
        throw ModelError(model, "input must be [N, T, H, W, 3] (channels-last RGB), got \(x.shape)")
    }
}
