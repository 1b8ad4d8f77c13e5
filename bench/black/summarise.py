#!/usr/bin/python3
"""Medians and ratios from the output of bench/black/compare.sh (stdin)."""
import json, statistics, sys
runs = {'manifold': [], 'numba': []}
for line in sys.stdin:
    name, _, js = line.partition(' ')
    if name in runs:
        runs[name].append(json.loads(js))
keys = ['iv_and_greeks_per_sec', 'greeks_per_sec']
if all('cpu_greeks_per_sec' in r for rs in runs.values() for r in rs):
    keys += ['cpu_iv_and_greeks_per_sec', 'cpu_greeks_per_sec']
for k in keys:
    m = statistics.median(r[k] for r in runs['manifold'])
    n = statistics.median(r[k] for r in runs['numba'])
    pair = [a[k] / b[k] for a, b in zip(runs['manifold'], runs['numba'])]
    print(f"{k}: manifold median {m:,.0f}/s, numba median {n:,.0f}/s, ratio of medians {m / n:.2f}, median of per-round ratios {statistics.median(pair):.2f}, per-round ratios {', '.join(f'{p:.2f}' for p in pair)}")
print('max_abs_iv_error: manifold', max(r['max_abs_iv_error'] for r in runs['manifold']), 'numba', max(r['max_abs_iv_error'] for r in runs['numba']))
print('rounds', len(runs['manifold']))
