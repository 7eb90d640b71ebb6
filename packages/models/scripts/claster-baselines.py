"""Simple models on CLASTER's samples, beside scripts/eval-claster.ts: what the
split allows without a network, and whether the per-bin output head or the
data size limits it.

  /usr/bin/python3 packages/models/scripts/claster-baselines.py \
      <claster-program entry> <claster-inputs entry>

- constant: every gene gets the training genes' mean profile;
- per-bin ridge (the structure of CLASTER's head: each of the 401 output bins
  its own weights) on the landscape pooled to 1 kbp, log1p, within ±H kbp of
  the TSS;
- shared ridge ("binned marks near each output bin"): one set of weights for
  every output bin on the pooled marks within ±20 kbp of that bin, those
  features again for the bins 0–40 kbp downstream of the TSS (the window's
  own gene body, whose direction the window fixes), and an intercept per bin.
Ridge on log1p(target), λ picked by validation bin Pearson; Pearson as
truth.json and eval-claster (bin level over unmasked bins, gene level the sum
from the TSS bin over the gene body). numpy only.
"""
import json
import sys

import numpy as np

prog, inputs = sys.argv[1:3]
truth = json.load(open(f"{prog}/truth.json"))
length = {g["geneId"]: g["end"] - g["start"] for g in truth["genes"]}
chrom = {g["geneId"]: g["chrom"] for g in truth["genes"]}
ids = []  # sample rows follow the GTF's gene order (claster-inputs)
for line in open(f"{prog}/genes.gtf"):
    f = line.split("\t")
    if len(f) > 8 and f[2] == "gene":
        ids.append(f[8].split('gene_id "')[1].split('"')[0])
land = np.load(f"{inputs}/arrays/landscape.npy")
Y = np.load(f"{inputs}/arrays/targets.npy").astype(np.float64)
M = np.load(f"{inputs}/arrays/targets_mask.npy").astype(bool)
n, tracks, bins = land.shape
assert len(ids) == n, (len(ids), n)
o = Y.shape[1]
c = (o - 1) // 2
val_chroms, test_chroms = truth["splits"]["validation"], truth["splits"]["test"]
split = np.array(
    ["test" if chrom[g] in test_chroms else "validation" if chrom[g] in val_chroms else "train" for g in ids]
)
idx = {s: np.where(split == s)[0] for s in ("train", "validation", "test")}
ratio = round(1000 * (bins - 1) / 1_000_000)  # landscape bins (±500 kbp) per 1-kbp output bin: 10
# 1-kbp pools of log1p marks, output bin k's pool centred like bin k: [n, tracks, o + 2·pad]
pad = 300
lc = (bins - 1) // 2
L = np.log1p(land.astype(np.float32))
kb_all = []
for u in range(-c - pad, c + pad + 1):
    lo, hi = lc + u * ratio - ratio // 2, lc + u * ratio + ratio // 2
    if hi <= 0 or lo >= bins:
        kb_all.append(np.zeros((n, tracks), np.float32))
    else:
        kb_all.append(L[:, :, max(0, lo) : min(bins, hi)].mean(2))
kb = np.stack(kb_all, 2)  # [n, tracks, o + 2·pad]
ty = np.log1p(Y)


def gene_level(P, rows):
    return np.array([P[i, c : min(o, c + 1 + (length[ids[r]] - 1) // 1000)].sum() for i, r in enumerate(rows)])


def agree(P, s):
    rows = idx[s]
    m = M[rows]
    return {
        "binPearson": round(float(np.corrcoef(P[m], Y[rows][m])[0, 1]), 4),
        "genePearson": round(float(np.corrcoef(gene_level(P, rows), gene_level(Y[rows], rows))[0, 1]), 4),
    }


out = {"genes": {s: int(len(v)) for s, v in idx.items()}}
mean = Y[idx["train"]].mean(0)
out["constant"] = {s: agree(np.tile(mean, (len(idx[s]), 1)), s) for s in ("validation", "test")}

lams = [1, 10, 100, 1000, 1e4, 1e5]


def pick(fit_predict):
    best = None
    for lam in lams:
        pv = fit_predict(lam, "validation")
        r = agree(pv, "validation")["binPearson"]
        if best is None or r > best[0]:
            best = (r, lam)
    lam = best[1]
    return {"lambda": lam, **{s: agree(fit_predict(lam, s), s) for s in ("validation", "test")}}


# per-bin ridge (dual form: few genes, many features)
for H in (2, 20, 200):
    X = kb[:, :, pad + c - H : pad + c + H + 1].reshape(n, -1).astype(np.float64)
    mu, sd = X[idx["train"]].mean(0), X[idx["train"]].std(0) + 1e-6
    Z = (X - mu) / sd
    Zt = Z[idx["train"]]
    yt = ty[idx["train"]]
    ym = yt.mean(0)
    K = Zt @ Zt.T

    def fp(lam, s, Z=Z, Zt=Zt, K=K, yt=yt, ym=ym):
        a = np.linalg.solve(K + lam * np.eye(len(K)), yt - ym)
        return np.expm1(Z[idx[s]] @ (Zt.T @ a) + ym)

    out[f"perBinRidge±{H}kb"] = pick(fp)

# shared ridge: normal equations accumulated gene by gene
W = 20
F = tracks * (2 * W + 1)
down = ((np.arange(o) >= c) & (np.arange(o) <= c + 40)).astype(np.float64)[:, None]


def design(r):
    win = np.stack([kb[r, :, pad + k - W : pad + k + W + 1].ravel() for k in range(o)])  # [o, F]
    return np.hstack([win, win * down, np.eye(o)])


D = 2 * F + o
A = np.zeros((D, D))
b = np.zeros(D)
mu = np.zeros(D)
for r in idx["train"]:
    mu += design(r).sum(0)
mu /= len(idx["train"]) * o
mu[2 * F :] = 0
for r in idx["train"]:
    X = design(r)[M[r]] - mu
    A += X.T @ X
    b += X.T @ ty[r][M[r]]
rows = M[idx["train"]].sum()
pen = np.ones(D)
pen[2 * F :] = 0  # per-bin intercepts unpenalised
scale = np.sqrt(np.diag(A)) + 1e-9  # λ in units of each feature's variance (standardised ridge)


def fs(lam, s):
    w = np.linalg.solve(A + lam * np.diag(pen * scale**2 / rows), b)
    return np.expm1(np.stack([(design(r) - mu) @ w for r in idx[s]]))


out["sharedRidge±20kb"] = pick(fs)
out["truth"] = {"reference": truth["reference"], "landscapeReference": truth.get("landscapeReference")}
print(json.dumps(out, indent=1))
