"""Oracle: per-cell totals, per-cell non-zero genes and per-gene sums of a
features x cells MatrixMarket file, by scipy.io.mmread. Prints JSON."""
import json
import sys

import numpy as np
import scipy.io

m = scipy.io.mmread(sys.argv[1]).tocsc()  # features x cells
json.dump(
    {
        "totals": np.asarray(m.sum(axis=0)).ravel().tolist(),
        "n_genes": np.diff(m.indptr).tolist(),
        "gene_sums": np.asarray(m.sum(axis=1)).ravel().tolist(),
    },
    sys.stdout,
)
