#!/usr/bin/env python3
"""PyTorch twin of the GET-shaped region transformer in bench/get-trainable.ts.

Model (shared/notes/transformer-training-facts.md): input [B, 200 regions,
283 features] -> Linear(283->D) -> a learned CLS token prepended -> L pre-norm
encoder blocks (nn.TransformerEncoderLayer: norm_first, erf-GELU, FFN 4D,
dropout 0, fused QKV in-projection) -> LayerNorm -> Linear(D->2) + Softplus on
the region tokens -> Poisson NLL (log_input=False); AdamW(lr 1e-4, weight
decay 0.01).

Modes
  bench  --shape get-small|get-medium|get-published [--threads N --steps S
         --warmup W]: median training and inference samples/s (JSON on stdout)
  check  --shape S --weights F --batch-file F: loss and gradients at the weights
         chromflow wrote (flat float32, chromflow's variable order), JSON on
         stdout, for the bench's equality check.

Threads: torch.set_num_threads(N) does not limit Debian's OpenBLAS, so the
caller also sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS and
OMP_WAIT_POLICY=PASSIVE (the note's best 2-thread setting).
"""
import argparse
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = {
    "get-small": dict(d=128, layers=4, heads=4, batch=16),
    "get-medium": dict(d=256, layers=6, heads=8, batch=8),
    "get-published": dict(d=768, layers=12, heads=12, batch=2),
}
REGIONS = 200
FEATURES = 283
OUTPUTS = 2


class GetTwin(nn.Module):
    def __init__(self, d, layers, heads):
        super().__init__()
        self.embed = nn.Linear(FEATURES, d)
        self.cls = nn.Parameter(torch.zeros(d))
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(
                d_model=d, nhead=heads, dim_feedforward=4 * d, dropout=0.0,
                activation="gelu", batch_first=True, norm_first=True,
            )
            for _ in range(layers)
        )
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, OUTPUTS)

    def forward(self, x):
        h = self.embed(x)
        cls = self.cls.expand(h.shape[0], 1, -1)
        h = torch.cat([cls, h], dim=1)
        for block in self.blocks:
            h = block(h)
        return F.softplus(self.head(self.norm(h[:, 1:])))


def ordered_parameters(model):
    """Parameters in chromflow's variable order, each as chromflow lays it out ([in, out])."""
    out = [("embed.w", model.embed.weight, True), ("embed.b", model.embed.bias, False),
           ("cls", model.cls, False)]
    for i, b in enumerate(model.blocks):
        out += [
            (f"b{i}.ln1.g", b.norm1.weight, False), (f"b{i}.ln1.b", b.norm1.bias, False),
            (f"b{i}.qkv.w", b.self_attn.in_proj_weight, True),
            (f"b{i}.qkv.b", b.self_attn.in_proj_bias, False),
            (f"b{i}.out.w", b.self_attn.out_proj.weight, True),
            (f"b{i}.out.b", b.self_attn.out_proj.bias, False),
            (f"b{i}.ln2.g", b.norm2.weight, False), (f"b{i}.ln2.b", b.norm2.bias, False),
            (f"b{i}.fc1.w", b.linear1.weight, True), (f"b{i}.fc1.b", b.linear1.bias, False),
            (f"b{i}.fc2.w", b.linear2.weight, True), (f"b{i}.fc2.b", b.linear2.bias, False),
        ]
    out += [("norm.g", model.norm.weight, False), ("norm.b", model.norm.bias, False),
            ("head.w", model.head.weight, True), ("head.b", model.head.bias, False)]
    return out


def loss_of(model, x, y):
    return F.poisson_nll_loss(model(x), y, log_input=False, full=False, eps=1e-8)


def batch(shape, seed):
    g = torch.Generator().manual_seed(seed)
    b = SHAPES[shape]["batch"]
    x = torch.rand(b, REGIONS, FEATURES, generator=g)
    y = torch.poisson(torch.full((b, REGIONS, OUTPUTS), 2.0), generator=g)
    return x, y


def median_seconds(step, steps, warmup):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def bench(args):
    torch.set_num_threads(args.threads)
    cfg = SHAPES[args.shape]
    torch.manual_seed(1)
    model = GetTwin(cfg["d"], cfg["layers"], cfg["heads"])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    x, y = batch(args.shape, 7)

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = loss_of(model, x, y)
        loss.backward()
        opt.step()

    model.train()
    train = median_seconds(train_step, args.steps, args.warmup)
    model.eval()

    def infer_step():
        with torch.inference_mode():
            model(x)

    infer = median_seconds(infer_step, args.steps, args.warmup)
    n = cfg["batch"]
    json.dump({
        "shape": args.shape, "torch": torch.__version__, "threads": args.threads,
        "trainable": sum(p.numel() for p in model.parameters()),
        "train_samples_per_s": n / train, "infer_samples_per_s": n / infer,
    }, sys.stdout)


def check(args):
    torch.set_num_threads(1)
    cfg = SHAPES[args.shape]
    model = GetTwin(cfg["d"], cfg["layers"], cfg["heads"]).double()
    flat = np.fromfile(args.weights, dtype="<f4")
    off = 0
    with torch.no_grad():
        for _, p, transposed in ordered_parameters(model):
            shape = tuple(reversed(p.shape)) if transposed else tuple(p.shape)
            n = int(np.prod(shape))
            v = torch.from_numpy(flat[off:off + n].astype(np.float64).reshape(shape))
            p.copy_(v.t() if transposed else v)
            off += n
    if off != flat.size:
        raise SystemExit(f"weights file holds {flat.size} floats, the model {off}")
    data = np.fromfile(args.batch_file, dtype="<f4")
    b = cfg["batch"] if args.batch is None else args.batch
    nx = b * REGIONS * FEATURES
    x = torch.from_numpy(data[:nx].astype(np.float64).reshape(b, REGIONS, FEATURES))
    y = torch.from_numpy(data[nx:].astype(np.float64).reshape(b, REGIONS, OUTPUTS))
    loss = loss_of(model, x, y)
    loss.backward()
    grads = []
    for _, p, transposed in ordered_parameters(model):
        g = p.grad.t() if transposed else p.grad
        grads.append(g.contiguous().reshape(-1))
    torch.cat(grads).float().numpy().astype("<f4").tofile(args.grads_out)
    json.dump({"loss": loss.item(), "trainable": off}, sys.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["bench", "check"])
    ap.add_argument("--shape", choices=sorted(SHAPES), required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--weights")
    ap.add_argument("--batch-file")
    ap.add_argument("--batch", type=int)
    ap.add_argument("--grads-out")
    args = ap.parse_args()
    bench(args) if args.mode == "bench" else check(args)


if __name__ == "__main__":
    main()
