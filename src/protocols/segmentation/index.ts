export { trainDecoder, gatherBatch, checkTrainable, decoderSpecFor, IGNORE_LABEL, type SegFeatureSet, type DecoderTrainOptions, type TrainedDecoder } from './train.js';
export { tileStarts, tileOrigins, TileStitcher, argmaxClasses, type TileOrigin } from './tiling.js';
export { sliceGeometry, getSlice, putSlice, volumeTo255, CT_WINDOW, MRI_PERCENTILES, type SegSliceAxis, type VolumeIntensity } from './volume-slices.js';
export { writeMaskPng, writeSegmentationOverlay } from './outputs.js';
export { openTappedBackbone } from './tapped-backbone.js';
export { MOBILENETV2_TAPS } from './maps.js';
