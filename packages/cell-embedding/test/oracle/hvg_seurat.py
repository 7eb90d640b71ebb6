"""Oracle for the 'seurat' HVG flavour, written from scanpy's documented
definition with numpy only (scanpy/pandas are not installed here): normalise
total to argv[2] + log1p, then on expm1 of it: mean, var (ddof 1),
dispersion = log(var/mean), mean = log1p(mean), 20 equal-width bins as
pandas.cut (lower edge widened by 0.1 % of the range, right-closed),
per-bin z-score (ddof 1). Prints normalised dispersions (NaN as null)."""
import json
import sys

import numpy as np
import scipy.io

X = scipy.io.mmread(f"{sys.argv[1]}/matrix.mtx.gz").T.tocsr().astype(np.float64)
totals = np.asarray(X.sum(axis=1)).ravel()
X = scipy.sparse.diags(float(sys.argv[2]) / totals) @ X
X.data = np.log1p(X.data)
X.data = np.expm1(X.data)
n = X.shape[0]
mean = np.asarray(X.mean(axis=0)).ravel()
sq = np.asarray(X.multiply(X).mean(axis=0)).ravel()
var = (sq - mean**2) * n / (n - 1)
mean[mean == 0] = 1e-12
disp = var / mean
disp[disp == 0] = np.nan
disp = np.log(disp)
mean = np.log1p(mean)
lo, hi = mean.min(), mean.max()
edges = np.linspace(lo, hi, 21)
edges[0] -= (hi - lo) * 0.001
bins = np.clip(np.searchsorted(edges, mean, side="left") - 1, 0, 19)
norm = np.full(len(mean), np.nan)
for b in range(20):
    m = bins == b
    d = disp[m & ~np.isnan(disp)]
    if len(d) == 0:
        continue
    mu = d.mean()
    sd = d.std(ddof=1) if len(d) > 1 else np.nan
    if np.isnan(sd):
        sd, mu = mu, 0.0
    norm[m] = (disp[m] - mu) / sd
json.dump([None if np.isnan(v) else float(v) for v in norm], sys.stdout)
