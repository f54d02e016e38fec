export { perceptualHash, hammingDistance } from './phash.js';
export { findNearDuplicates, type HashedImage, type DuplicatePair } from './near-duplicates.js';
export { checkLeakage, DEFAULT_PHASH_THRESHOLD, type LeakageOptions, type LeakageReport } from './check.js';
