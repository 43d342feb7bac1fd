// CadenceModels: X3D, SlowFast and MViT re-implemented with PySlowFast key names, the preset
// registry, heads, the SpeedNet speediness head and slow/fast token pooling (see DESIGN.md).
