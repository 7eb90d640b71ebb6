"""Times GET Jacobians by PyTorch autograd on the GET twin (float32, 1 thread,
the same weights, windows and output selection as the chromflow bench).

Reads the get_jacobian_twin.py request plus {batchSize}; prints
{seconds, jacobiansPerSecond} for all windows, one backward per batch.
"""
import json
import sys
import time

import torch

import get_jacobian_twin as jt

get_twin = jt.get_twin


def main():
    r = json.load(sys.stdin)
    get_twin.DT = torch.float32
    c = r["config"]
    b, t, f = r["shape"]
    w = {n: get_twin.T(v["data"], v["shape"]) for n, v in r["weights"].items()}
    x = get_twin.T(r["x"], [b, t, f])
    sel = get_twin.T(r["select"], [b, t, 2])
    bs = r["batchSize"]
    t0 = time.perf_counter()
    for lo in range(0, b, bs):
        xi = x[lo:lo + bs].clone().requires_grad_(True)
        out = get_twin.forward(c, w, xi, None, None)
        (out * sel[lo:lo + bs]).sum().backward()
        jt.captured["h"].grad.norm(dim=2)
        (xi * xi.grad).sum(dim=1)
    s = time.perf_counter() - t0
    json.dump({"seconds": s, "jacobiansPerSecond": b / s}, sys.stdout)


if __name__ == "__main__":
    main()
