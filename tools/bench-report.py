#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""tools/bench-report.py: turns tools/bench's RESULT lines into
results.json, results.md (medians, min-max, ratio to the default
scheduler) and ratios.png (gnuplot). Standard library only."""
import argparse
import datetime
import json
import os
import re
import statistics
import subprocess

WORKLOADS = [
    # name, label, better
    ("hackbench_s", "hackbench -g 4 -l 100 time (s)", "lower"),
    ("stress_cpu_bogo_ops_s", "stress-ng --cpu bogo-ops/s", "higher"),
    ("cyclictest_p50_us", "cyclictest p50 wake-up latency under load (us)", "lower"),
    ("cyclictest_p99_us", "cyclictest p99 wake-up latency under load (us)", "lower"),
    ("make_j_s", "make -j8 CFLAGS=-O0 libz.a (zlib) (s)", "lower"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--kernel", default="")
    ap.add_argument("--host", default="")
    a = ap.parse_args()
    data, events, scheds, rounds = {}, [], [], set()
    pat = re.compile(r"^RESULT round=(\d+) sched=(\S+) workload=(\S+) value=(\S+)")
    for line in open(a.raw, encoding="utf-8", errors="replace"):
        m = pat.match(line.strip())
        if not m:
            continue
        r, s, w, v = int(m[1]), m[2], m[3], float(m[4])
        rounds.add(r)
        if s not in scheds:
            scheds.append(s)
        if w in ("failed", "ejected"):
            events.append({"round": r, "sched": s, "event": w})
            continue
        data.setdefault(w, {}).setdefault(s, []).append(v)
    summary = {}
    for w, _, better in WORKLOADS:
        per = data.get(w, {})
        base = statistics.median(per["default"]) if per.get("default") else None
        summary[w] = {}
        for s in scheds:
            vals = per.get(s, [])
            if not vals:
                continue
            med = statistics.median(vals)
            summary[w][s] = {
                "median": med, "min": min(vals), "max": max(vals), "n": len(vals),
                "ratio": (med / base) if base else None, "better": better,
            }
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    meta = {"date": now, "kernel": a.kernel, "host": a.host, "rounds": len(rounds),
            "guest": "qemu TCG (emulated, no KVM), 8 vCPUs: 2 sockets x 2 cores x 2 threads, 2 NUMA nodes",
            "schedulers": scheds, "events": events}
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"meta": meta, "results": summary, "raw": data}, f, indent=2)

    md = [f"Benchmark {now}; guest kernel {a.kernel}; host: {a.host}.",
          f"The guest runs under **qemu TCG emulation** (no KVM): {meta['guest']}. "
          f"{len(rounds)} interleaved round(s); median (min-max) and ratio to the default scheduler.", ""]
    md.append("| workload | " + " | ".join(scheds) + " |")
    md.append("| --- |" + " --- |" * len(scheds))
    for w, label, better in WORKLOADS:
        row = [f"{label}, {better} is better"]
        for s in scheds:
            e = summary.get(w, {}).get(s)
            if not e:
                row.append("-")
                continue
            cell = f"{e['median']:.4g} ({e['min']:.4g}-{e['max']:.4g})"
            if e["ratio"] is not None and s != "default":
                cell += f" **x{e['ratio']:.2f}**"
            row.append(cell)
        md.append("| " + " | ".join(row) + " |")
    if events:
        md.append("")
        md.append("Events: " + ", ".join(f"{e['sched']} {e['event']} in round {e['round']}" for e in events))
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")

    # Chart: ratio to default per workload and scheduler.
    others = [s for s in scheds if s != "default"]
    dat = os.path.join(a.out, "ratios.dat")
    with open(dat, "w") as f:
        f.write("workload " + " ".join(others) + "\n")
        for w, _, _ in WORKLOADS:
            vals = [summary.get(w, {}).get(s, {}).get("ratio") for s in others]
            f.write(w + " " + " ".join(f"{v:.4f}" if v else "NaN" for v in vals) + "\n")
    plot = "\n".join([
        "set terminal pngcairo size 1000,500 noenhanced" if _has_cairo() else "set terminal png size 1000,500 noenhanced",
        f"set output '{os.path.join(a.out, 'ratios.png')}'",
        "set style data histograms", "set style histogram clustered gap 1",
        "set style fill solid 0.8 border -1", "set key top left autotitle columnheader",
        "set ylabel 'ratio to the default scheduler'", "set yrange [0:*]",
        "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2",
        f"set title 'scx_atlas benchmark {now} (TCG guest, {a.kernel})'",
        "set xtics rotate by -20",
        "plot " + ", ".join(f"'{dat}' using {i + 2}:xtic(1)" for i in range(len(others))),
    ])
    try:
        subprocess.run(["gnuplot"], input=plot, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"bench-report: no chart ({e})")


def _has_cairo():
    try:
        out = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
        return "pngcairo" in (out.stdout + out.stderr)
    except OSError:
        return False


if __name__ == "__main__":
    main()
