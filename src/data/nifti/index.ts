export { readNifti, niftiFromBytes, type NiftiVolume, type NiftiData, type ReadNiftiOptions } from './read.js';
export { readNiftiLabelMap, sameGrid } from './label-map.js';
export { writeNifti, affineToQuaternion } from './write.js';
export { sliceVolume, sliceCount, volumeToSamples, fixedAxis, type SliceAxis, type VolumeToSamplesOptions } from './slice.js';
export { writeOverlayPng, renderNiftiOverlay, type OverlayOptions, type RenderOverlayOptions } from './overlay.js';
export { closestCanonical, axisCodes, reorientGrid, reorientData, restoreSourceOrder, type Reorientation } from './orientation.js';
