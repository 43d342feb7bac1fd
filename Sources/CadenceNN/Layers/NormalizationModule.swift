/// Marks batch-normalisation layers, whose parameters PySlowFast trains with their own weight decay
/// (`BN.WEIGHT_DECAY`, 0 by default); `ParameterGroups` looks for it.
public protocol NormalizationModule: AnyObject {}
