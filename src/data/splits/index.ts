export { parseSplitName } from './names.js';
export { officialSplits, allItems, applySplits, type SplitAssignment, type SplitItem } from './assignment.js';
export { groupByPatient } from './groups.js';
export { splitsFromLists } from './lists.js';
export { systematicIndices, systematicSplit } from './systematic.js';
export { randomPatientSplit } from './random.js';
export { findPatientOverlap, assertNoPatientOverlap, type PatientOverlap } from './overlap.js';
export { exportSplits, importSplits, splitContentHash, SPLIT_FILE_FORMAT, type SplitFile } from './file.js';
export { fewShotSample, fewShotSampleMultiLabel, type MultiLabelFewShotItem, type FewShotItem, type FewShotOptions, type FewShotSample, type FewShotClassReport } from './fewshot.js';
