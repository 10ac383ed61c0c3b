#!/usr/bin/env python3
# pair.py RESULTS_JSON A B: per figure, each round's A/B (from the ratios
# tools/bench computed to the baseline), Hodges-Lehmann estimate and exact
# Wilcoxon signed-rank 95 % interval on the log ratios.
import json, math, sys

def hl(xs):
    n = len(xs)
    w = sorted((xs[i] + xs[j]) / 2 for i in range(n) for j in range(i, n))
    counts = [1]  # distribution of the signed-rank statistic
    for k in range(1, n + 1):
        new = [0] * (len(counts) + k)
        for s, c in enumerate(counts):
            new[s] += c
            new[s + k] += c
        counts = new
    # t: the largest s with P(T <= s) <= 0.025; the interval runs from the
    # (t+1)-th smallest to the (t+1)-th largest Walsh average (as
    # bench/stats.cc's SignedRankInterval; checked against its intervals).
    cum, t = 0, -1
    for s, c in enumerate(counts):
        if (cum + c) / 2**n > 0.025:
            break
        cum += c
        t = s
    m = len(w)
    lo, hi = (w[t], w[m - 1 - t]) if t >= 0 else (w[0], w[-1])
    return math.exp((w[(m - 1) // 2] + w[m // 2]) / 2), math.exp(lo), math.exp(hi)

d = json.load(open(sys.argv[1]))
a_name, b_name = sys.argv[2], sys.argv[3]
ratios = {(c['metric'], c['variant']): dict(zip(c['rounds'], c['ratios'])) for c in d['comparisons']}
for metric in sorted({m for m, _ in ratios}):
    a, b = ratios.get((metric, a_name)), ratios.get((metric, b_name))
    if not a or not b:
        continue
    logs = [math.log(a[r] / b[r]) for r in a if r in b]
    e, lo, hi = hl(logs)
    print(f"{metric:32s} {a_name}/{b_name} x{e:.2f} [{lo:.2f}, {hi:.2f}] ({len(logs)} rounds)")
