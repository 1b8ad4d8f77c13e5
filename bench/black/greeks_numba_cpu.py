#!/usr/bin/python3
"""../shared/bench/greeks_numba.py's kernels and protocol unchanged (imported from it), timed with both wall time
(its JSON keys, identical method) and this process's CPU time (cpu_* keys), to compare with the cpu_* keys of
`manifold bench greeks` on a loaded machine. Usage: greeks_numba_cpu.py WORKLOAD.csv [REPEATS]."""
import csv, importlib.util, json, os, sys, time
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('greeks_numba', os.path.join(here, '..', '..', '..', 'shared', 'bench', 'greeks_numba.py'))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)


def main():
    path = sys.argv[1]; reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with open(path) as fh:
        rd = csv.reader(fh); next(rd)
        rows = list(rd)
    n = len(rows)
    call = np.array([r[0] == "C" for r in rows])
    S, K, T, r, q, price, sig = (np.array([float(x[i]) for x in rows]) for i in range(1, 8))
    iv = np.empty(n); res = np.empty((n, 12))
    ref.run_all(call[:10], S[:10], K[:10], T[:10], r[:10], q[:10], price[:10], iv[:10], res[:10])
    ref.run_greeks(call[:10], S[:10], K[:10], T[:10], r[:10], q[:10], sig[:10], res[:10])
    best_all = best_g = cpu_all = cpu_g = float("inf")
    for _ in range(reps):
        c = time.process_time(); t = time.perf_counter()
        ref.run_all(call, S, K, T, r, q, price, iv, res)
        best_all = min(best_all, time.perf_counter() - t); cpu_all = min(cpu_all, time.process_time() - c)
        c = time.process_time(); t = time.perf_counter()
        ref.run_greeks(call, S, K, T, r, q, sig, res)
        best_g = min(best_g, time.perf_counter() - t); cpu_g = min(cpu_g, time.process_time() - c)
    err = float(np.max(np.abs(iv - sig)))
    print(json.dumps({"n": n, "iv_and_greeks_per_sec": n / best_all, "greeks_per_sec": n / best_g, "max_abs_iv_error": err,
                      "cpu_iv_and_greeks_per_sec": n / cpu_all, "cpu_greeks_per_sec": n / cpu_g}))


if __name__ == "__main__":
    main()
