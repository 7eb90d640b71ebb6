"""PyTorch twin of chromflow's layer and loss tests (float64).

Reads a JSON list of requests on stdin: {op, attrs, inputs: {name: {data,
shape}}, masks, weights}; for each, evaluates the op with PyTorch's own
modules/functions, back-propagates sum(output * weights) and writes
{value, grads: {name: [...]}} (a JSON list) to stdout. Weights arrive in
chromflow's layout (dense kernels [in, out]) and are transposed into
PyTorch's ([out, in]).
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
DT = torch.float64


def copy_params(module, pairs):
    """Replaces module parameters by the request's leaf tensors so gradients reach them."""
    for path, tensor in pairs:
        *parents, leaf = path.split(".")
        owner = module
        for name in parents:
            owner = getattr(owner, name)
        delattr(owner, leaf)
        setattr(owner, leaf, tensor)


def block_module(t, a, prefix=""):
    d, h, f = a["dim"], a["heads"], a["ffnDim"]
    layer = torch.nn.TransformerEncoderLayer(
        d, h, f, dropout=0.0, activation="gelu" if a["activation"] == "gelu-erf" else "relu",
        layer_norm_eps=a["epsilon"], batch_first=True, norm_first=True, dtype=DT)
    copy_params(layer, [
        ("norm1.weight", t[prefix + "ln1g"]), ("norm1.bias", t[prefix + "ln1b"]),
        ("self_attn.in_proj_weight", t[prefix + "qkvKernel"].T), ("self_attn.in_proj_bias", t[prefix + "qkvBias"]),
        ("self_attn.out_proj.weight", t[prefix + "outKernel"].T), ("self_attn.out_proj.bias", t[prefix + "outBias"]),
        ("norm2.weight", t[prefix + "ln2g"]), ("norm2.bias", t[prefix + "ln2b"]),
        ("linear1.weight", t[prefix + "w1"].T), ("linear1.bias", t[prefix + "b1"]),
        ("linear2.weight", t[prefix + "w2"].T), ("linear2.bias", t[prefix + "b2"]),
    ])
    return layer


def run(op, a, t, masks):
    if op == "gelu_erf":
        return F.gelu(t["x"])
    if op == "softplus":
        return F.softplus(t["x"])
    if op == "layer_norm":
        return F.layer_norm(t["x"], (t["x"].shape[-1],), t["gamma"], t["beta"], a["epsilon"])
    if op == "linear":
        return F.linear(t["x"], t["kernel"].T, t["bias"])
    if op == "mha":
        x = t["x"]
        m = torch.nn.MultiheadAttention(x.shape[-1], a["heads"], dropout=0.0, batch_first=True, dtype=DT)
        copy_params(m, [
            ("in_proj_weight", t["qkvKernel"].T), ("in_proj_bias", t["qkvBias"]),
            ("out_proj.weight", t["outKernel"].T), ("out_proj.bias", t["outBias"]),
        ])
        mask = masks.get("keyPaddingMask")
        out, _ = m(x, x, x, key_padding_mask=mask, need_weights=False)
        return out
    if op == "block":
        layer = block_module(t, a)
        return layer(t["x"], src_key_padding_mask=masks.get("keyPaddingMask"))
    if op == "encoder":
        y = t["x"]
        mask = masks.get("keyPaddingMask")
        for i in range(a["layers"]):
            y = block_module(t, a, f"l{i}_")(y, src_key_padding_mask=mask)
        return F.layer_norm(y, (y.shape[-1],), t["normg"], t["normb"], a["epsilon"])
    if op == "poisson_nll":
        return F.poisson_nll_loss(t["input"], t["target"], log_input=False, full=False, eps=1e-8)
    if op == "smooth_l1":
        return F.smooth_l1_loss(t["input"], t["target"], beta=a["beta"])
    if op == "triplet":
        return F.triplet_margin_loss(t["anchor"], t["positive"], t["negative"], margin=a["margin"], p=2, eps=1e-6)
    if op == "clip":
        an = F.normalize(t["a"], dim=-1)
        bn = F.normalize(t["b"], dim=-1)
        logits = t["logScale"].exp() * an @ bn.T
        labels = torch.arange(an.shape[0])
        return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2
    if op == "gradient_reversal":
        class Reverse(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.view_as(x)

            @staticmethod
            def backward(ctx, g):
                return -a["alpha"] * g

        return Reverse.apply(t["x"]) * t["x"]
    raise ValueError(f"unknown op {op}")


def sparse_adam(r):
    """torch.optim.SparseAdam on a table, one step per entry of r["steps"] (ids, row grads)."""
    a = r["attrs"]
    table = torch.nn.Parameter(torch.tensor(r["table"], dtype=DT).reshape(a["rows"], a["dim"]))
    opt = torch.optim.SparseAdam([table], lr=a["lr"], betas=(a["beta1"], a["beta2"]), eps=a["eps"])
    for ids, grads in r["steps"]:
        g = torch.tensor(grads, dtype=DT).reshape(len(ids), a["dim"])
        table.grad = torch.sparse_coo_tensor(torch.tensor([ids]), g, table.shape)
        opt.step()
    return {"value": table.detach().reshape(-1).tolist(), "grads": {}}


def main():
    out = []
    for r in json.load(sys.stdin):
        if r["op"] == "sparse_adam":
            out.append(sparse_adam(r))
            continue
        t = {k: torch.tensor(v["data"], dtype=DT).reshape(v["shape"]).requires_grad_(True)
             for k, v in r["inputs"].items()}
        masks = {k: torch.tensor(v["data"], dtype=torch.bool).reshape(v["shape"])
                 for k, v in r["masks"].items()}
        y = run(r["op"], r["attrs"], t, masks)
        w = torch.tensor(r["weights"], dtype=DT).reshape(y.shape)
        (y * w).sum().backward()
        out.append({"value": y.detach().reshape(-1).tolist(),
                    "grads": {k: v.grad.reshape(-1).tolist() for k, v in t.items()}})
    json.dump(out, sys.stdout)


main()
