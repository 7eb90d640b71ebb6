"""Oracle for mutual-information.ts and logistic-regression.ts.

stdin JSON: {"pairs": [[a, b], ...]} -> AMI and homogeneity of each pair;
or {"x": [...], "n": n, "d": d, "labels": [...], "folds": [...], "C": c}
-> per-fold held-out predictions and probabilities of sklearn's
LogisticRegression (lbfgs, multinomial), fitted to tight tolerance.
"""
import json
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_mutual_info_score, homogeneity_score

q = json.load(sys.stdin)
if "pairs" in q:
    print(json.dumps([
        {"ami": adjusted_mutual_info_score(a, b), "homogeneity": homogeneity_score(a, b)}
        for a, b in q["pairs"]
    ]))
else:
    x = np.array(q["x"], dtype=np.float64).reshape(q["n"], q["d"])
    y = np.array(q["labels"])
    folds = np.array(q["folds"])
    pred = [""] * q["n"]
    prob = [None] * q["n"]
    for f in range(folds.max() + 1):
        test = folds == f
        m = LogisticRegression(C=q["C"], max_iter=100000, tol=1e-10).fit(x[~test], y[~test])
        for i, p, pr in zip(np.flatnonzero(test), m.predict(x[test]), m.predict_proba(x[test])):
            pred[i] = str(p)
            prob[i] = pr.tolist()
    print(json.dumps({"predicted": pred, "probabilities": prob}))
