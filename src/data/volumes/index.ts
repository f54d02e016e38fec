export { openVolumeList, readListedVolume, type VolumeListConfig, type VolumeListSource, type VolumeFormat } from './source.js';
export { toCanonical } from './canonical.js';
export { describeMedicalFile, type MedicalFileInfo } from './info.js';
