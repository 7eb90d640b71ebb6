"""Oracle for the PCA parity test: scikit-learn's PCA of the 10x MTX folder given
as argv[1], normalised independently here (counts scaled to argv[3] per cell,
log1p), exact ('full') solver, argv[2] components. Prints JSON."""
import json
import sys

import numpy as np
import scipy.io
from sklearn.decomposition import PCA

folder, n_comp, target = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
X = scipy.io.mmread(f"{folder}/matrix.mtx.gz").T.tocsr().astype(np.float64)
totals = np.asarray(X.sum(axis=1)).ravel()
scale = np.divide(target, totals, out=np.zeros_like(totals), where=totals > 0)
X = scipy.sparse.diags(scale) @ X
X.data = np.log1p(X.data)
pca = PCA(n_components=n_comp, svd_solver="full").fit(X.toarray())
json.dump(
    {
        "explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
        "explained_variance": pca.explained_variance_.tolist(),
        "components": pca.components_.tolist(),
    },
    sys.stdout,
)
