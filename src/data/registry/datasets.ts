import type { RegistryDataset } from './types.js';
import { loadNihChestXray14, NIH_LABELS } from './loaders/nih-chestxray14.js';
import { CHEXPERT_LABELS, loadChexpert } from './loaders/chexpert.js';
import { loadSarsCov2Ct, SARS_LABELS } from './loaders/sars-cov-2-ct.js';
import { BRAIN_TUMOR_LABELS, loadBrainTumor } from './loaders/brain-tumor.js';
import { decathlonLoader, type DecathlonSpec } from './loaders/decathlon.js';
import { loadMontgomery, MONTGOMERY_CLASSES } from './loaders/montgomery.js';

const MSD_LICENSE = 'CC BY-SA 4.0 (Medical Segmentation Decathlon)';
const MSD_CITATION =
  'Antonelli M, et al. The Medical Segmentation Decathlon. Nature Communications 13, 4128 (2022); Simpson AL, et al. A large annotated medical image dataset for the development and evaluation of segmentation algorithms. arXiv:1902.09063 (2019).';
const MSD_DOWNLOAD = 'http://medicaldecathlon.com/';
const STUDY_SYSTEMATIC = 'np.arange(0, n, n/m).round() — see systematicSplit';
const AMOS_SPLIT_SOURCE = "inferred from the study's slice counts (dinov2/data/datasets/amos.py); its code does not split AMOS";

function msd(task: string, name: string, title: string, modality: 'CT' | 'MRI', labels: string[], train: number, test: number, studyUse: string, study: DecathlonSpec['study']): RegistryDataset {
  return {
    name,
    title,
    modality,
    task: 'segmentation',
    dims: 3,
    labels,
    contents: `${task}: ${train} labelled training volumes and ${test} unlabelled test volumes (NIfTI), dataset.json`,
    studyUse,
    download: MSD_DOWNLOAD,
    license: MSD_LICENSE,
    citation: MSD_CITATION,
    layout: [
      { pattern: 'dataset.json', dir: '', match: /^dataset\.json$/, min: 1, what: 'task description (labels, modality, file lists)' },
      { pattern: 'imagesTr/*.nii.gz', dir: 'imagesTr', match: /^(?!\._).+\.nii\.gz$/, min: 1, expected: train, what: 'training volumes' },
      { pattern: 'labelsTr/*.nii.gz', dir: 'labelsTr', match: /^(?!\._).+\.nii\.gz$/, min: 1, expected: train, what: 'training label maps' },
      { pattern: 'imagesTs/*.nii.gz', dir: 'imagesTs', match: /^(?!\._).+\.nii\.gz$/, min: 0, expected: test, optional: true, what: 'test volumes (no labels; the study does not use them)' },
    ],
    loader: null,
    segLoader: decathlonLoader({ name, modality, study }),
    recipe: modality === 'CT' ? 'ct-default' : 'mri-default',
    notes: ["the archive contains macOS '._*' resource files; they are not images and are ignored here (the study's code deletes them)"],
  };
}

/** The nine datasets of the reference study, with only facts we could source; 'unknown' where not. */
export const REGISTRY: readonly RegistryDataset[] = [
  {
    name: 'nih-chestxray14',
    title: 'NIH ChestX-ray14',
    modality: 'X-ray',
    task: 'multi-label',
    dims: 2,
    labels: NIH_LABELS,
    contents: '112,120 frontal chest X-rays (1024×1024 PNG) of 30,805 patients; 14 text-mined labels; official train_val_list.txt / test_list.txt (patient-disjoint)',
    studyUse: 'official train_val / test lists (86,524 / 25,596 images); labels from "Finding Labels" (pipe-separated, "No Finding" = none)',
    download: 'https://nihcc.app.box.com/v/ChestXray-NIHCC',
    license: 'unknown — the NIH Clinical Center README asks users to acknowledge NIH CC and cite Wang et al.; read it in the download',
    citation:
      'Wang X, Peng Y, Lu L, Lu Z, Bagheri M, Summers RM. ChestX-ray8: Hospital-scale Chest X-ray Database and Benchmarks on Weakly-Supervised Classification and Localization of Common Thorax Diseases. CVPR 2017.',
    layout: [
      { pattern: 'Data_Entry_2017*.csv', dir: '', match: /^Data_Entry_2017.*\.csv$/, min: 1, csvColumns: ['Image Index', 'Finding Labels', 'Patient ID'], what: 'label table' },
      { pattern: 'train_val_list.txt', dir: '', match: /^train_val_list\.txt$/, min: 1, what: 'official train+val image list' },
      { pattern: 'test_list.txt', dir: '', match: /^test_list\.txt$/, min: 1, what: 'official test image list' },
      { pattern: 'images/*.png', dir: 'images', match: /\.png$/, min: 1, expected: 112120, what: 'the X-rays (extract images_001…012.tar.gz here)' },
    ],
    loader: loadNihChestXray14,
    recipe: 'medmnist-default',
    notes: ['some PNGs are RGBA or have extra channels; the folder decoder drops alpha, and gray-to-rgb handles the rest'],
  },
  {
    name: 'chexpert',
    title: 'CheXpert',
    modality: 'X-ray',
    task: 'multi-label',
    dims: 2,
    labels: CHEXPERT_LABELS,
    contents: '224,316 chest radiographs of 65,240 patients; 14 observations labelled 1 / 0 / −1 (uncertain) / blank; train.csv and valid.csv (234 expert-labelled validation images)',
    studyUse: 'frontal AP train images; the 5 competition labels (listed) plus a derived "Uncertain" flag; blank → 0, −1 → 0; val = 10,000 images picked systematically from train (' + STUDY_SYSTEMATIC + '); test = official valid set (202 frontal images)',
    download: 'https://stanfordmlgroup.github.io/competitions/chexpert/',
    license: 'Stanford University School of Medicine CheXpert Dataset Research Use Agreement (registration required)',
    citation: 'Irvin J, Rajpurkar P, Ko M, et al. CheXpert: A Large Chest Radiograph Dataset with Uncertainty Labels and Expert Comparison. AAAI 2019.',
    layout: [
      { pattern: 'train.csv', dir: '', match: /^train\.csv$/, min: 1, csvColumns: ['Path', 'Frontal/Lateral', 'AP/PA', 'Cardiomegaly', 'Edema', 'Consolidation', 'Atelectasis', 'Pleural Effusion'], what: 'training labels' },
      { pattern: 'valid.csv', dir: '', match: /^valid\.csv$/, min: 1, csvColumns: ['Path', 'Cardiomegaly', 'Edema', 'Consolidation', 'Atelectasis', 'Pleural Effusion'], what: 'validation labels (the study tests on these)' },
      { pattern: 'train/patient*/study*/*.jpg', dir: 'train', match: /^patient\d+\/study\d+\/[^/]+\.jpg$/, recursive: true, min: 1, what: 'training images' },
      { pattern: 'valid/patient*/study*/*.jpg', dir: 'valid', match: /^patient\d+\/study\d+\/[^/]+\.jpg$/, recursive: true, min: 1, expected: 234, what: 'validation images' },
    ],
    loader: loadChexpert,
    recipe: 'medmnist-default',
    notes: ['the original (~439 GB) and the downsampled CheXpert-v1.0-small (~11 GB) share this layout'],
  },
  {
    name: 'montgomery',
    title: 'Montgomery County chest X-ray set (MC)',
    modality: 'X-ray',
    task: 'segmentation',
    dims: 2,
    labels: MONTGOMERY_CLASSES,
    contents: '138 frontal chest X-rays (80 normal, 58 tuberculosis; PNG, 4020×4892 or 4892×4020) with manual left/right lung masks and clinical readings',
    studyUse: 'lung segmentation with labels background / left lung / right lung from ManualMask/leftMask and rightMask (the study\'s mc.py adds the two masks)',
    download: 'https://lhncbc.nlm.nih.gov/LHC-downloads/downloads.html#tuberculosis-image-data-sets',
    license: 'unknown — distributed publicly by the U.S. National Library of Medicine; see its download page',
    citation:
      'Jaeger S, Candemir S, Antani S, Wáng YX, Lu PX, Thoma G. Two public chest X-ray datasets for computer-aided screening of pulmonary diseases. Quant Imaging Med Surg 4(6):475–477 (2014).',
    layout: [
      { pattern: 'CXR_png/MCUCXR_*.png', dir: 'CXR_png', match: /^MCUCXR_\d+_[01]\.png$/, min: 1, expected: 138, what: 'X-rays (suffix _0 normal, _1 tuberculosis)' },
      { pattern: 'ManualMask/leftMask/*.png', dir: 'ManualMask/leftMask', match: /\.png$/, min: 1, expected: 138, what: 'left lung masks' },
      { pattern: 'ManualMask/rightMask/*.png', dir: 'ManualMask/rightMask', match: /\.png$/, min: 1, expected: 138, what: 'right lung masks' },
      { pattern: 'ClinicalReadings/*.txt', dir: 'ClinicalReadings', match: /\.txt$/, min: 0, expected: 138, optional: true, what: 'clinical readings' },
    ],
    loader: null,
    segLoader: loadMontgomery,
    recipe: 'medmnist-default',
    notes: [
      'the study lists train/val/test all as the same 138 images (its mc.py), which would test on training images; medprobe splits by patient systematically instead: 40 test, 20 val, 78 train (' + STUDY_SYSTEMATIC + ')',
      'leftMask and rightMask are merged into one label map (1 left lung, 2 right lung: the patient\'s sides, as the release names them); masks must match the X-ray size and must not overlap',
    ],
  },
  {
    name: 'sars-cov-2-ct',
    title: 'SARS-CoV-2 CT-scan (Soares et al.)',
    modality: 'CT',
    task: 'binary',
    dims: 3,
    labels: SARS_LABELS,
    contents: 'The study loads the 210-patient release with per-patient folders of PNG slices under Covid/ (80 patients), Healthy/ (50) and Others/ (80, other lung diseases); the first 2D release has 1,252 COVID + 1,230 non-COVID images',
    studyUse: 'binary COVID vs not (Healthy + Others), each patient a 3D stack of slices (mean of slice embeddings); test = 70 patients and val = 50 patients systematically (' + STUDY_SYSTEMATIC + '), train = 90',
    download: 'https://www.kaggle.com/datasets/plameneduardo/a-covid-multiclass-dataset-of-ct-scans (210-patient release; not verified by us) — first release: https://www.kaggle.com/datasets/plameneduardo/sarscov2-ctscan-dataset',
    license: 'unknown — check the Kaggle page of the release you download',
    citation:
      'Soares E, Angelov P, Biaso S, Higa Froes M, Kanda Abe D. SARS-CoV-2 CT-scan dataset: A large dataset of real patients CT scans for SARS-CoV-2 identification. medRxiv 2020.04.24.20078584 (2020).',
    layout: [
      // Either release; the loader says which one it found and refuses a folder with neither.
      { pattern: 'Covid/*/*.png', dir: 'Covid', match: /^[^/]+\/[^/]+\.png$/, recursive: true, min: 1, optional: true, what: '210-patient release: COVID-positive patients (one folder each)' },
      { pattern: 'Healthy/*/*.png', dir: 'Healthy', match: /^[^/]+\/[^/]+\.png$/, recursive: true, min: 1, optional: true, what: '210-patient release: healthy patients' },
      { pattern: 'Others/*/*.png', dir: 'Others', match: /^[^/]+\/[^/]+\.png$/, recursive: true, min: 1, optional: true, what: '210-patient release: patients with other pulmonary diseases' },
      { pattern: 'COVID/*.png', dir: 'COVID', match: /\.png$/, min: 1, expected: 1252, optional: true, what: 'slice release: COVID-positive slices' },
      { pattern: 'non-COVID/*.png', dir: 'non-COVID', match: /\.png$/, min: 1, expected: 1230, optional: true, what: 'slice release: non-COVID slices' },
    ],
    loader: loadSarsCov2Ct,
    recipe: 'medmnist-default',
    notes: ['the citation is for the first (2D, 2,482-image) release; we could not source a separate citation for the 210-patient release'],
  },
  {
    name: 'amos',
    title: 'AMOS (AMOS22)',
    modality: 'CT',
    task: 'segmentation',
    dims: 3,
    labels: ['background', 'spleen', 'right kidney', 'left kidney', 'gall bladder', 'esophagus', 'liver', 'stomach', 'aorta', 'postcava', 'pancreas', 'right adrenal gland', 'left adrenal gland', 'duodenum', 'bladder', 'prostate/uterus'],
    contents: '500 CT and 100 MRI abdominal scans with 15 organ labels (NIfTI); imagesTr/labelsTr, imagesVa/labelsVa, imagesTs',
    studyUse: 'CT scans sliced into 2D axial slices for segmentation (11,350 / 2,770 / 7,004 train / val / test slices), clipped to [−1024, 600] HU',
    download: 'https://amos22.grand-challenge.org/',
    license: 'CC BY 4.0 (as stated by the AMOS organisers; verify on the download page)',
    citation: 'Ji Y, Bai H, Ge C, et al. AMOS: A Large-Scale Abdominal Multi-Organ Benchmark for Versatile Medical Image Segmentation. NeurIPS 2022 Datasets and Benchmarks.',
    layout: [
      { pattern: 'dataset.json', dir: '', match: /^dataset\.json$/, min: 1, what: 'label names and file lists' },
      { pattern: 'imagesTr/*.nii.gz', dir: 'imagesTr', match: /\.nii\.gz$/, min: 1, what: 'training scans' },
      { pattern: 'labelsTr/*.nii.gz', dir: 'labelsTr', match: /\.nii\.gz$/, min: 1, what: 'training label maps' },
      { pattern: 'imagesVa/*.nii.gz', dir: 'imagesVa', match: /\.nii\.gz$/, min: 1, what: 'validation scans' },
      { pattern: 'labelsVa/*.nii.gz', dir: 'labelsVa', match: /\.nii\.gz$/, min: 1, what: 'validation label maps' },
      { pattern: 'imagesTs/*.nii.gz', dir: 'imagesTs', match: /\.nii\.gz$/, min: 0, optional: true, what: 'test scans (no public labels)' },
    ],
    loader: null,
    segLoader: decathlonLoader({
      name: 'amos',
      modality: 'CT',
      study: { patients: 200, test: 0, val: 40, testFrom: 'validation', source: AMOS_SPLIT_SOURCE },
      exclude: { test: (id) => Number(/(\d+)$/.exec(id)?.[1] ?? 0) > 500, reason: 'AMOS numbers its MRI scans above 500 (amos_0501…); the study segments the CT scans only' },
    }),
    recipe: 'ct-default',
    notes: [
      'file counts per folder differ between AMOS releases; the doctor only requires non-empty folders',
      'the study\'s split is not in its code; its slice counts (11,350 / 2,770 / 7,004) match train = 160 and val = 40 of the 200 labelled CT training scans and test = the 100 CT scans of the official validation set (about 70 slices per scan each way), which is what this loader does',
    ],
  },
  msd('Task09_Spleen', 'msd-spleen', 'MSD Spleen (Task09_Spleen)', 'CT', ['background', 'spleen'], 41, 20, 'CT slices for spleen segmentation: test = 15 volumes and val = 10 volumes picked systematically (' + STUDY_SYSTEMATIC + '), rest train (1,221 / 1,161 / 1,268 test / val / train slices)', { patients: 41, test: 15, val: 10, source: 'data_split() in dinov2/data/datasets/msd_spleen.py' }),
  msd('Task04_Hippocampus', 'msd-hippocampus', 'MSD Hippocampus (Task04_Hippocampus)', 'MRI', ['background', 'anterior', 'posterior'], 260, 130, 'MRI slices for hippocampus segmentation; test = 80 volumes and val = 60 volumes picked systematically (' + STUDY_SYSTEMATIC + '), rest train (4,230 / 2,165 / 2,875 slices)', { patients: 260, test: 80, val: 60, source: 'data_split() in dinov2/data/datasets/msd_hipp.py' }),
  msd('Task02_Heart', 'msd-heart', 'MSD Heart (Task02_Heart)', 'MRI', ['background', 'left atrium'], 20, 10, 'MRI slices for left-atrium segmentation; the study\'s code has no split for it: its slice counts (1,339 / 450 / 482 train / val / test of ~2,271) match 12 / 4 / 4 volumes, so test = 4 and val = 4 are picked systematically (' + STUDY_SYSTEMATIC + ')', { patients: 20, test: 4, val: 4, source: "inferred from the study's slice counts (dinov2/data/datasets/msd_heart.py); its code has no data_split for Heart" }),
  {
    name: 'brain-tumor',
    title: 'Brain tumor dataset (Cheng et al., figshare)',
    modality: 'MRI',
    task: 'multi-class',
    dims: 2,
    labels: BRAIN_TUMOR_LABELS,
    contents: '3,064 T1-weighted contrast-enhanced slices of 233 patients (708 meningioma, 1,426 glioma, 930 pituitary) as MATLAB v7.3 .mat files: cjdata.image, cjdata.label (1/2/3), cjdata.PID, tumour border and mask',
    studyUse:
      'the study\'s BrainTumor loader reads these .mat files (classes meningioma, glioma, pituitary); per image, values above the 95th percentile are clipped to it and values at or below the 5th are set to 0; split by patient: 70 test and 50 val patients systematically (' + STUDY_SYSTEMATIC + '), 1,344 / 718 / 1,002 train / val / test images. (It is not the 4-class Kaggle "Brain Tumor MRI Dataset".)',
    download: 'https://figshare.com/articles/dataset/brain_tumor_dataset/1512427',
    license: 'CC BY 4.0 (as listed on figshare; verify on the page)',
    citation:
      'Cheng J, Huang W, Cao S, Yang R, Yang W, Yun Z, Wang Z, Feng Q. Enhanced Performance of Brain Tumor Classification via Tumor Region Augmentation and Partition. PLoS ONE 10(10): e0140381 (2015).',
    layout: [{ pattern: '[brainTumorDataPublic_*/]<n>.mat', dir: '', match: /^(?:[^/]+\/)?\d+\.mat$/, recursive: true, min: 1, expected: 3064, what: 'one slice per file, 1.mat … 3064.mat (unzip the four brainTumorDataPublic_*.zip here)' }],
    loader: loadBrainTumor,
    recipe: 'mri-default',
    notes: ['the download also holds cvind.mat (the authors\' 5-fold indices) and README.txt'],
  },
];

export function registryNames(): string[] {
  return REGISTRY.map((d) => d.name);
}
