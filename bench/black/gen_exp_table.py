#!/usr/bin/python3
"""Tables of src/quant/special/exp.ts: 2^(j/64) for j = 0..63 as a float64 pair (hi = nearest double, lo = nearest
double to the remainder), and ln2/64 split into a 36-bit head and a tail. 60-digit decimal arithmetic.
Usage: bench/black/gen_exp_table.py            (prints the TypeScript tables to paste)
       bench/black/gen_exp_table.py fixtures OUT (writes test/quant/black/fixtures/exp.json)."""
import sys
from decimal import Decimal, getcontext
import struct
getcontext().prec = 60
N = 64
ln2 = Decimal(2).ln()
hi, lo = [], []
for j in range(N):
    v = (ln2 * j / N).exp()
    h = float(v)
    hi.append(h); lo.append(float(v - Decimal(h)))
step = ln2 / N
b = struct.unpack('<Q', struct.pack('<d', float(step)))[0]
head = struct.unpack('<d', struct.pack('<Q', b & ~((1 << 17) - 1)))[0]  # keep 36 significant bits
tail = float(step - Decimal(head))



def fixtures(path):
    """Correctly rounded e^x (60-digit decimal, then nearest double) for test/quant/black/exp.test.ts."""
    import json, random
    rnd = random.Random(20261124)
    xs = [rnd.uniform(-708, 708) for _ in range(2000)] + [rnd.uniform(-2, 2) for _ in range(2000)]
    xs += [rnd.uniform(-1e-6, 1e-6) for _ in range(200)] + [k * float(ln2) / 128 for k in range(-2000, 2001, 7)]
    rows = [[x, float(Decimal(x).exp())] for x in xs]
    with open(path, 'w') as fh:
        json.dump(rows, fh)


if len(sys.argv) > 2 and sys.argv[1] == 'fixtures':
    fixtures(sys.argv[2])
else:
    print(f"const LN2_OVER_N_HI = {head!r};\nconst LN2_OVER_N_LO = {tail!r};\nconst N_OVER_LN2 = {float(N / ln2)!r};")
    print("const TABLE_HI = new Float64Array([\n  " + ", ".join(repr(x) for x in hi) + ",\n]);")
    print("const TABLE_LO = new Float64Array([\n  " + ", ".join(repr(x) for x in lo) + ",\n]);")
