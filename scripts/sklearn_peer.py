"""The scikit-learn peer of medprobe's linear probe, shared by scripts/probe-vs-sklearn.py,
selection-rules.py and probe-resplits.py: StandardScaler on the fitting rows, then
LogisticRegression (lbfgs to tol 1e-6, max_iter 5000, intercept not penalised) at each C of
logspace(-4, 4, 17)."""
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

C_GRID = [float(c) for c in np.logspace(-4, 4, 17)]


def fit(x, y, C):
    """Fitted on (x, y) at C; returns z ↦ class probabilities [rows × classes]."""
    sc = StandardScaler().fit(x)
    m = LogisticRegression(C=C, max_iter=5000, tol=1e-6).fit(sc.transform(x), y)
    return lambda z: m.predict_proba(sc.transform(z))
