export { DecoderEngine, type SegBatch, type DecoderEngineOptions, type DecoderState } from './decoder-engine.js';
export { buildTrainGraph, buildInferGraph, type WeightGradMode } from './decoder-graph.js';
export { paramInfos, validateSpec, DEFAULT_UNET_WIDTHS, type DecoderSpec, type GridShape, type SegLossSpec, type ParamInfo } from './decoder-spec.js';
export { bilinearMatrix } from './resize-matrix.js';
export { exposeGraphOutputs } from './expose-outputs.js';
