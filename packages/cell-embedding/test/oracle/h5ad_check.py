"""Oracle for the h5ad writer: opens the file with h5py and reports, per the
AnnData on-disk spec, the encoding attributes of every element and the
matrix it holds. If anndata imports, also reads it with anndata.read_h5ad.
Prints JSON."""
import json
import sys

import h5py
import numpy as np


def enc(o):
    a = o.attrs
    return [str(a.get("encoding-type")), str(a.get("encoding-version"))]


f = h5py.File(sys.argv[1], "r")
X = f["X"]
out = {
    "root": enc(f),
    "X": enc(X),
    "shape": [int(v) for v in X.attrs["shape"]],
    "X_dtypes": [str(X["data"].dtype), str(X["indices"].dtype), str(X["indptr"].dtype)],
    "nnz": int(X["data"].shape[0]),
    "sum": float(np.asarray(X["data"][:], dtype=np.float64).sum()),
    "obs": enc(f["obs"]),
    "obs_index_attr": str(f["obs"].attrs["_index"]),
    "obs_column_order": [str(c) for c in f["obs"].attrs["column-order"]],
    "obs_index": enc(f["obs/_index"]),
    "obs_index_is_vlen_str": h5py.check_string_dtype(f["obs/_index"].dtype) is not None,
    "first_barcode": f["obs/_index"].asstr()[0],
    "var": enc(f["var"]),
    "obsm": enc(f["obsm"]),
    "obsm_keys": {k: [enc(v), list(v.shape)] for k, v in f["obsm"].items()},
    "uns": enc(f["uns"]),
    "dicts": {k: enc(f[k]) for k in ["layers", "obsp", "varm", "varp"]},
    "categorical": {
        k: enc(v) + [bool(v.attrs["ordered"])] for k, v in f["var"].items() if isinstance(v, h5py.Group)
    },
}
try:
    import anndata  # noqa: F401

    ad = anndata.read_h5ad(sys.argv[1])
    out["anndata_shape"] = list(ad.shape)
except ImportError:
    out["anndata_shape"] = None
json.dump(out, sys.stdout)
