"""GET Jacobians by PyTorch autograd, on the GET twin of @chromflow/models.

Reads {config, weights, shape: [B, T, F], x, select: [B·T·2], pos} on stdin
(pos [B·T]: region centres in bp, for `positional: relative`); the
model is packages/models/test/twins/get_twin.py's forward (float64, same
weights). f_b = Σ select[b] ⊙ output[b]; writes {f, jx (∂f/∂x), jh (∂f/∂ each
region's embedding), geneMotif (Σ_t x·jx), importance (‖jh‖₂ per region ÷
the gene's max)} as flat lists.
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "models", "test", "twins"))
import get_twin  # noqa: E402

captured = {}
plain_linear = get_twin.linear


def linear(x, w, p):
    y = plain_linear(x, w, p)
    if p == "embed":
        # The region embedding: keep its gradient (what region importance is of).
        y.retain_grad()
        captured["h"] = y
    return y


get_twin.linear = linear


def main():
    r = json.load(sys.stdin)
    c = r["config"]
    b, t, f = r["shape"]
    w = {n: get_twin.T(v["data"], v["shape"]) for n, v in r["weights"].items()}
    if c.get("lora"):
        w["__lora_scale"] = c["lora"]["alpha"] / c["lora"]["rank"]
    x = get_twin.T(r["x"], [b, t, f]).requires_grad_(True)
    sel = get_twin.T(r["select"], [b, t, 2])
    pos = get_twin.T(r["pos"], [b, t]) if r.get("pos") is not None else None
    out = get_twin.forward(c, w, x, None, None, pos)
    fb = (out * sel).sum(dim=(1, 2))
    fb.sum().backward()
    jx = x.grad
    jh = captured["h"].grad
    norm = jh.norm(dim=2)
    imp = norm / norm.max(dim=1, keepdim=True).values
    json.dump({
        "f": fb.detach().tolist(),
        "jx": jx.reshape(-1).tolist(),
        "jh": jh.reshape(-1).tolist(),
        "geneMotif": (x * jx).sum(dim=1).detach().reshape(-1).tolist(),
        "importance": imp.reshape(-1).tolist(),
    }, sys.stdout)


if __name__ == "__main__":
    main()
