export * from './spec.js';
export { grayToRgb } from './channels.js';
export { resize, resizeShorterSide, resizeBilinearToChw } from './resize.js';
export { centerCrop } from './crop.js';
export { toFloat, window, percentiles, percentileClip, minMax, type Intensity } from './intensity.js';
export { normalizeToChw } from './normalize.js';
