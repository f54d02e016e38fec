"""The linear probe's independent check: scikit-learn's LogisticRegression on the same features.

Reads <dir>/{train,val,test}_{x,y}.npy written by scripts/probe-vs-sklearn.ts; standardises on
the fitting rows (as medprobe does); picks C on val AUROC over a log grid; refits on train+val
(scaler refit too) and scores test, like medprobe's probe. Prints one JSON object.
Run with Debian's python (sklearn): /usr/bin/python3 scripts/probe-vs-sklearn.py <dir>
"""
import json, sys
import numpy as np
import sklearn
from sklearn.metrics import roc_auc_score
from sklearn_peer import C_GRID as grid, fit

d = sys.argv[1]
# Optional: C values to score on test as well (medprobe's chosen weight decay as C = 1/(wd·n)).
extra_C = [float(c) for c in sys.argv[2:]]
load = lambda s: (np.load(f"{d}/{s}_x.npy").astype(np.float64), np.load(f"{d}/{s}_y.npy").ravel())
(xtr, ytr), (xva, yva), (xte, yte) = load("train"), load("val"), load("test")
multi = len(np.unique(np.concatenate([ytr, yva, yte]))) > 2

def auroc(y, p):
    return float(roc_auc_score(y, p, multi_class="ovr", average="macro") if multi else roc_auc_score(y, p[:, 1]))


val = [auroc(yva, fit(xtr, ytr, C)(xva)) for C in grid]
best = grid[int(np.argmax(val))]
test_refit = auroc(yte, fit(np.vstack([xtr, xva]), np.concatenate([ytr, yva]), best)(xte))
test_train = auroc(yte, fit(xtr, ytr, best)(xte))
xall, yall = np.vstack([xtr, xva]), np.concatenate([ytr, yva])
at_C = {str(C): auroc(yte, fit(xall, yall, C)(xte)) for C in extra_C}
print(json.dumps({"sklearn": sklearn.__version__, "C_grid": grid, "val_auroc": val, "C": best,
                  "test_auroc_refit_train_val": test_refit, "test_auroc_train_only": test_train, "test_auroc_at_C": at_C}))
