"""Trains the PyTorch twin of CLASTER (test/twins/claster_twin.py's forward) on
the same arrays, split and recipe as models.claster-train, and scores it as
scripts/eval-claster.ts does: is a network below the ridge our training path
or the recipe on this data?

  /usr/bin/python3 packages/models/scripts/claster-twin-train.py \
      <claster-program entry> <claster-inputs entry> <claster-train entry> \
      [epochs=20] [patience=8] [lr=3e-4] [batch=16] [seed=0] [wd=0.01] [norm=layer|batch]
      [loss=all|masked] [reg=config|none] [halfWidthKb=H] [threads=2]

The architecture (config, weight names and shapes) is read from the train
entry's checkpoint/model.json, so the twin is the network that entry trained;
weights are drawn as ours (PyTorch's defaults: U(±1/√fan_in) for kernels and
biases, LayerNorm γ 1 β 0). Recipe as trainClaster: landscape cropped to the
config's bins, log1p inputs and targets under `transform: log1p`, AdamW (β
0.9/0.999, ε 1e-8, decay on every weight) at a constant rate, SmoothL1 (β 1),
shuffled batches, channel dropout / fusion dropout / per-example stochastic
depth with inverted scaling, best weights by validation SmoothL1 (inference
mode), early stop after `patience` epochs without improvement. Metrics: bin
Pearson over unmasked bins, gene Pearson of the sum from the TSS bin over
the gene body (truth.json's rule), on expm1 of the outputs.
`loss=masked` averages SmoothL1 over the on-chromosome bins only
(targets_mask); `reg=none` sets every dropout and stochastic-depth rate to 0.
`halfWidthKb=H` trains on a ±H kbp crop instead of the entry's.
`norm=batch` trains the twin's batch-norm form (config `norm: batch`: the
CNN's LayerNorms over channels become batch norm, EIR's choice; moving
statistics used in evaluation).
Prints one JSON line per epoch and a final JSON summary. float32, CPU.
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test", "twins"))
import claster_twin as twin  # noqa: E402

prog, inputs, train_entry = sys.argv[1:4]
kv = dict(a.split("=", 1) for a in sys.argv[4:])
epochs = int(kv.get("epochs", 20))
patience = int(kv.get("patience", 8))
lr = float(kv.get("lr", 3e-4))
bsz = int(kv.get("batch", 16))
seed = int(kv.get("seed", 0))
wd = float(kv.get("wd", 0.01))
norm = kv.get("norm", "layer")
masked = kv.get("loss", "all") == "masked"
noreg = kv.get("reg", "config") == "none"
torch.set_num_threads(int(kv.get("threads", 2)))
torch.manual_seed(seed)
rng = np.random.default_rng(seed)

model = json.load(open(f"{train_entry}/checkpoint/model.json"))
c = model["modelTopology"]["config"]
shapes = {w["name"]: w["shape"] for w in model["weightsManifest"][0]["weights"]}

# --- data: the samples' rows follow the GTF's gene order (as claster-baselines.py)
truth = json.load(open(f"{prog}/truth.json"))
length = {g["geneId"]: g["end"] - g["start"] for g in truth["genes"]}
chrom = {g["geneId"]: g["chrom"] for g in truth["genes"]}
ids = []
for line in open(f"{prog}/genes.gtf"):
    f = line.split("\t")
    if len(f) > 8 and f[2] == "gene":
        ids.append(f[8].split('gene_id "')[1].split('"')[0])
land = np.load(f"{inputs}/arrays/landscape.npy", mmap_mode="r")
Y = np.load(f"{inputs}/arrays/targets.npy").astype(np.float32)
M = np.load(f"{inputs}/arrays/targets_mask.npy").astype(bool)
n, tracks, bins = land.shape
if "halfWidthKb" in kv:
    # Another crop than the entry's (clasterCropBins): the branch's flatten → features
    # kernel follows the positions left after the strides (cnnOutputShape).
    half = round(float(kv["halfWidthKb"]) * 1000 / (1_000_000 / (bins - 1)))
    c["bins"] = min(bins, 2 * half + 1)
    L = c["landscape"]
    pos = math.ceil(c["bins"] / L["stride"][1])
    for _ in range(sum(L["blocks"])):
        pos = math.ceil(pos / L["stride"][1])
    shapes["landscape/out/kernel"] = [pos * twin.block_channels(L)[-1], L["features"]]
assert len(ids) == n and tracks == c["tracks"], (len(ids), n, tracks)
off = (bins - c["bins"]) // 2
X = np.ascontiguousarray(land[:, :, off : off + c["bins"]]).astype(np.float32)
log1p = c.get("transform") == "log1p"
Xt = torch.from_numpy(np.log1p(X) if log1p else X)
Yt = torch.from_numpy(np.log1p(Y) if log1p else Y)
split = np.array(
    [
        "test" if chrom[g] in truth["splits"]["test"] else "validation" if chrom[g] in truth["splits"]["validation"] else "train"
        for g in ids
    ]
)
idx = {s: np.where(split == s)[0] for s in ("train", "validation", "test")}
o = c["outputs"]
ctr = (o - 1) // 2

# --- weights as ours
w = {}
for name, shape in shapes.items():
    if name.endswith("/gamma"):
        t = torch.ones(shape)
    elif name.endswith("/beta"):
        t = torch.zeros(shape)
    else:
        k = shapes[name.rsplit("/", 1)[0] + "/kernel"]
        fan_in = k[0] * k[1] * k[2] if len(k) == 4 else k[0]
        b = 1 / math.sqrt(fan_in)
        t = torch.rand(shape) * 2 * b - b
    w[name] = t.requires_grad_(True)

_conv = twin.conv


def conv(x, w_, p, stride=(1, 1), dilation=(1, 1)):
    """torch 1.13's CPU dilated convolution is ~10x slower than a plain one: a
    dilated kernel is the same as its taps spread out with zeros between them."""
    if tuple(dilation) == (1, 1):
        return _conv(x, w_, p, stride, dilation)
    k, b = w_[p + "/kernel"], w_[p + "/bias"]  # [kh, kw, cin, cout]
    kh, kw = k.shape[0], k.shape[1]
    dh, dw = dilation
    big = k.new_zeros((dh * (kh - 1) + 1, dw * (kw - 1) + 1, k.shape[2], k.shape[3]))
    big = big.index_put((torch.arange(kh).mul(dh)[:, None], torch.arange(kw).mul(dw)[None, :]), k)
    return _conv(x, {p + "/kernel": big, p + "/bias": b}, p, stride, (1, 1))


twin.conv = conv
if norm == "batch":
    # EIR's batch norm in place of LayerNorm over channels (the twin's `norm: batch`,
    # as chromflow's): moving statistics start at 0 / 1 and follow each training pass.
    c["norm"] = "batch"
    for name, shape in list(shapes.items()):
        if name.endswith("/gamma") and not name.startswith(("fusion/", "head/")):
            p = name[: -len("/gamma")]
            w[p + "/moving_mean"] = torch.zeros(shape)
            w[p + "/moving_variance"] = torch.ones(shape)
moving = {}

chans = [ch for br in [c["landscape"]] + ([c["contacts"]] if c.get("contacts") else []) for ch in twin.block_channels(br)]
reg = c["landscape"]
fus = c["fusion"]
if noreg:
    reg = {**reg, "dropout": 0.0, "stochasticDepth": 0.0}
    fus = {**fus, "dropout": 0.0, "stochasticDepth": 0.0}
Mt = torch.from_numpy(M)


def smooth_l1(out, rows):
    """Mean SmoothL1 over every bin, or (`loss=masked`) over the bins on the chromosome only."""
    e = F.smooth_l1_loss(out, Yt[rows], beta=c["smoothL1Beta"], reduction="none")
    if not masked:
        return e.mean()
    m = Mt[rows].float()
    return (e * m).sum() / m.sum().clamp(min=1)


def masks(b):
    def keep(shape, p):
        return (torch.rand(shape) >= p).float() / (1 - p)

    block = torch.cat([keep((b, ch), reg["dropout"]) for ch in chans], 1)  # one draw per channel: Dropout2d
    fusion = keep((b, fus["layers"] * fus["width"]), fus["dropout"])
    path = torch.cat([keep((b, len(chans)), reg["stochasticDepth"]), keep((b, fus["layers"]), fus["stochasticDepth"])], 1)
    return {"blockDrop": block, "fusionDrop": fusion, "dropPath": path}


def fwd(rows, train):
    out = twin.forward(c, w, Xt[rows], None, masks(len(rows)) if train else None, moving)
    for k, v in moving.items():  # the moving statistics after a training pass
        w[k] = v
    moving.clear()
    return out


def evaluate(rows):
    with torch.no_grad():
        out = torch.cat([fwd(rows[i : i + 64], False) for i in range(0, len(rows), 64)])
        loss = smooth_l1(out, rows).item()
    P = np.expm1(out.numpy()) if log1p else out.numpy()
    m = M[rows]
    gl = lambda A: np.array([A[i, ctr : min(o, ctr + 1 + (length[ids[r]] - 1) // 1000)].sum() for i, r in enumerate(rows)])  # noqa: E731
    return loss, float(np.corrcoef(P[m], Y[rows][m])[0, 1]), float(np.corrcoef(gl(P), gl(Y[rows]))[0, 1])


opt = torch.optim.AdamW([v for k, v in w.items() if "/moving_" not in k], lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)
best = (math.inf, 0, None, None)
t0 = time.time()
for ep in range(1, epochs + 1):
    order = rng.permutation(idx["train"])
    tot = 0.0
    for lo in range(0, len(order), bsz):
        rows = order[lo : lo + bsz]
        loss = smooth_l1(fwd(rows, True), rows)
        opt.zero_grad()
        loss.backward()
        opt.step()
        tot += loss.item() * len(rows)
    vl, vb, vg = evaluate(idx["validation"])
    rec = {"epoch": ep, "train": round(tot / len(order), 4), "val": round(vl, 4), "valBin": round(vb, 3), "valGene": round(vg, 3), "s": round(time.time() - t0)}
    print(json.dumps(rec), flush=True)
    if vl < best[0]:
        best = (vl, ep, {k: v.detach().clone() for k, v in w.items()})
    elif ep - best[1] >= patience:
        break
with torch.no_grad():
    for k, v in best[2].items():
        w[k].copy_(v)
res = {"bestEpoch": best[1], "bestValLoss": round(best[0], 4), "epochsRun": ep, "seconds": round(time.time() - t0)}
for s in ("validation", "test"):
    _, b, g = evaluate(idx[s])
    res[s] = {"binPearson": round(b, 4), "genePearson": round(g, 4)}
res["args"] = {"epochs": epochs, "patience": patience, "lr": lr, "batch": bsz, "seed": seed, "wd": wd, "norm": norm, "loss": "masked" if masked else "all", "reg": "none" if noreg else "config", "bins": c["bins"]}
print(json.dumps(res))
