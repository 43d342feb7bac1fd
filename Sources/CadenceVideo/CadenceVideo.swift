// CadenceVideo: FFmpeg decoding, temporal sampling, transforms, datasets and loaders (see DESIGN.md).
