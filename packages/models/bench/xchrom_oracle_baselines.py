#!/usr/bin/env python3
"""Learners given what XChrom must discover, on the simulated data set (development aid).

How far below the truth reference can a learner be on unseen peaks for lack of
training peaks alone? Both learners see the true cell types (one-hot, from
truth.json) and XChrom's depth covariate, and are trained with XChrom's loss
on the same training peaks and cells, stopped on the validation peaks:

  motifs  per-peak features from a scan with the *true* PWMs (motifs.meme):
          the best log-odds score of each motif within +-300 bp of the centre,
          both strands, plus GC and CpG density of the central 500 bp
  gc      GC and CpG density only

Prints the held-out peaks' overall AUROC (test peaks x training cells).

  python3 bench/xchrom_oracle_baselines.py --data DIR --sim ../../test-data [--features motifs|gc]

DIR is written by `scripts/eval-xchrom-test-data.ts --dump-twin DIR --dump-only`.
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score


def read_meme(path):
    motifs, cur = [], None
    for line in open(path):
        if line.startswith("MOTIF"):
            cur = []
            motifs.append(cur)
        elif cur is not None:
            parts = line.split()
            if len(parts) == 4 and all(p.replace(".", "", 1).isdigit() for p in parts):
                cur.append([float(p) for p in parts])
    return [np.array(m) for m in motifs if m]


def features(codes, motifs, kind):
    n, length = codes.shape
    onehot = np.zeros((n, length, 4), np.float32)
    known = codes < 4
    onehot[np.nonzero(known) + (codes[known],)] = 1
    centre = onehot[:, length // 2 - 250 : length // 2 + 250]
    gc = (centre[:, :, 1] + centre[:, :, 2]).mean(1)
    cpg = (centre[:, :-1, 1] * centre[:, 1:, 2]).mean(1)
    cols = [gc, cpg]
    if kind == "motifs":
        background = np.array([0.2945, 0.2055, 0.2055, 0.2945])
        for pwm in motifs:
            w = np.log2((pwm + 1e-3) / background)
            best = np.full(n, -np.inf)
            for m in (w, w[::-1, ::-1]):  # forward and reverse complement
                k = len(m)
                score = sum(onehot[:, i : length - k + 1 + i, :] @ m[i] for i in range(k))
                best = np.maximum(best, score[:, length // 2 - 300 : length // 2 + 300].max(1))
            cols.append(best / w.max(1).sum())
    return np.stack(cols, 1).astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--sim", required=True, help="the simulated data set (truth.json, cells.tsv, motifs.meme)")
    ap.add_argument("--features", choices=["motifs", "gc"], default="motifs")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    codes = np.load(os.path.join(a.data, "seqs.npy"))
    labels = (np.load(os.path.join(a.data, "labels.npy")) > 0).astype(np.float32)
    depth = torch.from_numpy(np.load(os.path.join(a.data, "b_zscore.npy")).astype(np.float32).reshape(-1))
    split = json.load(open(os.path.join(a.data, "split.json")))
    tr, va, te = (np.array(split[k]) for k in ("train_peak", "val_peak", "test_peak"))
    cells = np.array(split["trainval_cell"])
    truth = json.load(open(os.path.join(a.sim, "truth.json")))
    type_of = {c["barcode"]: c["cellType"] for c in truth["cells"]}
    barcodes = [l.split("\t")[0] for l in open(os.path.join(a.sim, "cells.tsv"))][1:]
    types = sorted(set(type_of.values()))
    onehot_types = np.zeros((len(barcodes), len(types)), np.float32)
    for i, b in enumerate(barcodes):
        onehot_types[i, types.index(type_of[b])] = 1
    x = features(codes, read_meme(os.path.join(a.sim, "motifs.meme")), a.features)
    x = (x - x[tr].mean(0)) / x[tr].std(0)
    x, c, y = torch.from_numpy(x), torch.from_numpy(onehot_types), torch.from_numpy(labels)

    peak_net = nn.Sequential(nn.Linear(x.shape[1], 64), nn.ReLU(), nn.Linear(64, 32))
    cell_net, depth_net = nn.Linear(len(types), 32), nn.Linear(1, 1)
    params = [*peak_net.parameters(), *cell_net.parameters(), *depth_net.parameters()]
    opt = torch.optim.Adam(params, lr=0.01)

    def logits(peaks):
        return peak_net(x[peaks]) @ cell_net(c[cells]).t() + depth_net(depth[cells][:, None])[:, 0][None, :]

    best = (np.inf, None)
    for _ in range(400):
        for i in range(0, len(tr), 128):
            idx = rng.permutation(tr)[:128]
            opt.zero_grad()
            F.binary_cross_entropy_with_logits(logits(idx), y[idx][:, cells]).backward()
            opt.step()
        with torch.no_grad():
            val = F.binary_cross_entropy_with_logits(logits(va), y[va][:, cells]).item()
        if val < best[0]:
            best = (val, [p.detach().clone() for p in params])
    with torch.no_grad():
        for p, b in zip(params, best[1]):
            p.copy_(b)
        p_test = torch.sigmoid(logits(te)).numpy()
    auroc = roc_auc_score(labels[np.ix_(te, cells)].ravel(), p_test.ravel())
    print(json.dumps({"features": a.features, "train_peaks": len(tr), "test_peaks_overall_auroc": round(float(auroc), 4)}))


if __name__ == "__main__":
    main()
