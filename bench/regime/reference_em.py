#!/usr/bin/python3
"""Reference Gaussian-HMM Baum-Welch EM (numpy + scikit-learn from Debian), for `manifold bench regime --reference`
and the regime acceptance record. Benchmark-only: the product never runs this.

Model and objective are the same as src/quant/hmm: K states, full covariance, start probabilities, transition
matrix; the covariance floor constrains every state covariance to cov >= diag(1e-3 x column variance), solved
exactly in each M-step by eigenvalue clipping (as Manifold does).
Each restart r is initialised the way hmmlearn does it, but with a scikit-learn GaussianMixture fit
(k-means initialised, random_state=r) for the means and covariances, uniform start and transition probabilities.
EM then runs with numpy's scaled forward-backward recursions until the log-likelihood gains less than `tol` x n per
iteration (default 1e-9 x n; Manifold uses 1e-11 x n) or 1000 iterations. Prints one JSON line:
{loglik (best over restarts), restart_logliks, best_restart, ms_median (whole multi-restart fit), n, d, states}.

usage: reference_em.py OBS.csv [--states 3] [--restarts 10] [--runs 1] [--tol 1e-9] [--floor 1e-3]
OBS.csv: numeric rows, no header (a header line is skipped if it does not parse).
"""
import argparse
import json
import time
import warnings

import numpy as np
from sklearn.mixture import GaussianMixture

LOG_2PI = np.log(2 * np.pi)


def log_densities(x, means, covs):
    n, d = x.shape
    k = means.shape[0]
    out = np.empty((n, k))
    for j in range(k):
        L = np.linalg.cholesky(covs[j])
        z = np.linalg.solve(L, (x - means[j]).T)  # d x n
        out[:, j] = -0.5 * (d * LOG_2PI + 2 * np.sum(np.log(np.diag(L))) + np.sum(z * z, axis=0))
    return out


def forward_backward(logb, start, trans):
    """Scaled (Rabiner) forward-backward; returns loglik, posteriors gamma and summed xi."""
    n, k = logb.shape
    m = logb.max(axis=1, keepdims=True)
    b = np.exp(logb - m)
    alpha = np.empty((n, k))
    c = np.empty(n)
    a = start * b[0]
    c[0] = a.sum()
    alpha[0] = a / c[0]
    for t in range(1, n):
        a = (alpha[t - 1] @ trans) * b[t]
        c[t] = a.sum()
        alpha[t] = a / c[t]
    beta = np.empty((n, k))
    beta[-1] = 1.0
    for t in range(n - 2, -1, -1):
        beta[t] = trans @ (b[t + 1] * beta[t + 1]) / c[t + 1]
    ll = float(np.sum(np.log(c)) + m.sum())
    gamma = alpha * beta
    gamma /= gamma.sum(axis=1, keepdims=True)
    xi = trans * (alpha[:-1].T @ (b[1:] * beta[1:] / c[1:, None]))
    return ll, gamma, xi


def floor_cov(s, floor):
    """argmax over cov >= diag(floor) of the Gaussian likelihood: clip the eigenvalues of D^-1/2 S D^-1/2 at 1."""
    r = np.sqrt(floor)
    w, v = np.linalg.eigh(s / np.outer(r, r))
    return (v * np.maximum(w, 1.0)) @ v.T * np.outer(r, r)


def em(x, k, seed, tol, floor, max_iter=1000):
    n, d = x.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm = GaussianMixture(n_components=k, covariance_type="full", random_state=seed, reg_covar=1e-6, n_init=1).fit(x)
    means = gm.means_.copy()
    covs = gm.covariances_.copy() + np.diag(floor)[None, :, :]
    start = np.full(k, 1.0 / k)
    trans = np.full((k, k), 1.0 / k)
    prev = -np.inf
    for it in range(max_iter + 1):
        logb = log_densities(x, means, covs)
        ll, gamma, xi = forward_backward(logb, start, trans)
        if ll - prev < tol * n or it == max_iter:
            return ll, it
        prev = ll
        start = gamma[0] / gamma[0].sum()
        trans = xi / xi.sum(axis=1, keepdims=True)
        w = gamma.sum(axis=0)
        means = (gamma.T @ x) / w[:, None]
        for j in range(k):
            dx = x - means[j]
            covs[j] = floor_cov((gamma[:, j, None] * dx).T @ dx / w[j], floor)
    return ll, max_iter


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("obs")
    ap.add_argument("--states", type=int, default=3)
    ap.add_argument("--restarts", type=int, default=10)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--tol", type=float, default=1e-9)
    ap.add_argument("--floor", type=float, default=1e-3)
    a = ap.parse_args()
    rows = []
    with open(a.obs) as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                rows.append([float(v) for v in line.split(",")])
            except ValueError:
                if rows:
                    raise
    x = np.array(rows)
    var = x.var(axis=0)
    floor = a.floor * np.where(var > 0, var, 1.0)
    times = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        results = [em(x, a.states, r, a.tol, floor) for r in range(a.restarts)]
        times.append((time.perf_counter() - t0) * 1000)
    lls = [float(r[0]) for r in results]
    best = int(np.argmax(lls))
    print(json.dumps({"loglik": lls[best], "restart_logliks": lls, "best_restart": best,
                      "iterations": [r[1] for r in results], "ms_median": float(np.median(times)),
                      "n": int(x.shape[0]), "d": int(x.shape[1]), "states": a.states}))


if __name__ == "__main__":
    main()
