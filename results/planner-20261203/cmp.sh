#!/bin/bash
# cmp.sh BIN_A BIN_B [filter] [rounds]: alternates the two binaries, prints per-case median pass/scan ratio for each
f=${3:-.}; R=${4:-5}
for r in $(seq $R); do
  for b in $1 $2; do
    $b --benchmark_filter="$f" --benchmark_format=csv 2>/dev/null | grep '^"BM_' | sed "s|^|$(basename $b),|"
  done
done > /tmp/pb/raw.csv
python3 - <<'PY'
import csv,statistics,collections
d=collections.defaultdict(list)
for row in csv.reader(open('/tmp/pb/raw.csv')):
    b,name=row[0],row[1]; t=float(row[3])
    kind,rest=name.split('/',1)
    d[(b,kind,rest)].append(t)
bins=sorted(set(k[0] for k in d)); cases=sorted(set(k[2] for k in d), key=lambda r:[int(x.split(':')[1]) for x in r.split('/')])
print('%-32s'%'case'+''.join('%10s %10s %6s'%(b+':pass','scan','ratio') for b in bins))
for c in cases:
    line='%-32s'%c
    for b in bins:
        p=statistics.median(d.get((b,'BM_BalancePass',c),[0])); s=statistics.median(d.get((b,'BM_ScanSlots',c),[1]))
        line+='%10.0f %10.0f %6.2f'%(p,s,p/s)
    print(line)
PY
