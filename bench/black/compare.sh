#!/bin/sh
# Alternate `manifold bench greeks` and the numba reference on the same workload, N times each, and print both
# JSON lines per round (medians and ratios are computed by bench/black/summarise.py).
# Usage: bench/black/compare.sh /tmp/workload.csv [rounds]
# NUMBA=bench/black/greeks_numba_cpu.py selects the reference that also reports CPU time (cpu_* keys, compared by
# summarise.py with ours); its wall-time keys are measured exactly as by ../shared/bench/greeks_numba.py.
set -e
W=${1:?workload.csv}
N=${2:-5}
cd "$(dirname "$0")/../.."
REF=${NUMBA:-../shared/bench/greeks_numba.py}
i=0
while [ "$i" -lt "$N" ]; do
  printf 'manifold '; node --import tsx src/cli/bin.ts bench greeks "$W"
  printf 'numba '; /usr/bin/python3 "$REF" "$W" 5
  i=$((i + 1))
done
