"""Reference values for test/protocols/{knn,linear-probe}.test.ts, computed once with
numpy 1.24 / scikit-learn 1.2 (Debian bookworm: apt-get install python3-sklearn).
medprobe never runs this; it documents where the numbers in the tests come from.
Run: /usr/bin/python3 test/protocols/reference/classification_reference.py
"""
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, accuracy_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler


def synth(n, d, c, signal, offset):
    """Same formula as synth() in the tests: deterministic, no RNG to port."""
    i = np.arange(offset, offset + n, dtype=np.float64)[:, None]
    j = np.arange(d, dtype=np.float64)[None, :]
    y = (np.arange(offset, offset + n) * 7 + 3) % c
    x = np.sin(0.37 * i * (j + 1) + 0.11 * j) + np.cos(1.7 * i + 0.5 * j * j)
    x = x + signal * (j == (y[:, None] % d))
    return x.astype(np.float32), y


np.set_printoptions(precision=7, suppress=False)

# --- kNN: cosine, weights exp(sim/T), T=0.07, class probabilities = weighted vote shares.
xtr, ytr = synth(60, 4, 3, 1.0, 0)
xq, _ = synth(8, 4, 3, 1.0, 1000)
T = 0.07
for k in (5, 60):
    knn = KNeighborsClassifier(n_neighbors=k, metric='cosine', algorithm='brute',
                               weights=lambda dist: np.exp((1.0 - dist) / T))
    knn.fit(xtr, ytr)
    print(f'knn k={k} proba=', np.round(knn.predict_proba(xq), 6).tolist())

# --- one full-batch step sequence of momentum SGD with cosine schedule (batch >= n).
x, y = synth(30, 4, 3, 1.0, 0)
x = x.astype(np.float64)
mean = x.mean(0); sd = x.std(0)
xs = (x - mean) / sd
Y = np.eye(3)[y]
W = np.zeros((4, 3)); b = np.zeros(3); V = np.zeros_like(W); Vb = np.zeros_like(b)
lr, wd, mu, epochs = 0.5, 0.01, 0.9, 5
for t in range(epochs):
    f = 0.5 * (1 + np.cos(np.pi * t / epochs))
    z = xs @ W + b
    p = np.exp(z - z.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
    d = (p - Y) / len(x)
    gW = xs.T @ d + wd * W
    gb = d.sum(0)
    V = mu * V + gW; Vb = mu * Vb + gb
    W = W - lr * f * V; b = b - lr * f * Vb
print('sgd W=', np.round(W, 6).tolist())
print('sgd b=', np.round(b, 6).tolist())

# --- sklearn LogisticRegression (binary, L2, C) on standardised noisy features.
xtr, ytr = synth(400, 16, 2, 0.6, 0)
xte, yte = synth(200, 16, 2, 0.6, 5000)
sc = StandardScaler().fit(xtr)
lr_ = LogisticRegression(C=1.0, max_iter=5000).fit(sc.transform(xtr), ytr)
p = lr_.predict_proba(sc.transform(xte))[:, 1]
print('sklearn logreg binary test auroc=', round(roc_auc_score(yte, p), 6), 'acc=', round(accuracy_score(yte, p > 0.5), 6))

# --- multinomial LogisticRegression, 3 classes.
xtr, ytr = synth(600, 16, 3, 0.6, 0)
xte, yte = synth(300, 16, 3, 0.6, 5000)
sc = StandardScaler().fit(xtr)
lr_ = LogisticRegression(C=1.0, max_iter=5000).fit(sc.transform(xtr), ytr)
p = lr_.predict_proba(sc.transform(xte))
print('sklearn logreg 3-class test auroc(ovr macro)=', round(roc_auc_score(yte, p, multi_class='ovr'), 6), 'acc=', round(accuracy_score(yte, p.argmax(1)), 6))

# --- Real data: PneumoniaMNIST raw pixels (28×28 → 784-d float32, 0..255) as "features",
# for test/protocols/pneumonia-pixels.test.ts (skipped when ../shared is absent).
import os
npz = os.path.join(os.path.dirname(__file__), '../../../../shared/data/medmnist/pneumoniamnist.npz')
if os.path.exists(npz):
    d = np.load(npz)
    xtr = d['train_images'].reshape(len(d['train_images']), -1).astype(np.float32)
    xte = d['test_images'].reshape(len(d['test_images']), -1).astype(np.float32)
    ytr, yte = d['train_labels'][:, 0], d['test_labels'][:, 0]
    knn = KNeighborsClassifier(n_neighbors=20, metric='cosine', algorithm='brute',
                               weights=lambda dist: np.exp((1.0 - dist) / 0.07)).fit(xtr, ytr)
    p = knn.predict_proba(xte)[:, 1]
    print('pneumonia pixels kNN k=20: test auroc=', round(roc_auc_score(yte, p), 6), 'acc=', round(accuracy_score(yte, p > 0.5), 6))
    print('pneumonia pixels kNN k=20: first 5 scores=', np.round(p[:5], 6).tolist())

# --- Real 3D data: AdrenalMNIST3D, every axial slice's raw pixels (28×28 → 784-d) as a slice
# "embedding", mean over the 28 slices of each volume (= aggregateSlices 'mean'), then kNN k=20.
# For test/protocols/adrenal-slices.test.ts.
npz3 = os.path.join(os.path.dirname(__file__), '../../../../shared/data/medmnist/adrenalmnist3d.npz')
if os.path.exists(npz3):
    d = np.load(npz3)
    def vol_mean(imgs):
        n = len(imgs)
        return imgs.reshape(n, imgs.shape[1], -1).astype(np.float64).mean(1).astype(np.float32)
    xtr, xte = vol_mean(d['train_images']), vol_mean(d['test_images'])
    ytr, yte = d['train_labels'][:, 0], d['test_labels'][:, 0]
    knn = KNeighborsClassifier(n_neighbors=20, metric='cosine', algorithm='brute',
                               weights=lambda dist: np.exp((1.0 - dist) / 0.07)).fit(xtr, ytr)
    p = knn.predict_proba(xte)[:, 1]
    print('adrenal3d slice-mean kNN k=20: test auroc=', round(roc_auc_score(yte, p), 6), 'acc=', round(accuracy_score(yte, p > 0.5), 6))
    print('adrenal3d slice-mean: first volume values 404..407=', np.round(xte[0, 404:408], 6).tolist(), 'first 5 scores=', np.round(p[:5], 6).tolist())
