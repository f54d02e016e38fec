"""scikit-learn cross-check for bench/probe-real.ts on the same cached feature files (not run by the project).

Usage: /usr/bin/python3 bench/reference/probe_sklearn.py TRAIN.npy VAL.npy TEST.npy ../shared/data/medmnist/pneumoniamnist.npz
(feature paths as printed by bench/probe-real.ts; Debian bookworm python3-sklearn 1.2)
"""
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

tr, va, te, npz = sys.argv[1:5]
d = np.load(npz)
xtr, xva, xte = np.load(tr), np.load(va), np.load(te)
ytr, yva, yte = (d[f'{s}_labels'][:, 0] for s in ('train', 'val', 'test'))

T = 0.07
t = time.perf_counter()
knn = KNeighborsClassifier(n_neighbors=20, metric='cosine', algorithm='brute', weights=lambda dist: np.exp((1 - dist) / T)).fit(xtr, ytr)
p = knn.predict_proba(xte)[:, 1]
print(f'sklearn kNN k=20 T=0.07: test AUROC {roc_auc_score(yte, p):.4f} ACC {accuracy_score(yte, p > 0.5):.4f} [{time.perf_counter() - t:.2f} s]')

for name, (x, y) in {'train': (xtr, ytr), 'train+val': (np.concatenate([xtr, xva]), np.concatenate([ytr, yva]))}.items():
    t = time.perf_counter()
    sc = StandardScaler().fit(x)
    lr = LogisticRegression(C=1.0, max_iter=5000).fit(sc.transform(x), y)
    p = lr.predict_proba(sc.transform(xte))[:, 1]
    print(f'sklearn LogisticRegression(C=1) on standardised {name}: test AUROC {roc_auc_score(yte, p):.4f} ACC {accuracy_score(yte, p > 0.5):.4f} [{time.perf_counter() - t:.2f} s]')
