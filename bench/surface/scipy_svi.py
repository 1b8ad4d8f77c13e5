#!/usr/bin/env python3
"""Reference raw-SVI calibration with scipy.optimize.least_squares (the original plan's approach).

Reads slices as JSON (a list of {label, t, k, mid, bid, ask, weight}; produced by bench/surface/compare.ts from the
same filtered quotes Manifold fits), fits each slice on the SAME objective as Manifold: residuals
sqrt(w_i) * (sigma_model(k_i) - mid_i) with sigma_model = sqrt(w(k)/t), raw SVI parameters with box bounds only
(no butterfly constraint: scipy's fits are allowed arbitrage). Prints one JSON line with per-slice results.

Debian packages only: python3-numpy, python3-scipy. Single-threaded (BLAS threads pinned to 1 below).
"""
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy.optimize import least_squares  # noqa: E402


def svi_w(p, k):
    a, b, rho, m, sig = p
    x = k - m
    return a + b * (rho * x + np.sqrt(x * x + sig * sig))


def g_func(p, k):
    a, b, rho, m, sig = p
    x = k - m
    r = np.sqrt(x * x + sig * sig)
    w = a + b * (rho * x + r)
    w1 = b * (rho + x / r)
    w2 = b * sig * sig / (r ** 3)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (1 - k * w1 / (2 * w)) ** 2 - w1 * w1 / 4 * (1 / w + 0.25) + w2 / 2
    g[~(w > 0)] = -np.inf
    return g


def fit_slice(s):
    t = s["t"]
    k = np.asarray(s["k"], float)
    mid = np.asarray(s["mid"], float)
    wt = np.asarray(s["weight"], float)
    wt = wt * len(wt) / wt.sum()
    sw = np.sqrt(wt)

    def resid(p):
        w = svi_w(p, k)
        return sw * (np.sqrt(np.maximum(w, 1e-12) / t) - mid)

    wmkt = mid * mid * t
    # The usual textbook start and bounds.
    x0 = np.array([0.5 * wmkt.min(), 0.1, -0.5, 0.0, 0.1])
    lo = np.array([-1.0, 1e-6, -0.999, -2.0, 1e-4])
    hi = np.array([max(1.0, wmkt.max()), 2.0, 0.999, 2.0, 5.0])
    t0 = time.perf_counter()
    r = least_squares(resid, x0, bounds=(lo, hi), method="trf")
    ms = (time.perf_counter() - t0) * 1000.0
    p = r.x
    model = np.sqrt(np.maximum(svi_w(p, k), 0) / t)
    bid = np.asarray(s["bid"], float)
    ask = np.asarray(s["ask"], float)
    hs = (ask - bid) / 2
    kmin, kmax = k.min(), k.max()
    pad = max(1.0, 2 * (kmax - kmin))
    grid = np.linspace(kmin - pad, kmax + pad, 2001)
    ming = float(np.min(g_func(p, grid)))
    return {
        "label": s["label"],
        "ms": ms,
        "nfev": int(r.nfev),
        "status": int(r.status),
        "objective": float(np.sum((r.fun) ** 2)),
        "rmse_vol": float(100 * np.sqrt(np.mean((model - mid) ** 2))),
        "in_band": float(np.mean((model >= bid) & (model <= ask))),
        "max_abs_z": float(np.max(np.abs(model - mid) / np.where(hs > 0, hs, np.inf))),
        "min_g": ming if np.isfinite(ming) else None,
        "params": [float(x) for x in p],
    }


def main():
    slices = json.load(open(sys.argv[1]))
    out = [fit_slice(s) for s in slices]
    print(json.dumps({"scipy": __import__("scipy").__version__, "slices": out}, allow_nan=False))


if __name__ == "__main__":
    main()
