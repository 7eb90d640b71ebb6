"""Exact PCA (the outside oracle of the accuracy check): the h5ad's CSR X argv[1]
in float64, centred covariance by one dense product, LAPACK eigh; prints JSON with
the top argv[2] explained variances and components (unit rows, sign arbitrary)."""
import json
import sys

import h5py
import numpy as np
import scipy.sparse as sp

with h5py.File(sys.argv[1], "r") as f:
    X = f["X"]
    shape = tuple(int(v) for v in X.attrs["shape"])
    csr = sp.csr_matrix((X["data"][:], X["indices"][:], X["indptr"][:]), shape=shape)
k = int(sys.argv[2])
n = shape[0]
mu = np.asarray(csr.mean(axis=0), dtype=np.float64).ravel()
gram = (csr.T @ csr).astype(np.float64).toarray()
cov = (gram - n * np.outer(mu, mu)) / (n - 1)
w, v = np.linalg.eigh(cov)
order = np.argsort(w)[::-1][:k]
json.dump({"explained_variance": w[order].tolist(), "components": v[:, order].T.tolist()}, sys.stdout)
