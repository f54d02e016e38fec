export { SegCardSchema, parseSegCard, loadSegCard, valueLookup, IGNORE_CLASS, type SegCard } from './card.js';
export { readImage8 } from './decode.js';
export { loadSegFolder2D, loadCase2D, maskToClasses, fovFromImage } from './folder-2d.js';
export { loadDrive, DRIVE_CARD } from './drive.js';
export { loadNiftiPair, cropToLabelGrid, type NiftiSegPair } from './nifti-pair.js';
export type { SegCase2D, SegDataset2D } from './types.js';
