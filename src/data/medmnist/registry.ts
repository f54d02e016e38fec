import type { SplitName, TaskInfo } from '../types.js';
import { MedprobeError } from '../../util/errors.js';

/**
 * The 18 MedMNIST v2 datasets (12 2D + 6 3D) with their MedMNIST+ sizes.
 * Names, tasks, label names, channels, split sizes, licences, URLs and MD5s are those of
 * MedMNIST's own `medmnist/info.py` at version 3.0.2 (github.com/MedMNIST/MedMNIST);
 * an MD5 here that disagrees with that file is a bug. Descriptions are our own summaries.
 */

export type MedMNISTSize = 28 | 64 | 128 | 224;
export const MEDMNIST_SIZES_2D: readonly MedMNISTSize[] = [28, 64, 128, 224];
export const MEDMNIST_SIZES_3D: readonly MedMNISTSize[] = [28, 64];

export interface MedMNISTFile {
  /** `pneumoniamnist.npz` for 28 px, `pneumoniamnist_64.npz` otherwise. */
  fileName: string;
  url: string;
  md5: string;
}

export interface MedMNISTInfo {
  name: string;
  /** The class name in the `medmnist` Python package, for cross-reference. */
  pythonClass: string;
  description: string;
  task: TaskInfo;
  /** MedMNIST's own task string (`binary-class`, `multi-label, binary-class`, …). */
  medmnistTask: string;
  dims: 2 | 3;
  channels: 1 | 3;
  nSamples: Record<SplitName, number>;
  license: string;
  /** Every published size: 28/64/128/224 for 2D, 28/64 for 3D. */
  files: Partial<Record<MedMNISTSize, MedMNISTFile>>;
}

/** All MedMNIST v3 files live in one Zenodo record; info.py spells each URL this way. */
const ZENODO_RECORD = 'https://zenodo.org/records/10519652/files';

export function medmnistFileName(name: string, size: MedMNISTSize): string {
  return size === 28 ? `${name}.npz` : `${name}_${size}.npz`;
}

const TASKS: Record<string, TaskInfo['type']> = {
  'binary-class': 'binary',
  'multi-class': 'multi-class',
  'multi-label, binary-class': 'multi-label',
  'ordinal-regression': 'ordinal',
};

interface Raw {
  name: string;
  pythonClass: string;
  description: string;
  task: string;
  labels: string[];
  channels: 1 | 3;
  n: [number, number, number];
  license: string;
  /** MD5 per size, in size order (28, 64[, 128, 224]). */
  md5: string[];
}

const ORGANS_2D = ['bladder', 'femur-left', 'femur-right', 'heart', 'kidney-left', 'kidney-right', 'liver', 'lung-left', 'lung-right', 'pancreas', 'spleen'];

const RAW_2D: Raw[] = [
  {
    name: 'pathmnist',
    pythonClass: 'PathMNIST',
    description: 'Colorectal cancer histology patches (NCT-CRC-HE-100K for train/val, CRC-VAL-HE-7K from another centre for test), H&E stained, 9 tissue types.',
    task: 'multi-class',
    labels: ['adipose', 'background', 'debris', 'lymphocytes', 'mucus', 'smooth muscle', 'normal colon mucosa', 'cancer-associated stroma', 'colorectal adenocarcinoma epithelium'],
    channels: 3,
    n: [89996, 10004, 7180],
    license: 'CC BY 4.0',
    md5: ['a8b06965200029087d5bd730944a56c1', '55aa9c1e0525abe5a6b9d8343a507616', 'ac42d08fb904d92c244187169d1fd1d9', '2c51a510bcdc9cf8ddb2af93af1eadec'],
  },
  {
    name: 'chestmnist',
    pythonClass: 'ChestMNIST',
    description: 'Frontal chest X-rays from NIH ChestX-ray14 (official split), 14 text-mined findings per image.',
    task: 'multi-label, binary-class',
    labels: ['atelectasis', 'cardiomegaly', 'effusion', 'infiltration', 'mass', 'nodule', 'pneumonia', 'pneumothorax', 'consolidation', 'edema', 'emphysema', 'fibrosis', 'pleural', 'hernia'],
    channels: 1,
    n: [78468, 11219, 22433],
    license: 'CC BY 4.0',
    md5: ['02c8a6516a18b556561a56cbdd36c4a8', '9de6cd0b934ebb5b7426cfba5efbae16', 'db107e5590b27930b62dbaf558aebee3', '45bd33e6f06c3e8cdb481c74a89152aa'],
  },
  {
    name: 'dermamnist',
    pythonClass: 'DermaMNIST',
    description: 'Dermatoscopic images of pigmented skin lesions from HAM10000, 7 diagnostic categories.',
    task: 'multi-class',
    labels: ['actinic keratoses and intraepithelial carcinoma', 'basal cell carcinoma', 'benign keratosis-like lesions', 'dermatofibroma', 'melanoma', 'melanocytic nevi', 'vascular lesions'],
    channels: 3,
    n: [7007, 1003, 2005],
    license: 'CC BY-NC 4.0',
    md5: ['0744692d530f8e62ec473284d019b0c7', 'b70a2f5635c6199aeaa28c31d7202e1f', '2defd784463fa5243564e855ed717de1', '8974907d8e169bef5f5b96bc506ae45d'],
  },
  {
    name: 'octmnist',
    pythonClass: 'OCTMNIST',
    description: 'Retinal optical coherence tomography scans, 4 diagnosis categories; the source validation set is the test set.',
    task: 'multi-class',
    labels: ['choroidal neovascularization', 'diabetic macular edema', 'drusen', 'normal'],
    channels: 1,
    n: [97477, 10832, 1000],
    license: 'CC BY 4.0',
    md5: ['c68d92d5b585d8d81f7112f81e2d0842', 'e229e9440236b774d9f0dfef9d07bdaf', '0a97e76651ace45c5d943ee3f65b63ae', 'abc493b6d529d5de7569faaef2773ba3'],
  },
  {
    name: 'pneumoniamnist',
    pythonClass: 'PneumoniaMNIST',
    description: 'Paediatric chest X-rays, pneumonia versus normal; the source validation set is the test set.',
    task: 'binary-class',
    labels: ['normal', 'pneumonia'],
    channels: 1,
    n: [4708, 524, 624],
    license: 'CC BY 4.0',
    md5: ['28209eda62fecd6e6a2d98b1501bb15f', '8f4eceb4ccffa70c672198ea285246c6', '05b46931834c231683c68f40c47b2971', 'd6a3c71de1b945ea11211b03746c1fe1'],
  },
  {
    name: 'retinamnist',
    pythonClass: 'RetinaMNIST',
    description: 'Retinal fundus images from the DeepDRiD challenge, 5-level diabetic retinopathy grade (ordinal).',
    task: 'ordinal-regression',
    labels: ['0', '1', '2', '3', '4'],
    channels: 3,
    n: [1080, 120, 400],
    license: 'CC BY 4.0',
    md5: ['bd4c0672f1bba3e3a89f0e4e876791e4', 'afda852cc34dcda56f86ad2b2457dbcc', 'e48e916a24454daf90583d4e6efb1a18', 'eae7e3b6f3fcbda4ae613ebdcbe35348'],
  },
  {
    name: 'breastmnist',
    pythonClass: 'BreastMNIST',
    description: 'Breast ultrasound images, malignant versus normal-or-benign.',
    task: 'binary-class',
    labels: ['malignant', 'normal, benign'],
    channels: 1,
    n: [546, 78, 156],
    license: 'CC BY 4.0',
    md5: ['750601b1f35ba3300ea97c75c52ff8f6', '742edef2a1fd1524b2efff4bd7ba9364', '363e4b3f8d712e9b5de15470a2aaadf1', 'b56378a6eefa9fed602bb16d192d4c8b'],
  },
  {
    name: 'bloodmnist',
    pythonClass: 'BloodMNIST',
    description: 'Microscopy images of individual normal blood cells, 8 cell types.',
    task: 'multi-class',
    labels: ['basophil', 'eosinophil', 'erythroblast', 'immature granulocytes(myelocytes, metamyelocytes and promyelocytes)', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet'],
    channels: 3,
    n: [11959, 1712, 3421],
    license: 'CC BY 4.0',
    md5: ['7053d0359d879ad8a5505303e11de1dc', '2b94928a2ae4916078ca51e05b6b800b', 'adace1e0ed228fccda1f39692059dd4c', 'b718ff6835fcbdb22ba9eacccd7b2601'],
  },
  {
    name: 'tissuemnist',
    pythonClass: 'TissueMNIST',
    description: 'Kidney cortex cells from BBBC051 (max projection of 7 slices), 8 cell types.',
    task: 'multi-class',
    labels: ['Collecting Duct, Connecting Tubule', 'Distal Convoluted Tubule', 'Glomerular endothelial cells', 'Interstitial endothelial cells', 'Leukocytes', 'Podocytes', 'Proximal Tubule Segments', 'Thick Ascending Limb'],
    channels: 1,
    n: [165466, 23640, 47280],
    license: 'CC BY 4.0',
    md5: ['ebe78ee8b05294063de985d821c1c34b', '123ece2eba09d0aa5d698fda57103344', '61b955355d7425a89687b06cca3ce0c2', 'b077128c4a949f0a4eb01517f9037b9c'],
  },
  {
    name: 'organamnist',
    pythonClass: 'OrganAMNIST',
    description: 'Axial abdominal CT slices (LiTS) through organ bounding-box centres, abdominal window, 11 organs.',
    task: 'multi-class',
    labels: ORGANS_2D,
    channels: 1,
    n: [34561, 6491, 17778],
    license: 'CC BY 4.0',
    md5: ['68e3f8846a6bd62f0c9bf841c0d9eacc', '2dcccc29b88e6da5a01161ef20cda288', 'eeae80d0a227a8d099027e1b3cfd3b60', '50747347e05c87dd3aaf92c49f9f3170'],
  },
  {
    name: 'organcmnist',
    pythonClass: 'OrganCMNIST',
    description: 'Coronal abdominal CT slices (LiTS) through organ bounding-box centres, abdominal window, 11 organs.',
    task: 'multi-class',
    labels: ORGANS_2D,
    channels: 1,
    n: [12975, 2392, 8216],
    license: 'CC BY 4.0',
    md5: ['b9ceb9546e10131b32923c5bbeaea2b1', '3ce34a8724ea6f548e6db4744d03b6a9', '773c1f009daa3fe5d9a2a201b2a7ed94', '050f5e875dc056f6768abf94ec9995d1'],
  },
  {
    name: 'organsmnist',
    pythonClass: 'OrganSMNIST',
    description: 'Sagittal abdominal CT slices (LiTS) through organ bounding-box centres, abdominal window, 11 organs.',
    task: 'multi-class',
    labels: ORGANS_2D,
    channels: 1,
    n: [13932, 2452, 8827],
    license: 'CC BY 4.0',
    md5: ['9ab87b696fb54e2a387ebe992d6ed5f1', '53a6d115339d874c25e309a994ff46d3', 'ded0c5fa01a95dc4978b956f613e9b8e', 'b354719e553fbbb2513d5533f52a4cb1'],
  },
];

const RAW_3D: Raw[] = [
  {
    name: 'organmnist3d',
    pythonClass: 'OrganMNIST3D',
    description: 'Abdominal CT organ bounding boxes (same scans as Organ{A,C,S}MNIST) as volumes, 11 organs.',
    task: 'multi-class',
    labels: ['liver', 'kidney-right', 'kidney-left', 'femur-right', 'femur-left', 'bladder', 'heart', 'lung-right', 'lung-left', 'spleen', 'pancreas'],
    channels: 1,
    n: [971, 161, 610],
    license: 'CC BY 4.0',
    md5: ['a0c5a1ff56af4f155c46d46fbb45a2fe', '58a2205adf14a9d0a189cb06dc78bf10'],
  },
  {
    name: 'nodulemnist3d',
    pythonClass: 'NoduleMNIST3D',
    description: 'Thoracic CT lung nodules from LIDC-IDRI (1 mm isotropic), malignancy 1–2 versus 4–5.',
    task: 'binary-class',
    labels: ['benign', 'malignant'],
    channels: 1,
    n: [1158, 165, 310],
    license: 'CC BY 4.0',
    md5: ['8755a7e9e05a4d9ce80a24c3e7a256f3', 'c47c5b7d457bf6332200d2ea6d64ecd8'],
  },
  {
    name: 'adrenalmnist3d',
    pythonClass: 'AdrenalMNIST3D',
    description: 'Adrenal gland shape masks from abdominal CT (64 mm crops), normal versus mass; patient-level split.',
    task: 'binary-class',
    labels: ['normal', 'hyperplasia'],
    channels: 1,
    n: [1188, 98, 298],
    license: 'CC BY 4.0',
    md5: ['bbd3c5a5576322bc4cdfea780653b1ce', '17721accfe9fb005146a47d33bc54b2f'],
  },
  {
    name: 'fracturemnist3d',
    pythonClass: 'FractureMNIST3D',
    description: 'Rib fractures from RibFrac CT (64 mm crops), buckle / nondisplaced / displaced; official split.',
    task: 'multi-class',
    labels: ['buckle rib fracture', 'nondisplaced rib fracture', 'displaced rib fracture'],
    channels: 1,
    n: [1027, 103, 240],
    license: 'CC BY 4.0',
    md5: ['6aa7b0143a6b42da40027a9dda61302f', 'f01d7e6316aedf4210da0da5b7437b42'],
  },
  {
    name: 'vesselmnist3d',
    pythonClass: 'VesselMNIST3D',
    description: 'Voxelised brain vessel segments from the IntrA MRA mesh dataset, healthy vessel versus aneurysm.',
    task: 'binary-class',
    labels: ['vessel', 'aneurysm'],
    channels: 1,
    n: [1335, 191, 382],
    license: 'CC BY 4.0',
    md5: ['b41fd4f7e7e2feedddb201585ecafa1b', '6bb274a8846e1097066dcd64e2c4520f'],
  },
  {
    name: 'synapsemnist3d',
    pythonClass: 'SynapseMNIST3D',
    description: 'Electron-microscopy crops around synapses of a rat pyramidal neuron, inhibitory versus excitatory.',
    task: 'binary-class',
    labels: ['inhibitory synapse', 'excitatory synapse'],
    channels: 1,
    n: [1230, 177, 352],
    license: 'CC BY 4.0',
    md5: ['1235b78a3cd6280881dd7850a78eadb6', '43bd14ebf3af9d3dd072446fedc14d5e'],
  },
];

function build(raw: Raw, dims: 2 | 3): MedMNISTInfo {
  const sizes = dims === 2 ? MEDMNIST_SIZES_2D : MEDMNIST_SIZES_3D;
  if (raw.md5.length !== sizes.length) throw new Error(`registry: ${raw.name} lists ${raw.md5.length} MD5s for ${sizes.length} sizes`);
  const files: Partial<Record<MedMNISTSize, MedMNISTFile>> = {};
  sizes.forEach((size, i) => {
    const fileName = medmnistFileName(raw.name, size);
    files[size] = { fileName, url: `${ZENODO_RECORD}/${fileName}?download=1`, md5: raw.md5[i] };
  });
  const type = TASKS[raw.task];
  if (!type) throw new Error(`registry: ${raw.name} has unknown task ${raw.task}`);
  return {
    name: raw.name,
    pythonClass: raw.pythonClass,
    description: raw.description,
    task: { type, labels: raw.labels },
    medmnistTask: raw.task,
    dims,
    channels: raw.channels,
    nSamples: { train: raw.n[0], val: raw.n[1], test: raw.n[2] },
    license: raw.license,
    files,
  };
}

export const MEDMNIST: readonly MedMNISTInfo[] = [...RAW_2D.map((r) => build(r, 2)), ...RAW_3D.map((r) => build(r, 3))];

const BY_NAME = new Map(MEDMNIST.map((d) => [d.name, d]));

export const MEDMNIST_NAMES: readonly string[] = MEDMNIST.map((d) => d.name);

/** Registry entry by name (case-insensitive); a MedprobeError listing the valid names otherwise. */
export function medmnistInfo(name: string): MedMNISTInfo {
  const info = BY_NAME.get(name.toLowerCase());
  if (!info) {
    throw new MedprobeError(`unknown MedMNIST dataset '${name}'`, { hint: `valid names: ${MEDMNIST_NAMES.join(', ')}` });
  }
  return info;
}

/** URL + MD5 of one size; a MedprobeError naming the sizes that exist otherwise. */
export function medmnistFile(name: string, size: MedMNISTSize = 28): MedMNISTFile {
  const info = medmnistInfo(name);
  const f = info.files[size];
  if (!f) {
    const sizes = Object.keys(info.files).join(', ');
    throw new MedprobeError(`MedMNIST ${info.name} has no ${size} px version`, { hint: `available sizes: ${sizes}` });
  }
  return f;
}

/**
 * Dataset name and size from a file name as MedMNIST spells it (`pneumoniamnist.npz`,
 * `adrenalmnist3d_64.npz`); undefined when the name is not a MedMNIST file name.
 */
export function parseMedMNISTFileName(fileName: string): { name: string; size: MedMNISTSize } | undefined {
  const m = /^([a-z0-9]+?)(?:_(28|64|128|224))?\.npz$/i.exec(fileName);
  if (!m || !BY_NAME.has(m[1].toLowerCase())) return undefined;
  return { name: m[1].toLowerCase(), size: (m[2] ? Number(m[2]) : 28) as MedMNISTSize };
}
