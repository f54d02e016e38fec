"""Selection rules applied alike to medprobe's linear heads and to sklearn's LogisticRegression C grid.

Called by scripts/selection-rules.ts with <dir> (train/val/test_{x,y}.npy plus medprobe's
probe_val_p.npy [val × heads, fitted on train] and probe_test_p.npy [test × heads, refit on
train+val]) and the heads' hyperparameters as JSON. sklearn's side is scripts/probe-vs-sklearn.py's
(scaler on the fitting rows, C in logspace(-4, 4, 17), refit on train+val). Binary tasks only.

Rules (ties: first in grid order, as medprobe's bestCandidate; sklearn's grid is ascending C):
  val AUROC          highest val AUROC (the reference study's rule, medprobe's default)
  val cross-entropy  lowest mean val cross-entropy: the loss both sides fit, a proper score
  AUROC 1-SE (best)  most regularised (largest wd / smallest C; then highest val AUROC) among those
                     within one bootstrap SE of the best head's val AUROC
  AUROC 1-SE (paired) the same, but a candidate qualifies when best − it ≤ the bootstrap SE of that
                     paired difference
  cross-entropy 1-SE most regularised (then lowest cross-entropy) within one SE of the lowest val
                     cross-entropy; SE = sd of the best head's per-row losses / √n (no resampling)
Bootstrap: 1000 resamples of the val rows, numpy default_rng(0), shared by all heads (paired).
Prints one Markdown row per rule.
"""
import json, sys
import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn_peer import C_GRID as C_grid, fit

d, heads = sys.argv[1], json.loads(sys.argv[2])
load = lambda s: np.load(f"{d}/{s}.npy")
xtr, xva, xte = (load(f"{s}_x").astype(np.float64) for s in ("train", "val", "test"))
ytr, yva, yte = (load(f"{s}_y").ravel() for s in ("train", "val", "test"))
resamples = [b for b in np.random.default_rng(0).integers(0, len(yva), size=(1000, len(yva))) if 0 < yva[b].sum() < len(b)]


def row_ce(p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -(yva * np.log(p) + (1 - yva) * np.log(1 - p))


def choose(val_p, strength):
    """Index chosen by each rule from val probabilities [val × candidates]; strength: larger = more regularised."""
    n = val_p.shape[1]
    auc = np.array([roc_auc_score(yva, val_p[:, i]) for i in range(n)])
    ce_rows = np.stack([row_ce(val_p[:, i]) for i in range(n)], 1)
    ce = ce_rows.mean(0)
    boot = np.array([[roc_auc_score(yva[b], val_p[b, i]) for b in resamples] for i in range(n)])

    def most_regularised(ok, score):
        top = strength[ok].max()
        pool = [i for i in range(n) if ok[i] and strength[i] == top]
        return max(pool, key=lambda i: (score[i], -i))

    best_auc, best_ce = int(np.argmax(auc)), int(np.argmin(ce))
    se_ce = ce_rows[:, best_ce].std(ddof=1) / np.sqrt(len(yva))
    return {
        "val AUROC": best_auc,
        "val cross-entropy": best_ce,
        "AUROC 1-SE (best)": most_regularised(auc >= auc[best_auc] - boot[best_auc].std(ddof=1), auc),
        "AUROC 1-SE (paired)": most_regularised(auc[best_auc] - auc <= (boot[best_auc] - boot).std(1, ddof=1), auc),
        "cross-entropy 1-SE": most_regularised(ce <= ce[best_ce] + se_ce, -ce),
    }




probe_pick = choose(load("probe_val_p").astype(np.float64), np.array([h["weightDecay"] for h in heads]))
probe_test = load("probe_test_p").astype(np.float64)
sk_pick = choose(np.stack([fit(xtr, ytr, C)(xva)[:, 1] for C in C_grid], 1), -np.array(C_grid))
xall, yall = np.vstack([xtr, xva]), np.concatenate([ytr, yva])
sk_test = {i: roc_auc_score(yte, fit(xall, yall, C_grid[i])(xte)[:, 1]) for i in set(sk_pick.values())}
sk_auroc_rule = sk_test[sk_pick["val AUROC"]]

print("| rule | medprobe test AUROC (lr, wd) | sklearn, same rule: test AUROC (C) | Δ | Δ vs sklearn's val-AUROC C |")
print("| --- | ---: | ---: | ---: | ---: |")
sign = lambda v: f"{'+' if v >= 0 else '−'}{abs(v):.4f}"
for rule, h in probe_pick.items():
    auc = roc_auc_score(yte, probe_test[:, h])
    sk = sk_test[sk_pick[rule]]
    print(f"| {rule} | {auc:.4f} ({heads[h]['lr']:g}, {heads[h]['weightDecay']:g}) | {sk:.4f} ({C_grid[sk_pick[rule]]:.3g}) | {sign(auc - sk)} | {sign(auc - sk_auroc_rule)} |")
