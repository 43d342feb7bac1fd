import CadenceNN
import CadenceTensor

/// A container whose children run in order under PySlowFast's names (`pathway0_res0`, …), so a
/// stage `s2` produces keys like `s2.pathway0_res0.branch2.a.weight`.
final class NamedStage<Block: Module>: Module {
    let blocks: [Block]

    init(_ named: [(String, Block)]) {
        blocks = named.map(\.1)
        super.init()
        for (name, block) in named { registerModule(name, block) }
    }

    override func forward(_ x: Tensor) throws -> Tensor { try blocks.reduce(x) { try $1($0) } }
}
