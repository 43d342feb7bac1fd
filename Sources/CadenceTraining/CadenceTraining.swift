// CadenceTraining: the trainer loop, multi-view evaluation, metrics, checkpoints and the
// multigrid schedule (see DESIGN.md). It reports progress through a protocol the CLI renders.
@_exported import CadenceModels
