"""PyTorch twin of chromflow's Atacformer encoder, built from torch's own modules.

Reads one JSON request on stdin: {config, weights: {name: {data, shape}},
tokens [B*T] (0 = pad), labels [B*T], shape [B, T]} (chromflow's layout:
dense kernels [in, out]). Builds nn.Embedding(padding_idx=0) +
nn.TransformerEncoder(nn.TransformerEncoderLayer(norm_first=True,
activation=relu, dropout=0, batch_first=True), norm=LayerNorm) + Linear(D, 1)
in float64 with the given weights, runs it with key_padding_mask, and writes
{hidden, cells, logits, loss, grads: {chromflow name: [...]}} to stdout:
contextual embeddings, mean-pooled cell embeddings over non-pad tokens,
replaced-token logits, the mean per-token BCE over non-pad tokens, and the
gradient of that loss for every weight (the token table's as a dense [V, D]).
With `mode: bench` it times training and inference instead (`bench`).
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
DT = torch.float64


def bench(r):
    """The compute benchmark's Atacformer row (packages/compute/bench/index.ts):
    training and inference samples (cells)/s of the torch model at a shape,
    float32. A training step: forward, BCE, backward, AdamW on the encoder and
    head, SparseAdam on an nn.Embedding(sparse=True) table; inference: the
    forward pass to the replaced-token logits under no_grad. Medians of
    `steps` timed steps after `warmup`. Writes {trainable, train, infer, torch}."""
    from bench_timing import median_seconds

    torch.set_num_threads(r["threads"])
    c = r["config"]
    b, t = r["batch"], r["tokens"]
    d = c["dim"]
    emb = nn.Embedding(c["vocabSize"], d, padding_idx=0, sparse=True)
    layer = nn.TransformerEncoderLayer(d, c["heads"], c["ffnDim"], dropout=0.0, activation="relu",
                                       layer_norm_eps=c["epsilon"], batch_first=True, norm_first=True)
    enc = nn.TransformerEncoder(layer, c["layers"], norm=nn.LayerNorm(d, eps=c["epsilon"]),
                                enable_nested_tensor=False)
    head = nn.Linear(d, 1)
    params = [*emb.parameters(), *enc.parameters(), *head.parameters()]
    dense = torch.optim.AdamW(list(enc.parameters()) + list(head.parameters()), lr=r["learningRate"],
                              weight_decay=r["weightDecay"])
    sparse = torch.optim.SparseAdam(list(emb.parameters()), lr=r["learningRate"])
    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(7, c["vocabSize"], (b, t), generator=g)
    labels = (torch.rand(b, t, generator=g) < c["replaceProbability"]).float()
    pad = tokens == 0

    def logits():
        return head(enc(emb(tokens), src_key_padding_mask=pad)).squeeze(-1)

    def train():
        enc.train()
        loss = F.binary_cross_entropy_with_logits(logits(), labels)
        dense.zero_grad(); sparse.zero_grad()
        loss.backward()
        dense.step(); sparse.step()

    def infer():
        enc.eval()  # torch's inference fast path where it applies (no dropout either way)
        with torch.no_grad():
            logits()

    train_s = median_seconds(train, r["steps"], r["warmup"])
    infer_s = median_seconds(infer, r["steps"], r["warmup"])
    json.dump({"trainable": sum(p.numel() for p in params), "train": b / train_s, "infer": b / infer_s,
               "torch": torch.__version__}, sys.stdout)


def main():
    r = json.load(sys.stdin)
    if r.get("mode") == "bench":
        return bench(r)
    c = r["config"]
    b, t = r["shape"]
    d, L = c["dim"], c["layers"]
    W = {n: torch.tensor(v["data"], dtype=DT).reshape(v["shape"]) for n, v in r["weights"].items()}

    emb = nn.Embedding(c["vocabSize"], d, padding_idx=0).to(DT)
    layer = nn.TransformerEncoderLayer(d, c["heads"], c["ffnDim"], dropout=0.0, activation="relu",
                                       layer_norm_eps=c["epsilon"], batch_first=True, norm_first=True)
    enc = nn.TransformerEncoder(layer, L, norm=nn.LayerNorm(d, eps=c["epsilon"]),
                                enable_nested_tensor=False).to(DT)
    head = nn.Linear(d, 1).to(DT)
    names = {}  # torch parameter -> (chromflow name, transpose?)
    with torch.no_grad():
        emb.weight.copy_(W["tokens/table"])
        names[emb.weight] = ("tokens/table", False)
        for i, blk in enumerate(enc.layers):
            p = f"encoder/block{i}"
            pairs = [
                (blk.self_attn.in_proj_weight, p + "/attention/qkv/kernel", True),
                (blk.self_attn.in_proj_bias, p + "/attention/qkv/bias", False),
                (blk.self_attn.out_proj.weight, p + "/attention/out/kernel", True),
                (blk.self_attn.out_proj.bias, p + "/attention/out/bias", False),
                (blk.linear1.weight, p + "/ffn1/kernel", True),
                (blk.linear1.bias, p + "/ffn1/bias", False),
                (blk.linear2.weight, p + "/ffn2/kernel", True),
                (blk.linear2.bias, p + "/ffn2/bias", False),
                (blk.norm1.weight, p + "/norm1/gamma", False),
                (blk.norm1.bias, p + "/norm1/beta", False),
                (blk.norm2.weight, p + "/norm2/gamma", False),
                (blk.norm2.bias, p + "/norm2/beta", False),
            ]
            for param, name, tr in pairs:
                param.copy_(W[name].T if tr else W[name])
                names[param] = (name, tr)
        for param, name, tr in [
            (enc.norm.weight, "encoder/norm/gamma", False),
            (enc.norm.bias, "encoder/norm/beta", False),
            (head.weight, "rtd/kernel", True),
            (head.bias, "rtd/bias", False),
        ]:
            param.copy_(W[name].T if tr else W[name])
            names[param] = (name, tr)
    enc.train()  # the reference (slow) path: padded queries keep their outputs

    tokens = torch.tensor(r["tokens"], dtype=torch.long).reshape(b, t)
    labels = torch.tensor(r["labels"], dtype=DT).reshape(b, t)
    pad = tokens == 0
    h = enc(emb(tokens), src_key_padding_mask=pad)
    valid = (~pad).to(DT)
    cells = (h * valid.unsqueeze(-1)).sum(1) / valid.sum(1, keepdim=True).clamp(min=1)
    logits = head(h).squeeze(-1)
    bce = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    loss = (bce * valid).sum() / valid.sum()
    loss.backward()
    grads = {}
    for param, (name, tr) in names.items():
        g = param.grad if param.grad is not None else torch.zeros_like(param)
        grads[name] = (g.T if tr else g).reshape(-1).tolist()
    json.dump({
        "hidden": h.detach().reshape(-1).tolist(),
        "cells": cells.detach().reshape(-1).tolist(),
        "logits": logits.detach().reshape(-1).tolist(),
        "loss": loss.item(),
        "grads": grads,
    }, sys.stdout)


if __name__ == "__main__":
    main()
