// The classification metrics as one module: AUROC variants, confusion-matrix metrics and the
// evaluateClassification entry point that composes them.
export * from './auroc.js';
export * from './confusion.js';
export * from './evaluate-classification.js';
