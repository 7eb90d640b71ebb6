#!/usr/bin/env python3
"""PyTorch twin of XChrom (scBasset's sequence tower + XChrom's cell branch).

The architecture follows shared/notes/xchrom-reference.md exactly:
pre-activation blocks GELU(x*sigmoid(1.702x)) -> Conv1d(no bias, he_normal,
'same') -> BatchNorm(eps 1e-3, Keras momentum 0.9) -> MaxPool; stem 288 k17
pool 3; six k5 pool-2 blocks round(288*1.122^i); GELU -> Conv1d(256, k1) -> BN
-> GELU; length-major flatten; Dense(32, no bias) -> BN -> Dropout(0.2) ->
GELU = peak embedding. Cell branch: z-scored 32-d embedding (+N(0,0.01^2)
noise in training) -> LayerNorm(eps 1e-3) -> Dense(64, ReLU) -> Dense(32);
depth = Dense(1)(b_zscore). logits = peak . cell + depth, NaN->0, clip +-15,
binary cross-entropy on counts > 0. Published size: 4,518,218 trainable
parameters (asserted); small: 262,101.

A third configuration, `note`, is the CNN measured in
shared/notes/tfjs-wasm-training.md (post-activation Conv+BN+Pool+GELU, stem
64 k17 pool 3, six k5 blocks 72..128, Conv1d(32, k1), Dense(32), logits =
peak embedding x a learned [32, 500] cell matrix) -- the shape
`npm run bench` compares with TF.js.

Modes
  bench   train and inference sequences/s (JSON on stdout)
  train   XChrom's recipe with early stopping on validation loss, writes metrics JSON
  prepare writes a `train` data directory from shared/data's XChrom E18 set

`train` data directory (all row orders must agree):
  seqs.npy            uint8/int8 [P, L]  base codes A=0 C=1 G=2 T=3, N=4 (N one-hot = 0.25 each)
  labels.npy          any numeric [P, C] peaks x cells; > 0 means accessible
  cell_embedding.npy  float32 [C, 32]     XChrom's per-PC z-scored RNA embedding
  b_zscore.npy        float32 [C]         per-cell depth covariate
and a split JSON (e.g. shared/notes/xchrom-e18-splits.json) with 0-based
index lists train_peak, val_peak, test_peak, trainval_cell, test_cell (optional
val_cell: cells kept out of training that select a cross-cell model).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {
    "published": dict(stem=288, tower=[288, 323, 363, 407, 456, 512], bottleneck=256, order="pre", cell="xchrom"),
    "small": dict(stem=64, tower=[64, 74, 84, 97, 111, 128], bottleneck=32, order="pre", cell="xchrom"),
    "note": dict(stem=64, tower=[72, 81, 90, 101, 114, 128], bottleneck=32, order="post", cell="matrix", n_cells=500),
}
EXPECTED_TRAINABLE = {"published": 4518218, "small": 262101}
SEQ_LEN = 1344


def gelu(x):
    return x * torch.sigmoid(1.702 * x)


def he_normal_(w):
    fan_in = w.shape[1] * (w.shape[2] if w.dim() == 3 else 1)
    std = math.sqrt(2.0 / fan_in)
    nn.init.trunc_normal_(w, std=std, a=-2 * std, b=2 * std)


def bn(c):
    return nn.BatchNorm1d(c, eps=1e-3, momentum=0.1)  # Keras momentum 0.9


class Block(nn.Module):
    def __init__(self, cin, cout, k, pool, order):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, k, padding="same", bias=False)
        he_normal_(self.conv.weight)
        self.bn = bn(cout)
        self.pool = pool
        self.order = order

    def forward(self, x):
        if self.order == "pre":
            x = self.bn(self.conv(gelu(x)))
            return F.max_pool1d(x, self.pool) if self.pool > 1 else x
        x = self.bn(self.conv(x))
        x = F.max_pool1d(x, self.pool) if self.pool > 1 else x
        return gelu(x)


class Twin(nn.Module):
    def __init__(self, config, n_cells=None):
        super().__init__()
        c = CONFIGS[config]
        self.order = c["order"]
        blocks = [Block(4, c["stem"], 17, 3, c["order"])]
        cin = c["stem"]
        for co in c["tower"]:
            blocks.append(Block(cin, co, 5, 2, c["order"]))
            cin = co
        self.tower = nn.Sequential(*blocks)
        length = SEQ_LEN // 3
        for _ in c["tower"]:
            length //= 2
        self.bottleneck = nn.Conv1d(cin, c["bottleneck"], 1, bias=False)
        he_normal_(self.bottleneck.weight)
        self.flat = length * c["bottleneck"]
        if c["order"] == "pre":
            self.bottleneck_bn = bn(c["bottleneck"])
            self.dense = nn.Linear(self.flat, 32, bias=False)
            nn.init.xavier_uniform_(self.dense.weight)
            self.dense_bn = bn(32)
            self.dropout = nn.Dropout(0.2)
        else:
            self.dense = nn.Linear(self.flat, 32)
            nn.init.xavier_uniform_(self.dense.weight)
            nn.init.zeros_(self.dense.bias)
        self.cell_kind = c["cell"]
        if c["cell"] == "xchrom":
            self.cell_norm = nn.LayerNorm(32, eps=1e-3)
            self.cell_hidden = nn.Linear(32, 64)
            self.cell_out = nn.Linear(64, 32)
            self.depth = nn.Linear(1, 1)
            for lin in (self.cell_hidden, self.cell_out, self.depth):
                nn.init.xavier_uniform_(lin.weight)
                nn.init.zeros_(lin.bias)
        else:
            self.cell_matrix = nn.Parameter(torch.empty(32, n_cells or c["n_cells"]))
            nn.init.xavier_uniform_(self.cell_matrix)

    def peak_embedding(self, onehot):
        """onehot: [B, L, 4] channels-last (as in TF); returns [B, 32]."""
        x = onehot.transpose(1, 2)
        x = self.tower(x)
        if self.order == "pre":
            x = self.bottleneck_bn(self.bottleneck(gelu(x)))
            x = gelu(x)
            x = x.transpose(1, 2).reshape(x.shape[0], -1)  # length-major flatten
            return gelu(self.dropout(self.dense_bn(self.dense(x))))
        x = self.bottleneck(x)
        x = x.transpose(1, 2).reshape(x.shape[0], -1)
        return self.dense(x)

    def forward(self, onehot, cell_emb=None, b_zscore=None):
        peak = self.peak_embedding(onehot)
        if self.cell_kind == "matrix":
            return peak @ self.cell_matrix
        z = cell_emb
        if self.training:
            z = z + 0.01 * torch.randn_like(z)
        cell = self.cell_out(F.relu(self.cell_hidden(self.cell_norm(z))))
        depth = self.depth(b_zscore[:, None])[:, 0]
        logits = peak @ cell.t() + depth[None, :]
        logits = torch.nan_to_num(logits, nan=0.0)
        return torch.clamp(logits, -15.0, 15.0)


def trainable_count(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def onehot_from_codes(codes):
    """codes uint8 [B, L] (A0 C1 G2 T3 N4) -> float32 [B, L, 4]; N -> 0.25."""
    codes = torch.as_tensor(np.asarray(codes, dtype=np.int64))
    eye = torch.cat([torch.eye(4), torch.full((1, 4), 0.25)])
    return eye[codes.clamp(0, 4)]


def augment(x, rng):
    """One draw per batch: reverse complement (p=0.5), then a shift in [-3, 3] padded with 0.25."""
    if rng.random() < 0.5:
        x = torch.flip(x, dims=[1, 2])  # reverse, and ACGT -> TGCA
    s = int(rng.integers(-3, 4))
    if s != 0:
        pad = torch.full_like(x[:, : abs(s)], 0.25)
        x = torch.cat([pad, x[:, :-s]], 1) if s > 0 else torch.cat([x[:, -s:], pad], 1)
    return x


def make_optimizer(model):
    opt = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.95, 0.9995), eps=1e-7)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 0.9 ** (step / 10000))
    return opt, sched


def clip_per_variable(model):
    for p in model.parameters():
        if p.grad is not None:
            torch.nn.utils.clip_grad_norm_(p, 1.0)


# ---------------------------------------------------------------- bench mode
def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    results = []
    for config in args.configs.split(","):
        for batch in [int(b) for b in args.batches.split(",")]:
            n_cells = args.cells
            model = Twin(config, n_cells=n_cells)
            opt, sched = make_optimizer(model)
            g = torch.Generator().manual_seed(1)
            codes = torch.randint(0, 4, (batch, SEQ_LEN), generator=g)
            x = onehot_from_codes(codes.numpy())
            cells = torch.randn(n_cells, 32, generator=g)
            depth = torch.randn(n_cells, generator=g)
            y = (torch.rand(batch, n_cells, generator=g) < 0.2).float()

            def train_step():
                opt.zero_grad(set_to_none=True)
                logits = model(x, cells, depth)
                loss = F.binary_cross_entropy_with_logits(logits, y)
                loss.backward()
                clip_per_variable(model)
                opt.step()
                sched.step()

            def infer_step():
                with torch.no_grad():
                    model(x, cells, depth)

            out = {"config": config, "batch": batch, "threads": args.threads, "trainable": trainable_count(model)}
            for name, step, train in (("train", train_step, True), ("infer", infer_step, False)):
                model.train(train)
                for _ in range(args.warmup):
                    step()
                times = []
                t_end = time.perf_counter() + args.seconds
                while len(times) < args.min_steps or (time.perf_counter() < t_end and len(times) < args.max_steps):
                    t0 = time.perf_counter()
                    step()
                    times.append(time.perf_counter() - t0)
                med = float(np.median(times))
                out[f"{name}_seq_per_s"] = batch / med
                out[f"{name}_steps"] = len(times)
            results.append(out)
    json.dump({"torch": torch.__version__, "results": results}, sys.stdout)
    sys.stdout.write("\n")


# ---------------------------------------------------------------- train mode
def auc_pair(y, p):
    from sklearn.metrics import average_precision_score, roc_auc_score

    return float(roc_auc_score(y, p)), float(average_precision_score(y, p))


def block_metrics(y, p):
    """XChrom's definitions on a [peaks, cells] block (y binary, p probabilities)."""
    out = {}
    out["overall_auroc"], out["overall_auprc"] = auc_pair(y.ravel(), p.ravel())
    for axis, name in ((1, "per_peak"), (0, "per_cell")):
        rocs, prcs = [], []
        n = y.shape[0] if axis == 1 else y.shape[1]
        for i in range(n):
            yy = y[i] if axis == 1 else y[:, i]
            pp = p[i] if axis == 1 else p[:, i]
            if yy.min() == yy.max():
                continue
            r, a = auc_pair(yy, pp)
            rocs.append(r)
            prcs.append(a)
        out[f"{name}_auroc"] = float(np.mean(rocs)) if rocs else None
        out[f"{name}_auprc"] = float(np.mean(prcs)) if prcs else None
        out[f"{name}_n"] = len(rocs)
    return out


def load_data(data_dir):
    seqs = np.load(os.path.join(data_dir, "seqs.npy"))
    labels = (np.load(os.path.join(data_dir, "labels.npy")) > 0).astype(np.float32)
    cells = np.load(os.path.join(data_dir, "cell_embedding.npy")).astype(np.float32)
    depth = np.load(os.path.join(data_dir, "b_zscore.npy")).astype(np.float32).reshape(-1)
    if seqs.shape[0] != labels.shape[0] or labels.shape[1] != cells.shape[0] or cells.shape[0] != depth.shape[0]:
        raise SystemExit(
            f"{data_dir}: inconsistent shapes seqs {seqs.shape}, labels {labels.shape}, "
            f"cell_embedding {cells.shape}, b_zscore {depth.shape}"
        )
    return seqs, labels, cells, depth


def predict(model, onehot, cells, depth, batch=128):
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, onehot.shape[0], batch):
            outs.append(torch.sigmoid(model(onehot[i : i + batch], cells, depth)))
    return torch.cat(outs).numpy()


def mean_loss(model, onehot, labels, cells, depth, batch=128):
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for i in range(0, onehot.shape[0], batch):
            logits = model(onehot[i : i + batch], cells, depth)
            y = labels[i : i + batch]
            total += float(F.binary_cross_entropy_with_logits(logits, y, reduction="sum"))
            n += y.numel()
    return total / max(n, 1)


def train(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    seqs, labels, cells, depth = load_data(args.data)
    with open(args.split) as fh:
        split = json.load(fh)
    onehot = onehot_from_codes(seqs)
    labels_t = torch.from_numpy(labels)
    cells_t = torch.from_numpy(cells)
    depth_t = torch.from_numpy(depth)
    tr_p, va_p, te_p = (np.asarray(split[k], dtype=np.int64) for k in ("train_peak", "val_peak", "test_peak"))
    if args.task == "cross-peak":
        fit_cells = np.arange(labels.shape[1])
    else:
        fit_cells = np.asarray(split["trainval_cell"], dtype=np.int64)
    # Cells kept out of training (split "val_cell", as chromflow's trainer writes it): a
    # cross-cell model is then selected on train peaks x these cells instead of on val peaks.
    val_cells = np.asarray(split.get("val_cell", []), dtype=np.int64)
    select_on_cells = args.task == "cross-cell" and len(val_cells) > 0
    model = Twin(args.config)
    n_trainable = trainable_count(model)
    if args.config in EXPECTED_TRAINABLE and n_trainable != EXPECTED_TRAINABLE[args.config]:
        raise SystemExit(f"parameter count {n_trainable} != {EXPECTED_TRAINABLE[args.config]}")
    opt, sched = make_optimizer(model)
    c_fit, d_fit = cells_t[fit_cells], depth_t[fit_cells]
    y_fit = labels_t[:, fit_cells]
    best = (math.inf, -1, None)
    curve = []
    t_start = time.perf_counter()
    epoch = 0
    for epoch in range(args.max_epochs):
        model.train()
        order = rng.permutation(tr_p)
        for i in range(0, len(order), args.batch):
            idx = order[i : i + args.batch]
            x = augment(onehot[idx], rng)
            opt.zero_grad(set_to_none=True)
            loss = F.binary_cross_entropy_with_logits(model(x, c_fit, d_fit), y_fit[idx])
            loss.backward()
            clip_per_variable(model)
            opt.step()
            sched.step()
        if select_on_cells:
            val = mean_loss(model, onehot[tr_p], labels_t[tr_p][:, val_cells], cells_t[val_cells], depth_t[val_cells])
        else:
            val = mean_loss(model, onehot[va_p], y_fit[va_p], c_fit, d_fit)
        curve.append(val)
        if val < best[0]:
            best = (val, epoch, {k: v.clone() for k, v in model.state_dict().items()})
        elif epoch - best[1] >= args.patience:
            break
    seconds = time.perf_counter() - t_start
    model.load_state_dict(best[2])
    result = {
        "tool": "pytorch-twin",
        "torch": torch.__version__,
        "config": args.config,
        "task": args.task,
        "seed": args.seed,
        "selected_on": "train peaks x val cells" if select_on_cells else "val peaks x training cells",
        "trainable_parameters": n_trainable,
        "epochs_run": epoch + 1,
        "best_epoch": best[1] + 1,
        "best_val_loss": best[0],
        "seconds_per_epoch": seconds / (epoch + 1),
        "val_loss_curve": curve,
    }
    if args.task == "cross-peak":
        p = predict(model, onehot[te_p], cells_t, depth_t)
        result["test"] = block_metrics(labels[te_p], p)
        result["test_block"] = f"{len(te_p)} test peaks x {labels.shape[1]} cells"
    else:
        te_c = np.asarray(split["test_cell"], dtype=np.int64)
        tv_p = np.asarray(split.get("trainval_peak", np.concatenate([tr_p, va_p])), dtype=np.int64)
        p = predict(model, onehot[tv_p], cells_t[te_c], depth_t[te_c])
        result["test"] = block_metrics(labels[np.ix_(tv_p, te_c)], p)
        result["test_block"] = f"{len(te_c)} test cells x {len(tv_p)} train/val peaks"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != "val_loss_curve"}))


# ---------------------------------------------------------------- prepare mode
def prepare(args):
    import gzip

    import h5py

    src = args.source
    with h5py.File(os.path.join(src, "seqs_1344bp.h5"), "r") as h:
        seqs = np.asarray(h["X"]).astype(np.uint8)
    with gzip.open(os.path.join(src, "atac_counts.mtx.gz"), "rt") as fh:
        lines = [l for l in fh if not l.startswith("%")]
    n_p, n_c, _ = (int(v) for v in lines[0].split())
    labels = np.zeros((n_p, n_c), dtype=np.float32)
    for l in lines[1:]:
        r, c, v = l.split()
        labels[int(r) - 1, int(c) - 1] = float(v)
    cell_rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(src, "cells.tsv"))]
    head, cell_rows = cell_rows[0], cell_rows[1:]
    barcodes = [r[0] for r in cell_rows]
    depth = np.array([float(r[head.index("b_zscore")]) for r in cell_rows], dtype=np.float32)
    emb_rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(src, "rna_cell_embedding_zscore32_perpc.tsv"))][1:]
    emb = {r[0]: np.array([float(v) for v in r[1:]], dtype=np.float32) for r in emb_rows}
    cells = np.stack([emb[b] for b in barcodes])
    os.makedirs(args.data, exist_ok=True)
    np.save(os.path.join(args.data, "seqs.npy"), seqs)
    np.save(os.path.join(args.data, "labels.npy"), labels)
    np.save(os.path.join(args.data, "cell_embedding.npy"), cells)
    np.save(os.path.join(args.data, "b_zscore.npy"), depth)
    print(json.dumps({"seqs": list(seqs.shape), "labels": list(labels.shape), "cells": list(cells.shape)}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    b = sub.add_parser("bench")
    b.add_argument("--configs", default="note,small,published")
    b.add_argument("--batches", default="16,64")
    b.add_argument("--threads", type=int, default=2)
    b.add_argument("--cells", type=int, default=500)
    b.add_argument("--warmup", type=int, default=2)
    b.add_argument("--seconds", type=float, default=5.0)
    b.add_argument("--min-steps", type=int, default=3)
    b.add_argument("--max-steps", type=int, default=200)
    t = sub.add_parser("train")
    t.add_argument("--data", required=True)
    t.add_argument("--split", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--config", default="published", choices=["published", "small"])
    t.add_argument("--task", default="cross-peak", choices=["cross-peak", "cross-cell"])
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--batch", type=int, default=128)
    t.add_argument("--max-epochs", type=int, default=1000)
    t.add_argument("--patience", type=int, default=20)
    t.add_argument("--threads", type=int, default=2)
    p = sub.add_parser("prepare")
    p.add_argument("--source", required=True, help="shared/data/multiome/xchrom_e18_mouse_brain")
    p.add_argument("--data", required=True, help="output directory")
    args = ap.parse_args()
    {"bench": bench, "train": train, "prepare": prepare}[args.mode](args)


if __name__ == "__main__":
    main()
