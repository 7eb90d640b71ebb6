"""Oracle for the ATAC h5ad export: opens our file and a reference h5ad of the
same counts (muon's atac_peaks.h5ad, written by anndata 0.8) with
anndata.read_h5ad and compares what a scanpy/muon user sees: X (CSR, dtype,
values of the shared cells), obs/var names, var chrom/start/end against the
reference's `interval` (chrom:start-end), obs/var dtypes, obsm shapes and the
first rows, and the cells `adata[adata.obs.pass_qc]` keeps. Prints JSON."""
import json
import sys

import anndata
import numpy as np
import scipy.sparse as sp

ours = anndata.read_h5ad(sys.argv[1])
ref = anndata.read_h5ad(sys.argv[2])
ref = ref[ours.obs_names, :]
iv = ref.var["interval"].astype(str).str.extract(r"^(.+):(\d+)-(\d+)$")
out = {
    "shape": list(ours.shape),
    "X_format": ours.X.format if sp.issparse(ours.X) else "dense",
    "X_dtype": str(ours.X.dtype),
    "X_sorted_indices": bool(ours.X.has_sorted_indices),
    "X_equal_reference": bool(np.array_equal(ours.X.toarray(), np.asarray(ref.X.toarray(), dtype=np.float32))),
    "var_names_equal_reference": list(ours.var_names) == list(ref.var_names),
    "var_chrom_equal": list(ours.var["chrom"].astype(str)) == list(iv[0]),
    "var_start_equal": [int(x) for x in ours.var["start"]] == [int(x) for x in iv[1]],
    "var_end_equal": [int(x) for x in ours.var["end"]] == [int(x) for x in iv[2]],
    "obs_dtypes": {c: str(ours.obs[c].dtype) for c in ours.obs.columns},
    "obs_na": {c: int(ours.obs[c].isna().sum()) for c in ours.obs.columns},
    "obs_categories": {
        c: [str(x) for x in ours.obs[c].cat.categories]
        for c in ours.obs.columns
        if str(ours.obs[c].dtype) == "category"
    },
    "cluster_head": [None if v != v else str(v) for v in ours.obs["cluster"][:3]]
    if "cluster" in ours.obs
    else None,
    "cluster_tail": [None if v != v else str(v) for v in ours.obs["cluster"][-2:]]
    if "cluster" in ours.obs
    else None,
    "var_dtypes": {c: str(ours.var[c].dtype) for c in ours.var.columns},
    "obsm": {k: list(np.asarray(v).shape) for k, v in ours.obsm.items()},
    "obsm_first_rows": {k: np.asarray(v)[:2].astype(float).tolist() for k, v in ours.obsm.items()},
    "obs_names_head": [str(x) for x in ours.obs_names[:2]],
    "n_pass_qc": int(ours[ours.obs.pass_qc].n_obs) if "pass_qc" in ours.obs else None,
    "uns": {k: str(v) for k, v in ours.uns.items()},
}
json.dump(out, sys.stdout)
