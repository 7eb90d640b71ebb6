"""numpy's corrcoef of the motif columns of a float64 genes x motifs file (row-major)."""
import json
import sys

import numpy as np

path, n_genes, n_motifs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
x = np.fromfile(path, dtype="<f8").reshape(n_genes, n_motifs)
with np.errstate(invalid="ignore", divide="ignore"):
    r = np.corrcoef(x, rowvar=False)
print(json.dumps([None if not np.isfinite(v) else float(v) for v in r.ravel()]))
