#!/usr/bin/env python3
# Paired B/A ratios per round from test_zz_ab output: geometric mean, 95% t interval.
import sys, re, json, math, collections
try:
    from scipy import stats
    tq = lambda n: stats.t.ppf(0.975, n - 1)
except Exception:
    T = {2: 12.71, 3: 4.30, 4: 3.18, 5: 2.78, 6: 2.57, 7: 2.45, 8: 2.36, 9: 2.31, 10: 2.26, 11: 2.23, 12: 2.20, 13: 2.18, 14: 2.16, 15: 2.145, 16: 2.13, 17: 2.12, 18: 2.11, 19: 2.10, 20: 2.09}
    tq = lambda n: T.get(n, 2.0)
runs = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    m = re.search(r'R (\d+) (\S+) (\{.*?\}) \S+ wakes (\d+) bpf_ns_per_wake (\d+) (.*)', line)
    if not m: continue
    r, v, js, wakes, per, rest = m.groups()
    d = json.loads(js); d['bpf_ns_per_wake'] = float(per); d['wakes'] = float(wakes)
    for kv in rest.split():
        k, x = kv.split(':'); d[k] = float(x)
    runs[int(r)][v] = d
a, b = (sys.argv[2:4] if len(sys.argv) > 3 else ('A', 'B'))
keys = ['bpf_ns_per_wake', 'p50', 'p99', 'rps', 'select_cpu', 'enqueue', 'dispatch', 'runnable', 'quiescent', 'running', 'stopping', 'tick']
print(f"{len([r for r in runs if a in runs[r] and b in runs[r]])} paired rounds, {b}/{a}")
for k in keys:
    ls = [math.log(runs[r][b][k] / runs[r][a][k]) for r in sorted(runs) if a in runs[r] and b in runs[r] and k in runs[r][a] and k in runs[r][b]]
    n = len(ls)
    if n < 2: continue
    mu = sum(ls) / n; sd = math.sqrt(sum((x - mu) ** 2 for x in ls) / (n - 1)); h = tq(n) * sd / math.sqrt(n)
    ma = sorted(runs[r][a][k] for r in runs if a in runs[r])
    mb = sorted(runs[r][b][k] for r in runs if b in runs[r])
    print(f"{k:16s} x{math.exp(mu):.3f} [{math.exp(mu-h):.3f}, {math.exp(mu+h):.3f}]  {a} median {ma[len(ma)//2]:.0f}  {b} median {mb[len(mb)//2]:.0f}")
