"""Oracle for h5ad files: opens one with anndata.read_h5ad (as a scanpy user
would) and reports what anndata made of it: shape, X's type and dtype, each
obs/var column's dtype (categoricals with categories and `ordered`), obsm
shapes, and — when var has `highly_variable` — the var_names that
`adata[:, adata.var.highly_variable]` selects. Also h5py's view of the
boolean datatypes on disk. Prints JSON."""
import json
import sys

import anndata
import h5py
import numpy as np
import scipy.sparse as sp

path = sys.argv[1]
ad = anndata.read_h5ad(path)


def frame(df):
    out = {}
    for c in df.columns:
        s = df[c]
        if str(s.dtype) == "category":
            out[c] = {
                "dtype": "category",
                "ordered": bool(s.cat.ordered),
                "categories": [str(x) for x in s.cat.categories],
            }
        else:
            out[c] = {"dtype": str(s.dtype)}
    return out


out = {
    "anndata": anndata.__version__,
    "shape": list(ad.shape),
    "X_type": type(ad.X).__name__,
    "X_format": ad.X.format if sp.issparse(ad.X) else "dense",
    "X_dtype": str(ad.X.dtype),
    "X_sum": float(np.asarray(ad.X.sum(), dtype=np.float64)),
    "obs_names": [str(x) for x in ad.obs_names[:3]],
    "var_names": [str(x) for x in ad.var_names[:3]],
    "obs": frame(ad.obs),
    "var": frame(ad.var),
    "obsm": {k: list(np.asarray(v).shape) for k, v in ad.obsm.items()},
}
if "highly_variable" in ad.var.columns:
    sub = ad[:, ad.var.highly_variable]
    out["hv_selected"] = [str(x) for x in sub.var_names]

with h5py.File(path, "r") as f:
    disk = {}
    for frame_name in ("obs", "var"):
        for k, v in f[frame_name].items():
            if isinstance(v, h5py.Dataset) and v.dtype == np.bool_:
                disk[f"{frame_name}/{k}"] = "bool"
            elif isinstance(v, h5py.Group) and "ordered" in v.attrs:
                disk[f"{frame_name}/{k}@ordered"] = type(v.attrs["ordered"]).__name__
    out["h5py_bool"] = disk
json.dump(out, sys.stdout)
