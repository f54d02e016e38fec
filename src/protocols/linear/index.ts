// The linear-probe protocol: grid of logistic-regression heads trained together in ORT.
export * from './probe.js';
