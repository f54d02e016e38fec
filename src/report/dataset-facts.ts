import { MEDMNIST } from '../data/medmnist/registry.js';
import { REGISTRY } from '../data/registry/index.js';
import type { DatasetInfo } from './figure-inputs.js';

const MEDMNIST_CITATION =
  'Yang J, Shi R, Wei D, Liu Z, Zhao L, Ke B, Pfister H, Ni B. MedMNIST v2 - A large-scale lightweight benchmark for 2D and 3D biomedical image classification. Scientific Data 10, 41 (2023).';

/**
 * What medprobe's own registries already know about a dataset name (the reference study's nine
 * datasets, and MedMNIST), so a dataset page states licence and citation without a side file.
 * Side files and `buildSite({ datasets })` override these field by field.
 */
export function registryDatasetInfo(name: string): DatasetInfo | undefined {
  const study = REGISTRY.find((d) => d.name === name);
  if (study)
    return { name, description: `${study.title}: ${study.contents}`, licence: study.license, citation: study.citation, url: study.download, modality: study.modality };
  const mm = MEDMNIST.find((d) => d.name === name.toLowerCase());
  if (mm) return { name, description: `${mm.description} (MedMNIST ${mm.dims}D)`, licence: mm.license, citation: MEDMNIST_CITATION, url: 'https://medmnist.com/' };
  return undefined;
}

/** Later sources win field by field; undefined fields never erase earlier ones. */
export function mergeDatasetInfo(...infos: (DatasetInfo | undefined)[]): DatasetInfo | undefined {
  let out: DatasetInfo | undefined;
  for (const info of infos) {
    if (!info) continue;
    out = { ...(out ?? {}), ...Object.fromEntries(Object.entries(info).filter(([, v]) => v !== undefined)) } as DatasetInfo;
  }
  return out;
}
