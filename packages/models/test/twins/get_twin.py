"""PyTorch twin of chromflow's GET model, written from shared/notes/get-reference.md.

Reads one JSON request on stdin: {config, weights: {name: {data, shape}},
x, y, mask, dropPath, pos} (chromflow's layout: dense kernels [in, out], so
y = x @ W + b). Builds the model in float64 with every weight a leaf
tensor, evaluates the task's loss, back-propagates, and writes
{out, loss, grads: {name: [...]}} to stdout. Also trains (`mode: train`).
"""
import json
import math
import sys

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
DT = torch.float64


def T(v, shape):
    return torch.tensor(v, dtype=DT).reshape(shape)


def linear(x, w, p):
    y = x @ w[p + "/kernel"] + w[p + "/bias"]
    if p + "/lora_a" in w:
        y = y + (x @ w[p + "/lora_a"] @ w[p + "/lora_b"]) * w["__lora_scale"]
    return y


# positional "relative": ALiBi-like bias by distance in bp, -w_h |d| / L_h, L_h geometric 2-128 kb.
def relative_scales(heads):
    return torch.tensor([2000.0 if heads == 1 else 2000.0 * 64.0 ** (h / (heads - 1))
                         for h in range(heads)], dtype=torch.float64)


def relative_bias(pos, slopes):
    """[B, H, 1+T, 1+T] from positions [B, T] (bp) and slopes [H]; CLS row/column 0."""
    d = (pos[:, None, :, None] - pos[:, None, None, :]).abs()
    per_bp = (slopes / relative_scales(slopes.shape[0]).to(slopes.dtype)).reshape(1, -1, 1, 1)
    return F.pad(-d * per_bp, (1, 0, 1, 0))


def attention(x, w, p, heads, bias=None):
    b, t, d = x.shape
    dh = d // heads
    q, k, v = linear(x, w, p + "/qkv").split(d, dim=-1)
    split = lambda z: z.reshape(b, t, heads, dh).transpose(1, 2)
    q, k, v = split(q), split(k), split(v)
    scores = q @ k.transpose(-1, -2) / math.sqrt(dh)
    if bias is not None:
        scores = scores + bias
    a = torch.softmax(scores, dim=-1) @ v
    return linear(a.transpose(1, 2).reshape(b, t, d), w, p + "/out")


def forward(c, w, x, mask, drop_path, pos=None):
    d = c["dim"]
    eps = c["epsilon"]
    ln = lambda z, p: F.layer_norm(z, (d,), w[p + "/gamma"], w[p + "/beta"], eps)
    if c["task"] == "atac":
        x = torch.cat([x[..., :-1], torch.zeros_like(x[..., -1:])], dim=-1)
    h = linear(x, w, "embed")
    if c["task"] == "pretrain" and mask is not None:
        m = mask.unsqueeze(-1)
        h = h * (1 - m) + w["mask_token"] * m
    b, t, _ = h.shape
    if c["positional"] == "learned":
        h = h + w["pos"][:, :t]
    y = torch.cat([w["cls"].expand(b, 1, d), h], dim=1)
    rel = c["positional"] == "relative"
    for i in range(c["layers"]):
        p = f"encoder/block{i}"
        keep = drop_path[:, i].reshape(b, 1, 1) if drop_path is not None else 1.0
        bias = relative_bias(pos, w[p + "/relpos"]) if rel else None
        y = y + keep * attention(ln(y, p + "/norm1"), w, p + "/attention", c["heads"], bias)
        y = y + keep * linear(F.gelu(linear(ln(y, p + "/norm2"), w, p + "/ffn1")), w, p + "/ffn2")
    y = ln(y, "encoder/norm")[:, 1:]
    out = linear(y, w, "head")
    return F.softplus(out) if c["task"] == "expression" else out


def loss_of(c, out, x, y, mask, tss=None):
    if c["task"] == "expression":
        if tss is None:
            return F.poisson_nll_loss(out, y, log_input=False, full=False, eps=1e-8)
        # expressionLoss "tss": mean Poisson NLL over the labelled (region, strand) pairs.
        nll = out - y * torch.log(out + 1e-8)
        return torch.sum(nll * tss) / torch.clamp(torch.sum(tss), min=1)
    if c["task"] == "atac":
        return torch.mean((out[..., 0] - x[..., -1]) ** 2)
    m = mask.unsqueeze(-1)
    return torch.sum((out - x) ** 2 * m) / (torch.sum(m) * c["features"])


def val_loss(c, w, vx, vy, vps, vw, bs):
    """As chromflow's evaluateGetLoss: each batch's loss weighted by its samples (with the
    TSS loss a batch's mean is over its own labelled pairs, so this differs from one mean
    over all of them)."""
    total = 0.0
    with torch.no_grad():
        for lo in range(0, vx.shape[0], bs):
            s = slice(lo, lo + bs)
            out = forward(c, w, vx[s], None, None, vps[s] if vps is not None else None)
            loss = loss_of(c, out, vx[s], vy[s], None, vw[s] if vw is not None else None)
            total += loss.item() * vx[s].shape[0]
    return total / vx.shape[0]


def train(r):
    """Trains the twin the way chromflow trains GET: AdamW (wd, betas 0.9/0.999),
    one warm-up epoch then cosine to 0, drop-path, best weights by validation
    loss; returns predictions for the test inputs."""
    c = r["config"]
    torch.manual_seed(r["seed"])
    t, f = r["t"], c["features"]
    w = {n: T(v["data"], v["shape"]).float().requires_grad_(True) for n, v in r["weights"].items()}
    x = torch.tensor(r["x"], dtype=torch.float32).reshape(-1, t, f)
    y = torch.tensor(r["y"], dtype=torch.float32).reshape(-1, t, 2)
    vx = torch.tensor(r["vx"], dtype=torch.float32).reshape(-1, t, f)
    vy = torch.tensor(r["vy"], dtype=torch.float32).reshape(-1, t, 2)
    tx = torch.tensor(r["tx"], dtype=torch.float32).reshape(-1, t, f)
    rel = c["positional"] == "relative"
    ps, vps, tps = ((torch.tensor(r[k], dtype=torch.float32).reshape(-1, t) if rel else None)
                    for k in ("pos", "vpos", "tpos"))
    tss = r.get("tss") is not None
    w_ = torch.tensor(r["tss"], dtype=torch.float32).reshape(-1, t, 2) if tss else None
    vw = torch.tensor(r["vtss"], dtype=torch.float32).reshape(-1, t, 2) if tss else None
    params = list(w.values())
    opt = torch.optim.AdamW(params, lr=r["lr"], betas=(0.9, 0.999), eps=1e-8, weight_decay=r["wd"])
    bs, epochs = r["batchSize"], r["epochs"]
    steps = math.ceil(x.shape[0] / bs)
    def rate(step):
        if step < steps:
            return step / steps
        p = min(1.0, (step - steps) / max(1, steps * epochs - steps))
        return 0.5 * (1 + math.cos(math.pi * p))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, rate)
    best, best_w, best_epoch = float("inf"), None, 0
    # `orders` / `dropPaths`: replay chromflow's draws (eval-get's twinDraws "ours").
    n, layers = x.shape[0], c["layers"]
    orders = torch.tensor(r["orders"]).reshape(epochs, n) if "orders" in r else None
    dps = torch.tensor(r["dropPaths"], dtype=torch.float32).reshape(-1, layers) if "dropPaths" in r else None
    history, used = [], 0
    for epoch in range(epochs):
        order = orders[epoch] if orders is not None else torch.randperm(n)
        seen, total = 0, 0.0
        for idx in order.split(bs):
            b = idx.shape[0]
            if dps is not None:
                dp, used = dps[used:used + b], used + b
            else:
                dp = (torch.rand(b, layers) >= c["dropPath"]).float() / (1 - c["dropPath"])
            loss = loss_of(c, forward(c, w, x[idx], None, dp, ps[idx] if rel else None),
                           x[idx], y[idx], None,
                           w_[idx] if tss else None)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            seen, total = seen + b, total + loss.item() * b
        v = val_loss(c, w, vx, vy, vps, vw, bs)
        history.append({"train": total / seen, "val": v})
        if v < best:
            best, best_w, best_epoch = v, {n: p.detach().clone() for n, p in w.items()}, epoch + 1
    with torch.no_grad():
        out = forward(c, best_w, tx, None, None, tps)
    json.dump({"out": out.reshape(-1).tolist(), "bestValLoss": best, "bestEpoch": best_epoch,
               "history": history}, sys.stdout)


def main():
    r = json.load(sys.stdin)
    if r.get("mode") == "train":
        torch.set_num_threads(2)
        return train(r)
    c = r["config"]
    b, t, f = r["shape"]
    w = {n: T(v["data"], v["shape"]).requires_grad_(True) for n, v in r["weights"].items()}
    if c.get("lora"):
        w["__lora_scale"] = c["lora"]["alpha"] / c["lora"]["rank"]
    x = T(r["x"], [b, t, f])
    y = T(r["y"], [b, t, 2]) if r.get("y") is not None else None
    mask = T(r["mask"], [b, t]) if r.get("mask") is not None else None
    dp = T(r["dropPath"], [b, c["layers"]]) if r.get("dropPath") is not None else None
    tss = T(r["tss"], [b, t, 2]) if r.get("tss") is not None else None
    pos = T(r["pos"], [b, t]) if r.get("pos") is not None else None
    out = forward(c, w, x, mask, dp, pos)
    loss = loss_of(c, out, x, y, mask, tss)
    loss.backward()
    grads = {n: v.grad.reshape(-1).tolist() for n, v in w.items()
             if not n.startswith("__") and v.grad is not None}
    json.dump({"out": out.detach().reshape(-1).tolist(), "loss": loss.item(), "grads": grads},
              sys.stdout)


if __name__ == "__main__":
    main()
