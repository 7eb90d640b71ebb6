"""Oracle: log10(1 + CPM) of counts summed per label. argv: genes x cells
MatrixMarket, cells TSV (first column = cell id, header), label column name.
Prints {group: [log_cpm per gene]}."""
import json
import sys

import numpy as np
import scipy.io

m = scipy.io.mmread(sys.argv[1]).tocsc().astype(np.float64)
lines = open(sys.argv[2]).read().splitlines()
header = lines[0].split("\t")
li = header.index(sys.argv[3])
labels = np.array([l.split("\t")[li] for l in lines[1:]])
out = {}
for g in sorted(set(labels)):
    s = np.asarray(m[:, labels == g].sum(axis=1)).ravel()
    out[g] = np.log10(1 + s / s.sum() * 1e6).tolist()
json.dump(out, sys.stdout)
