"""Reference timing: scikit-learn PCA on the normalised matrix in the h5ad argv[1]
(CSR X as written by chromflow), argv[2] components, random_state 0, argv[3] fits,
dtype argv[4] ('f32' or 'f64').

What runs (scikit-learn 1.2, read from the installed version and printed back):
PCA(n_components=k, svd_solver='randomized', random_state=0) with its defaults
n_oversamples=10, iterated_power='auto' (7 if k < 0.1·min(shape) else 4) and
power_iteration_normalizer='auto' (LU when n_iter > 2), i.e. randomized_svd with
flip_sign and transpose='auto'. scikit-learn 1.2's PCA refuses sparse input, so the
matrix is densified (in the given dtype) and the densify time reported apart; the
fit centres the dense copy and multiplies it with OpenBLAS (threads as listed).
Prints JSON: import, read, densify and fit times (wall and CPU), settings, and
the explained-variance ratios and components of the last fit."""
import json
import sys
import time

t0 = time.perf_counter()
import h5py  # noqa: E402
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import sklearn  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402

import_s = time.perf_counter() - t0

t0 = time.perf_counter()
with h5py.File(sys.argv[1], "r") as f:
    X = f["X"]
    shape = tuple(int(v) for v in X.attrs["shape"])
    csr = sp.csr_matrix((X["data"][:], X["indices"][:], X["indptr"][:]), shape=shape)
read_s = time.perf_counter() - t0
k, reps = int(sys.argv[2]), int(sys.argv[3])
dtype = np.float32 if sys.argv[4] == "f32" else np.float64
t0 = time.perf_counter()
dense = csr.astype(dtype).toarray()
densify = time.perf_counter() - t0
fits, cpus = [], []
for _ in range(reps):
    t0 = time.perf_counter()
    c0 = time.process_time()
    pca = PCA(n_components=k, svd_solver="randomized", random_state=0).fit(dense)
    fits.append(time.perf_counter() - t0)
    cpus.append(time.process_time() - c0)
n_iter = 7 if k < 0.1 * min(shape) else 4
json.dump(
    {
        "sklearn": sklearn.__version__,
        "settings": {
            "svd_solver": pca.svd_solver,
            "input": f"dense {np.dtype(dtype).name} (PCA in scikit-learn {sklearn.__version__} refuses sparse input)",
            "n_oversamples": pca.n_oversamples,
            "iterated_power": pca.iterated_power,
            "n_iter": n_iter,
            "power_iteration_normalizer": pca.power_iteration_normalizer
            + (" (= LU)" if n_iter > 2 else " (= none)"),
            "transpose": bool(shape[0] < shape[1]),
            "blas": [
                f"{i['internal_api']} {i['version']}, {i['num_threads']} threads"
                for i in threadpool_info()
            ],
        },
        "import_s": import_s,
        "read_s": read_s,
        "densify_s": densify,
        "fit_s": fits,
        "fit_cpu_s": cpus,
        "explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
        "explained_variance": pca.explained_variance_.tolist(),
        "components": pca.components_.tolist(),
    },
    sys.stdout,
)
