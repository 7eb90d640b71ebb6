"""Reference timing: scikit-learn PCA (randomized solver) on the normalised
matrix in the h5ad argv[1] (CSR X as written by chromflow), argv[2]
components, random_state 0, repeated argv[3] times. scikit-learn 1.2 takes
dense input only, so the matrix is densified (float32 when argv[4] == 'f32')
and that time is reported apart. Prints JSON (wall and CPU seconds, all threads)."""
import json
import sys
import time

import h5py
import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import PCA

f = h5py.File(sys.argv[1], "r")
X = f["X"]
shape = tuple(int(v) for v in X.attrs["shape"])
csr = sp.csr_matrix((X["data"][:], X["indices"][:], X["indptr"][:]), shape=shape)
k, reps = int(sys.argv[2]), int(sys.argv[3])
dtype = np.float32 if sys.argv[4] == "f32" else np.float64
t0 = time.perf_counter()
dense = csr.astype(dtype).toarray()
densify = time.perf_counter() - t0
fits = []
cpus = []
for _ in range(reps):
    t0 = time.perf_counter()
    c0 = time.process_time()
    pca = PCA(n_components=k, svd_solver="randomized", random_state=0).fit(dense)
    fits.append(time.perf_counter() - t0)
    cpus.append(time.process_time() - c0)
json.dump(
    {
        "densify_s": densify,
        "fit_s": fits,
        "fit_cpu_s": cpus,
        "explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
    },
    sys.stdout,
)
