#!/bin/sh
# Alternate `manifold bench greeks` and the numba reference on the same workload, N times each, and print both
# JSON lines per round (medians and ratios are computed by bench/black/summarise.py).
# Usage: bench/black/compare.sh /tmp/workload.csv [rounds]
set -e
W=${1:?workload.csv}
N=${2:-5}
cd "$(dirname "$0")/../.."
i=0
while [ "$i" -lt "$N" ]; do
  printf 'manifold '; node --import tsx src/cli/bin.ts bench greeks "$W"
  printf 'numba '; /usr/bin/python3 ../shared/bench/greeks_numba.py "$W" 5
  i=$((i + 1))
done
