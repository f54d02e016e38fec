"""Independent reader for the numbers scripts/study-datasets.ts prints (nibabel, h5py, skimage).

Not part of medprobe (which has no python dependency): a cross-check for docs/results/study-datasets.md.
    /usr/bin/python3 scripts/study-datasets-check.py [../shared/data/study]
"""
import os
import sys

import h5py
import nibabel as nib
import numpy as np
from skimage import io

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '../../shared/data/study')


def png(path):
    a = io.imread(path)
    if a.ndim == 3:
        a = a[..., :3]
        if (a == a[..., :1]).all():  # grey stored as RGB(A): one channel, as medprobe decodes it
            a = a[..., 0]
    return a


print('## nih-chestxray14')
for n in sorted(os.listdir(f'{root}/nih-chestxray14/images')):
    a = png(f'{root}/nih-chestxray14/images/{n}')
    print(f'  images/{n}: {a.shape} {a.dtype} sum {int(a.astype(np.int64).sum())}')

print('## brain-tumor (h5py; MATLAB column-major → transpose)')
for n in ['1.mat', '730.mat']:
    with h5py.File(f'{root}/brain-tumor/brainTumorDataPublic_1-766/{n}', 'r') as f:
        im = np.asarray(f['cjdata/image']).T
        pid = ''.join(chr(int(c)) for c in np.asarray(f['cjdata/PID']).ravel())
        label = int(np.asarray(f['cjdata/label']).ravel()[0])
        mask = np.asarray(f['cjdata/tumorMask']).T
        print(f'  {n}: {im.shape} {im.dtype} sum {int(im.astype(np.int64).sum())} label {label} (0-based {label - 1}) PID {pid} tumour pixels {int(mask.sum())} im[0,1] {im[0, 1]} im[1,0] {im[1, 0]}')

print('## sars-cov-2-ct')
for d in ['COVID', 'non-COVID']:
    for n in sorted(os.listdir(f'{root}/sars-cov-2-ct/{d}')):
        a = png(f'{root}/sars-cov-2-ct/{d}/{n}')
        print(f'  {d}/{n}: {a.shape} {a.dtype} sum {int(a.astype(np.int64).sum())}')

print('## msd-hippocampus (nibabel; canonical RAS; MRI 5–95th percentile → [0, 255])')
base = f'{root}/msd-hippocampus/Task04_Hippocampus'
for c in ['hippocampus_001', 'hippocampus_003']:
    im = nib.as_closest_canonical(nib.load(f'{base}/imagesTr/{c}.nii.gz'))
    lb = nib.as_closest_canonical(nib.load(f'{base}/labelsTr/{c}.nii.gz'))
    a = np.asarray(im.dataobj).astype(np.float64)
    lab = np.asarray(lb.dataobj).astype(int)
    lo, hi = np.percentile(a, [5, 95])
    scaled = (np.clip(a, lo, hi) - lo) / (hi - lo) * 255
    print(f'  {c}: {a.shape} {im.get_data_dtype()} {"".join(nib.aff2axcodes(im.affine))} voxel sum {a.sum()} labels {"/".join(map(str, np.bincount(lab.ravel(), minlength=3)))} percentiles {lo:.4f}..{hi:.4f} scaled sum {scaled.sum():.3f}')
