export { REGISTRY, registryNames } from './datasets.js';
export { doctorDataset, registryEntry, type DoctorReport, type DoctorCheck } from './doctor.js';
export type { RegistryDataset, LayoutRequirement } from './types.js';
