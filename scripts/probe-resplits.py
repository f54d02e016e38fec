"""sklearn's side of scripts/probe-resplits.ts: LogisticRegression with C chosen on each draw's val.

Args: <dir> ({train,val,test}_{x,y}.npy) <out> (val_idx_<draw>.npy per draw); stdin: one JSON line
per draw from the probe ({draw, runs: [{minSteps, lrSelection, weightDecayGrid, auroc, chosen, epochs}]}). Per draw: StandardScaler
+ lbfgs (tol 1e-6) on the draw's train rows for C in logspace(-4, 4, 17), C chosen on val AUROC
(ties: smallest C), then test AUROC of the train+val refit at that C (train+val is the same rows in
every draw, so each C is refit once). Prints one Markdown row per draw, then per probe setting the
gap Δ = medprobe − sklearn over the re-draws (mean ± SE, median, sd) and each setting's paired
change against the first (same draws, so sklearn's noise cancels).
"""
import json, sys
import numpy as np
from joblib import Parallel, delayed
from sklearn.metrics import roc_auc_score
from sklearn_peer import C_GRID as C_grid, fit

d, out = sys.argv[1], sys.argv[2]
load = lambda s: np.load(f"{d}/{s}.npy")
xtr, xva, xte = (load(f"{s}_x").astype(np.float64) for s in ("train", "val", "test"))
ytr, yva, yte = (load(f"{s}_y").ravel() for s in ("train", "val", "test"))
xall, yall = np.vstack([xtr, xva]), np.concatenate([ytr, yva])




jobs = Parallel(n_jobs=2, max_nbytes=None)  # no /dev/shm memmaps: their resource tracker fails at exit
refit_test = jobs(delayed(lambda C: roc_auc_score(yte, fit(xall, yall, C)(xte)[:, 1]))(C) for C in C_grid)
draws = [json.loads(line) for line in sys.stdin if line.strip()]
grids = {str(r["weightDecayGrid"]) for r in draws[0]["runs"]}
names = [f"min {r['minSteps']} steps, lr by {r['lrSelection']}" + (f", wd {r['weightDecayGrid']}" if len(grids) > 1 else "") for r in draws[0]["runs"]]
print("| draw | sklearn test AUROC (C) | " + " | ".join(f"medprobe, {n}: test AUROC (lr, wd, epochs) | Δ" for n in names) + " |")
print("| --- | ---: |" + " ---: | ---: |" * len(names))
gaps, aurocs = [], []
for p in draws:
    val = np.load(f"{out}/val_idx_{p['draw']}.npy")
    train = np.setdiff1d(np.arange(len(yall)), val)
    val_auc = jobs(delayed(lambda C: roc_auc_score(yall[val], fit(xall[train], yall[train], C)(xall[val])[:, 1]))(C) for C in C_grid)
    c = int(np.argmax(val_auc))
    cells = []
    for r in p["runs"]:
        ch = r["chosen"]
        cells.append(f"{r['auroc']:.4f} ({ch['lr']:g}, {ch['weightDecay']:g}, {r['epochs']}) | {r['auroc'] - refit_test[c]:+.4f}")
    if p["draw"] != "official":
        gaps.append([r["auroc"] - refit_test[c] for r in p["runs"]])
        aurocs.append([r["auroc"] for r in p["runs"]])
    print(f"| {p['draw']} | {refit_test[c]:.4f} ({C_grid[c]:.3g}) | " + " | ".join(cells) + " |", flush=True)
g, a = np.array(gaps), np.array(aurocs)
se = lambda v: v.std(ddof=1) / np.sqrt(len(v))
print(f"\nOver {len(g)} re-draws of val (Δ = medprobe − sklearn):\n")
for j, n in enumerate(names):
    v = g[:, j]
    print(f"- {n}: Δ mean {v.mean():+.4f} ± SE {se(v):.4f}, median {np.median(v):+.4f}, sd {v.std(ddof=1):.4f}; "
          f"|Δ| ≤ 0.005 in {np.mean(np.abs(v) <= 0.005):.0%}, below by more than 0.005 in {np.mean(v < -0.005):.0%}")
for j, n in enumerate(names[1:], 1):
    v = a[:, j] - a[:, 0]
    print(f"- {n} vs {names[0]}, same draws: medprobe test AUROC {v.mean():+.4f} ± SE {se(v):.4f} (higher in {np.mean(v > 0):.0%}, lower in {np.mean(v < 0):.0%})")
