// The typed library API; the CLI only wraps it.
export * from './data/types.js';
export * from './data/transforms/index.js';
export * from './util/errors.js';
export * from './util/matrix.js';
export * from './util/npy.js';
export * from './data/npz.js';
export * from './data/medmnist/registry.js';
export * from './data/medmnist/source.js';
export * from './models/card.js';
export type { Backbone } from './models/backbone.js';
export * from './metrics/classification.js';
export * from './results/schema.js';
export * from './results/store.js';
export * from './results/leaderboard.js';
export * from './report/markdown.js';
export * from './report/exports.js';
