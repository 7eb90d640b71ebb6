"""PyTorch twin of chromflow's CLASTER network, written from
shared/notes/atacformer-claster-reference.md and the model's doc comment.

Reads one JSON request on stdin: {config, weights: {name: {data, shape}},
x [B, tracks, bins], contacts [B, rows, cols] (contacts variant), y [B, outputs],
masks {blockDrop, fusionDrop, dropPath} or null}. chromflow's layouts:
convolution kernels [kh, kw, cin, cout], dense kernels [in, out]. Builds the
network in float64 with torch's own ops (nn.functional.conv2d with stride,
dilation and explicit padding; the landscape's first kernel as a 4 × 10
kernel over a one-channel image), evaluates SmoothL1, back-propagates and
writes {out, loss, grads: {name: [...]}, state: {name: [...]}} to stdout (state: the moving
statistics after the pass, batch norm in training only). With `mode: bench` it
times training and inference instead (`bench`).
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


def conv_w(w, p):
    # [kh, kw, cin, cout] -> [cout, cin, kh, kw]
    return w[p + "/kernel"].permute(3, 2, 0, 1), w[p + "/bias"]


def gelu(x):
    return x * torch.sigmoid(1.702 * x)


def same_pad(n, k, s, d):
    total = d * (k - 1)
    left = total // 2
    out = math.ceil(n / s)
    return left, s * (out - 1) + total + 1 - n - left


def conv(x, w, p, stride=(1, 1), dilation=(1, 1)):
    """x [B, C, H, W]; PyTorch-style 'same' padding (left = d(k-1)//2), output ceil(n/s)."""
    k, b = conv_w(w, p)
    kh, kw = k.shape[2], k.shape[3]
    ph = same_pad(x.shape[2], kh, stride[0], dilation[0])
    pw = same_pad(x.shape[3], kw, stride[1], dilation[1])
    x = F.pad(x, (pw[0], pw[1], ph[0], ph[1]))
    return F.conv2d(x, k, b, stride=stride, dilation=dilation)


def ln_c(x, w, p, eps):
    """LayerNorm over channels of [B, C, H, W]."""
    y = F.layer_norm(x.permute(0, 2, 3, 1), (x.shape[1],), w[p + "/gamma"], w[p + "/beta"], eps)
    return y.permute(0, 3, 1, 2)


def bn_c(x, w, p, eps, training, state):
    """Batch norm per channel of [B, C, H, W] (config norm `batch`): in training the
    batch's statistics, the moving ones updated in `state` (momentum 0.1, unbiased
    variance, as nn.BatchNorm2d); in inference the moving ones from `w`."""
    if not training:
        rm, rv = w[p + "/moving_mean"].detach(), w[p + "/moving_variance"].detach()
        return F.batch_norm(x, rm, rv, w[p + "/gamma"], w[p + "/beta"], False, 0.1, eps)
    rm = w[p + "/moving_mean"].detach().clone()
    rv = w[p + "/moving_variance"].detach().clone()
    y = F.batch_norm(x, rm, rv, w[p + "/gamma"], w[p + "/beta"], True, 0.1, eps)
    state[p + "/moving_mean"], state[p + "/moving_variance"] = rm, rv
    return y


def norm_c(x, w, p, eps, b, masks, state):
    return bn_c(x, w, p, eps, masks is not None, state) if b.get("batchNorm") else ln_c(x, w, p, eps)


def ln(x, w, p, eps):
    return F.layer_norm(x, (x.shape[-1],), w[p + "/gamma"], w[p + "/beta"], eps)


def lin(x, w, p):
    return x @ w[p + "/kernel"] + w[p + "/bias"]


def block_channels(b):
    return [b["channelBase"] * 2**s for s, n in enumerate(b["blocks"]) for _ in range(n)]


def branch(x, w, name, b, eps, masks, ch0, blk0, state=None):
    """x [B, C, H, W] after the first convolution. `b["batchNorm"]`: batch norm
    in place of LayerNorm over channels; updated moving statistics go to `state`."""
    state = {} if state is None else state
    bsz = x.shape[0]
    ch = ch0
    for i, cout in enumerate(block_channels(b)):
        p = f"{name}/block{i}"
        h = gelu(norm_c(x, w, p + "/norm1", eps, b, masks, state))
        if p + "/shortcut/kernel" in w:
            sub = h[:, :, :: b["stride"][0], :: b["stride"][1]]
            sk = w[p + "/shortcut/kernel"].t().reshape(cout, -1, 1, 1)
            identity = F.conv2d(sub, sk, w[p + "/shortcut/bias"])
        else:
            identity = x
        out = conv(h, w, p + "/conv1", stride=tuple(b["stride"]))
        out = gelu(norm_c(out, w, p + "/norm2", eps, b, masks, state))
        if masks is not None:
            out = out * masks["blockDrop"][:, ch : ch + cout].reshape(bsz, cout, 1, 1)
        ch += cout
        out = conv(out, w, p + "/conv2", dilation=tuple(b["dilation"]))
        if masks is not None:
            out = out * masks["dropPath"][:, blk0 + i].reshape(bsz, 1, 1, 1)
        x = identity + out
    h = gelu(norm_c(x, w, name + "/norm", eps, b, masks, state))
    flat = h.permute(0, 2, 3, 1).reshape(bsz, -1)  # (h, w, c) order, as chromflow's NHWC
    return lin(flat, w, name + "/out")


def forward(c, w, x, contacts, masks, state=None):
    eps = c["epsilon"]
    bn = c.get("norm") == "batch"
    L = {**c["landscape"], "batchNorm": bn}
    bsz = x.shape[0]
    # The first kernel: fh x fw over the one-channel image [B, 1, tracks, bins], no height padding.
    k = w["landscape/first/kernel"].permute(3, 2, 0, 1)
    fw = k.shape[3]
    pw = same_pad(x.shape[2], fw, L["stride"][1], 1)
    h = F.conv2d(F.pad(x.unsqueeze(1), (pw[0], pw[1])), k, w["landscape/first/bias"], stride=(1, L["stride"][1]))
    feats = [branch(h, w, "landscape", L, eps, masks, 0, 0, state)]
    nblk = len(block_channels(L))
    if c.get("contacts"):
        C = {**c["contacts"], "batchNorm": bn}
        h = conv(contacts.unsqueeze(1), w, "contacts/first", stride=tuple(C["stride"]))
        feats.append(branch(h, w, "contacts", C, eps, masks, sum(block_channels(L)), nblk, state))
        nblk += len(block_channels(C))
    z = torch.cat(feats, dim=1)
    width = c["fusion"]["width"]
    for i in range(c["fusion"]["layers"]):
        p = f"fusion/block{i}"
        h = gelu(lin(ln(z, w, p + "/norm", eps), w, p + "/fc1"))
        if masks is not None:
            h = h * masks["fusionDrop"][:, i * width : (i + 1) * width]
        h = lin(h, w, p + "/fc2")
        if masks is not None:
            h = h * masks["dropPath"][:, nblk + i].reshape(bsz, 1)
        z = (lin(z, w, p + "/shortcut") if p + "/shortcut/kernel" in w else z) + h
    return lin(ln(z, w, "head/norm", eps), w, "head/linear")


def bench(r):
    """The compute benchmark's CLASTER row (packages/compute/bench/index.ts):
    samples/s of a training step (forward, SmoothL1, backward, AdamW) and of
    inference (forward under no_grad), float32, weights of chromflow's names
    and `shapes`, no dropout. Medians of `steps` timed steps after `warmup`.
    Writes {trainable, train, infer, torch}."""
    from bench_timing import median_seconds

    torch.set_num_threads(r["threads"])
    c, n = r["config"], r["n"]
    g = torch.Generator().manual_seed(0)
    w = {k: (torch.rand(v, generator=g) * 0.2 - 0.1).requires_grad_(True) for k, v in r["shapes"].items()}
    x = torch.rand(n, c["tracks"], c["bins"], generator=g)
    y = torch.rand(n, c["outputs"], generator=g)
    opt = torch.optim.AdamW(list(w.values()), lr=r["learningRate"], weight_decay=r["weightDecay"])

    def train():
        loss = F.smooth_l1_loss(forward(c, w, x, None, None), y, beta=c["smoothL1Beta"])
        opt.zero_grad()
        loss.backward()
        opt.step()

    def infer():
        with torch.no_grad():
            forward(c, w, x, None, None)

    train_s = median_seconds(train, r["steps"], r["warmup"])
    infer_s = median_seconds(infer, r["steps"], r["warmup"])
    json.dump({"trainable": sum(v.numel() for v in w.values()), "train": n / train_s, "infer": n / infer_s,
               "torch": torch.__version__}, sys.stdout)


def main():
    r = json.load(sys.stdin)
    if r.get("mode") == "bench":
        return bench(r)
    c = r["config"]
    b = r["n"]
    w = {n: T(v["data"], v["shape"]).requires_grad_(True) for n, v in r["weights"].items()}
    x = T(r["x"], (b, c["tracks"], c["bins"]))
    contacts = T(r["contacts"], (b, c["contacts"]["rows"], c["contacts"]["cols"])) if c.get("contacts") else None
    y = T(r["y"], (b, c["outputs"]))
    masks = None
    if r.get("masks"):
        masks = {k: T(v, (b, -1)) for k, v in r["masks"].items()}
    state = {}
    out = forward(c, w, x, contacts, masks, state)
    loss = F.smooth_l1_loss(out, y, beta=c["smoothL1Beta"])
    loss.backward()
    json.dump(
        {
            "out": out.detach().reshape(-1).tolist(),
            "loss": loss.item(),
            "state": {n: t.reshape(-1).tolist() for n, t in state.items()},
            "grads": {n: t.grad.reshape(-1).tolist() for n, t in w.items() if t.grad is not None},
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
