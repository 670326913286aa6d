#!/usr/bin/env python3
"""Table of the selftests' bench tool runs, base kernel against series kernel.

usage: upstream_report.py DIR [KERNEL...]
DIR holds <kernel>-<i>.log, one per boot: the output of bench/upstream.sh in
the VM, for the kernels base and series (default) or those given, the first
one the reference. For each benchmark and kernel: the median of the boots,
their min-max and relative spread ((max - min) / median), then the ratio of
the medians to the reference's (series/base). Benchmarks that no kernel ran
are left out. Higher is better for every metric here
(throughput). A case is marked "noise" when the larger of the two spreads is
at least the ratio's distance from 1: its boots do not tell the kernels apart.
"""
import os
import re
import statistics
import sys

# benchmark -> (unit, how to get one number out of its output)
NUM = r"([0-9]+(?:\.[0-9]+)?)"


def per_cpu_sum(regex, scale=1.0):
    def get(text):
        vals = [float(m) for m in re.findall(regex, text, re.M)]
        return sum(vals) * scale if vals else None
    return get


def summary(regex):
    def get(text):
        m = re.findall(regex, text, re.M)
        return float(m[-1]) if m else None
    return get


METRICS = {
    # report_final: "<cpu>:hash_map_full_perf <n> events per sec", one line
    # per CPU that ran the program (the last run's time)
    "bpf-hashmap-full-update": ("M updates/s", per_cpu_sum(r"^\d+:hash_map_full_perf (\d+) events per sec", 1e-6)),
    # "cpuNN: lookup <x>M ± <y>M events/sec": mean of the last 32 runs
    "bpf-hashmap-lookup": ("M lookups/s", per_cpu_sum(r"^cpu\d+: lookup " + NUM + r"M")),
    # "Summary: per-prod-op <x> ± <y>k/s, memory usage ..."
    "htab-mem.overwrite": ("k ops/s/prod", summary(r"^Summary: per-prod-op\s+" + NUM)),
    "htab-mem.add_del_on_diff_cpu": ("k ops/s/prod", summary(r"^Summary: per-prod-op\s+" + NUM)),
    # "Summary: hits throughput <x> ± <y> M ops/s, ..."
    "local-storage-cache-seq-get": ("M hits/s", summary(r"^Summary: hits throughput\s+" + NUM)),
    "local-storage-cache-hashmap-control": ("M hits/s", summary(r"^Summary: hits throughput\s+" + NUM)),
    # "Summary: creates <x> ± <y>k/s (<z>k/prod), ..."
    "local-storage-create.task": ("k creates/s", summary(r"^Summary: creates\s+" + NUM)),
    "local-storage-create.socket": ("k creates/s", summary(r"^Summary: creates\s+" + NUM)),
}


def parse(path):
    """{benchmark: value or None} of one boot's log."""
    res = {}
    text = open(path, errors="replace").read()
    for m in re.finditer(r"^=== case (\S+)\n(.*?)^=== end \1 rc (\d+)", text, re.M | re.S):
        name, out, rc = m.group(1), m.group(2), m.group(3)
        if name in METRICS:
            v = METRICS[name][1](out)
            res[name] = v if rc == "0" else None
    return res


def fmt(v):
    if v is None:
        return "n/a"
    return f"{v:.4g}" if v < 1000 else f"{v:.0f}"


def main(d, kernels=("base", "series")):
    ref, others = kernels[0], kernels[1:]
    runs = {k: [] for k in kernels}
    for k in kernels:
        i = 1
        while os.path.exists(os.path.join(d, f"{k}-{i}.log")):
            runs[k].append(parse(os.path.join(d, f"{k}-{i}.log")))
            i += 1
    for k in kernels:
        if not runs[k]:
            print(f"no {k}-<i>.log in {d}")
            return 1
    boots = {k: len(runs[k]) for k in kernels}
    if tuple(kernels) == ("base", "series"):
        print(f"selftests bench tool, base kernel against series kernel: {boots['base']} base and "
              f"{boots['series']} series boots, alternating; median of the boots (min-max, spread)")
        print("higher is better; spread = (max - min) / median; ratio = series median / base median")
    else:
        print("selftests bench tool, " + ", ".join(f"{k} kernel {boots[k]} boots" for k in kernels) +
              ", alternating; median of the boots (min-max, spread)")
        print(f"higher is better; spread = (max - min) / median; ratio = median / {ref} median")
    print()
    rcols = [f"{'ratio':>6}"] if len(others) == 1 else [f"{k[:6]:>6}" for k in others]
    hdr = f"{'benchmark':37} {'unit':13} " + " ".join(f"{k:>30}" for k in kernels) + " " + " ".join(rcols)
    print(hdr)
    print("-" * len(hdr))
    notes, per_boot = [], []
    for name, (unit, _) in METRICS.items():
        if all(name not in r for k in kernels for r in runs[k]):
            continue
        cells, meds, spreads = [], {}, {}
        for k in kernels:
            vals = [r.get(name) for r in runs[k]]
            per_boot.append(f"{name:37} {k:6} " + " ".join(fmt(v) for v in vals))
            good = [v for v in vals if v is not None]
            if not good:
                cells.append("n/a")
                continue
            med = statistics.median(good)
            lo, hi = min(good), max(good)
            meds[k] = med
            spreads[k] = (hi - lo) / med if med else 0.0
            miss = f" {len(vals) - len(good)} failed" if len(good) < len(vals) else ""
            cells.append(f"{fmt(med)} ({fmt(lo)}-{fmt(hi)}, {spreads[k] * 100:.0f}%){miss}")
        ratios, flag = [], ""
        for k in others:
            ratio = meds[k] / meds[ref] if k in meds and meds.get(ref) else None
            ratios.append(f"{'n/a' if ratio is None else f'{ratio:.3f}':>6}")
            if ratio is None:
                continue
            spread = max(spreads[ref], spreads[k])
            if min(boots[ref], boots[k]) < 2:
                flag = "  (1 boot: spread unknown)"
            elif spread >= abs(ratio - 1):
                flag = "  noise"
                notes.append(f"{name}{'' if len(others) == 1 else ' ' + k}: ratio {ratio:.3f} is "
                             f"{abs(ratio - 1) * 100:.1f}% from 1, spread up to {spread * 100:.1f}%")
        print(f"{name:37} {unit:13} " + " ".join(f"{c:>30}" for c in cells) + " " +
              " ".join(ratios) + flag)
    print()
    if notes:
        print("spread at least as large as the ratio's distance from 1 (not a measured difference):")
        for n in notes:
            print("  " + n)
    elif min(boots.values()) >= 2:
        print("every ratio's distance from 1 is larger than the spreads of the kernels it compares")
    print()
    print("per boot, in boot order:")
    for line in per_boot:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], tuple(sys.argv[2:]) or ("base", "series")))
