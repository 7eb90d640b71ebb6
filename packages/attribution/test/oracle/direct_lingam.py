"""numpy twin of DirectLiNGAM (Shimizu et al. 2011) with the `lingam` package's defaults.

Written from the paper, Hyvarinen & Smith 2013 (pairwise measure, entropy
approximation) and the package's documented defaults (adaptive-lasso pruning
with LassoLarsIC(criterion='bic') on standardised data, then OLS on the kept
parents). Where scikit-learn is importable the pruning uses sklearn's
LassoLarsIC and LinearRegression themselves (what the lingam package calls);
otherwise a numpy LARS-lasso path (Efron et al. 2004) with the same BIC.

usage: direct_lingam.py data.f64 n_samples n_vars  -> JSON {order, adjacency, pruning_by}
       direct_lingam.py lasso xy.f64 n_samples n_regressors  (last column y; numpy LARS-lasso + BIC)
                                                      -> JSON {path, best}
"""
import json
import sys

import numpy as np

K1, K2, GAMMA = 79.047, 7.4129, 0.37457


def entropy(u):
    return (1 + np.log(2 * np.pi)) / 2 - K1 * (np.mean(np.log(np.cosh(u))) - GAMMA) ** 2 - K2 * (
        np.mean(u * np.exp(-(u**2) / 2))
    ) ** 2


def residual(xi, xj):
    return xi - (np.cov(xi, xj, bias=True)[0, 1] / np.var(xj)) * xj


def diff_mutual_info(xi_std, xj_std, ri_j, rj_i):
    return (entropy(xj_std) + entropy(ri_j / np.std(ri_j))) - (
        entropy(xi_std) + entropy(rj_i / np.std(rj_i))
    )


def search_causal_order(X, U):
    if len(U) == 1:
        return U[0]
    M_list = []
    for i in U:
        M = 0.0
        for j in U:
            if i != j:
                xi_std = (X[:, i] - np.mean(X[:, i])) / np.std(X[:, i])
                xj_std = (X[:, j] - np.mean(X[:, j])) / np.std(X[:, j])
                ri_j = residual(xi_std, xj_std)
                rj_i = residual(xj_std, xi_std)
                M += min(0.0, diff_mutual_info(xi_std, xj_std, ri_j, rj_i)) ** 2
        M_list.append(-M)
    return U[int(np.argmax(M_list))]


def min_pos(x):
    x = x[x > 0]
    return float(x.min()) if x.size else float(np.finfo(np.float32).max)


def lars_lasso_path(G, Xy, n):
    """LARS with lasso modification on the Gram matrix (alpha_min = 0)."""
    p = len(Xy)
    tiny = np.finfo(np.float32).tiny
    tol = np.finfo(np.float32).eps
    cov = Xy.copy()
    active, sign = [], []
    coefs = [np.zeros(p)]
    alphas = []
    drop = False
    it = 0
    while True:
        inactive = [f for f in range(p) if f not in active]
        if inactive:
            c_idx = inactive[int(np.argmax(np.abs(cov[inactive])))]
            C = abs(cov[c_idx])
        else:
            C = 0.0
        alpha = C / n
        alphas.append(alpha)
        if alpha <= tol or it >= 500 or len(active) >= p:
            break
        if not drop:
            active.append(c_idx)
            sign.append(np.sign(cov[c_idx]))
            inactive.remove(c_idx)
        if it > 0 and alphas[-2] < alpha:
            break
        s = np.array(sign)
        ls = np.linalg.solve(G[np.ix_(active, active)], s)
        AA = 1.0 / np.sqrt(np.sum(ls * s))
        ls = ls * AA
        ced = G[np.ix_(active, inactive)].T @ ls if inactive else np.zeros(0)
        cv = cov[inactive]
        g1 = min_pos((C - cv) / (AA - ced + tiny))
        g2 = min_pos((C + cv) / (AA + ced + tiny))
        gamma = min(g1, g2, C / AA)
        coef = coefs[-1]
        drop = False
        z = -coef[active] / (ls + tiny)
        z_pos = min_pos(z)
        if z_pos < gamma:
            idx = list(np.where(z == z_pos)[0][::-1])
            gamma = z_pos
            drop = True
        it += 1
        nxt = np.zeros(p)
        nxt[active] = coef[active] + gamma * ls
        coefs.append(nxt)
        if inactive:
            cov[inactive] -= gamma * ced
        if drop:
            gone = [active[i] for i in idx]
            active = [f for k, f in enumerate(active) if k not in idx]
            sign = [v for k, v in enumerate(sign) if k not in idx]
            for f in gone:
                cov[f] = Xy[f] - G[f] @ nxt
    return np.array(coefs)


def lasso_lars_bic(Xw, y, with_path=False):
    n, p = Xw.shape
    Xc = Xw - Xw.mean(axis=0)
    yc = y - y.mean()
    G = Xc.T @ Xc
    path = lars_lasso_path(G, Xc.T @ yc, n)
    beta, *_ = np.linalg.lstsq(Xc, yc, rcond=None)
    sigma2 = np.sum((yc - Xc @ beta) ** 2) / (n - p - 1)
    rss = np.sum((yc[:, None] - Xc @ path.T) ** 2, axis=0)
    df = np.sum(np.abs(path) > np.finfo(float).eps, axis=1)
    crit = n * np.log(2 * np.pi * sigma2) + rss / sigma2 + np.log(n) * df
    best = int(np.argmin(crit))
    return (path, best) if with_path else path[best]


def ols(X, y):
    Xc = X - X.mean(axis=0)
    beta, *_ = np.linalg.lstsq(Xc, y - y.mean(), rcond=None)
    return beta


try:
    from sklearn.linear_model import LassoLarsIC, LinearRegression

    PRUNING_BY = "sklearn"

    def lasso_coef(Xw, y):
        return LassoLarsIC(criterion="bic").fit(Xw, y).coef_

    def ols_coef(X, y):
        return LinearRegression().fit(X, y).coef_

except ImportError:
    PRUNING_BY = "numpy"
    lasso_coef = lasso_lars_bic
    ols_coef = ols


def adaptive_lasso(X, predictors, target):
    X_std = (X - X.mean(axis=0)) / X.std(axis=0)
    weight = np.abs(ols_coef(X_std[:, predictors], X_std[:, target]))
    coef_w = lasso_coef(X_std[:, predictors] * weight, X_std[:, target])
    kept = np.abs(coef_w * weight) > 0.0
    coef = np.zeros(len(predictors))
    if kept.sum() > 0:
        coef[kept] = ols_coef(X[:, np.array(predictors)[kept]], X[:, target])
    return coef


def direct_lingam(X):
    n, p = X.shape
    U = np.arange(p)
    K = []
    X_ = X.copy()
    for _ in range(p):
        m = search_causal_order(X_, U)
        for i in U:
            if i != m:
                X_[:, i] = residual(X_[:, i], X_[:, m])
        K.append(int(m))
        U = U[U != m]
    B = np.zeros((p, p))
    for k in range(1, p):
        B[K[k], K[:k]] = adaptive_lasso(X, K[:k], K[k])
    return K, B


if __name__ == "__main__" and sys.argv[1] == "lasso":
    path, n, p = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    XY = np.fromfile(path, dtype="<f8").reshape(n, p + 1)
    coefs, best = lasso_lars_bic(XY[:, :p], XY[:, p], with_path=True)
    print(json.dumps({"path": coefs.tolist(), "best": best}))
elif __name__ == "__main__":
    path, n, p = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    X = np.fromfile(path, dtype="<f8").reshape(n, p)
    order, B = direct_lingam(X)
    print(json.dumps({"order": order, "adjacency": B.ravel().tolist(), "pruning_by": PRUNING_BY}))
