#!/usr/bin/python3
"""Regenerate the small high-precision fixtures of test/quant/black/fixtures/ with mpmath (50 digits).
Run: /usr/bin/python3 bench/black/gen_fixtures.py   (Debian python3-mpmath; tests only read the JSON output)."""
import json, os, random
import mpmath as mp

mp.mp.dps = 50
out = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'quant', 'black', 'fixtures')
rng = random.Random(20261124)

def f(v):
    return float(v)

# erf / erfc / erfcx on a grid covering every branch of Cody's approximation and both signs.
xs = sorted(set([0.0, 1e-300, 1e-20, 1e-9, 0.1, 0.46875, 0.5, 1, 2, 3.99, 4, 4.01, 6, 10, 26, 26.5, 27, 30, 100, 1e4, 1e8]
                + [rng.uniform(-6, 6) for _ in range(200)] + [rng.uniform(-30, 30) for _ in range(50)]))
xs = xs + [-x for x in xs if x > 0 and x < 1e9]
rows = []
for x in xs:
    X = mp.mpf(x)
    erfcx = mp.exp(X * X) * mp.erfc(X) if x > -27 else mp.inf
    rows.append([x, f(mp.erf(X)), f(mp.erfc(X)), f(erfcx) if x > -26.6 else None])
json.dump(rows, open(os.path.join(out, 'erf.json'), 'w'))

# Normal cdf and its inverse.
zs = sorted(set([rng.uniform(-38, 8) for _ in range(300)] + [-37.5, -20, -10, -5, -1, 0, 1, 5, 8.2]))
rows = [[z, f(mp.ncdf(z))] for z in zs]
ps = sorted(set([10 ** rng.uniform(-300, -0.31) for _ in range(200)] + [rng.uniform(0, 1) for _ in range(100)] + [0.5, 0.075, 0.925]))
inv = []
for p in ps:
    P = mp.mpf(p)
    z = -mp.sqrt(-2 * mp.log(P)) if p < 0.5 else mp.mpf(0)
    for _ in range(200):  # Newton on log Φ(z) = log p: safe in both tails
        c = mp.ncdf(z)
        z = z - (mp.log(c) - mp.log(P)) * c / mp.npdf(z)
    inv.append([p, f(z)])
json.dump({'cdf': rows, 'inv': inv}, open(os.path.join(out, 'normal.json'), 'w'))

# Normalised Black b(x, s) = e^{x/2}Φ(x/s + s/2) − e^{−x/2}Φ(x/s − s/2), x ≤ 0, across every region.
def b(x, s):
    X = mp.mpf(x); S = mp.mpf(s)
    return mp.exp(X / 2) * mp.ncdf(X / S + S / 2) - mp.exp(-X / 2) * mp.ncdf(X / S - S / 2)

rows = []
for _ in range(600):
    s = 10 ** rng.uniform(-5, 1.3)
    h = -10 ** rng.uniform(-3, 1.7)
    x = h * s
    if x < -700:
        continue
    v = b(x, s)
    rows.append([x, s, f(v)])
for x in [0.0, -1e-12, -1e-6, -0.1, -1, -5, -50]:
    for s in [1e-6, 1e-3, 0.1, 0.5, 1, 3, 10, 30]:
        rows.append([x, s, f(b(x, s)) if x != 0 else f(mp.erf(mp.mpf(s) / (2 * mp.sqrt(2))))])
json.dump(rows, open(os.path.join(out, 'normalised-black.json'), 'w'))
print('ok')
