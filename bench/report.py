#!/usr/bin/env python3
"""Compare lock_bench outputs of the base and the patched kernel.

usage: report.py BASE.txt PATCHED.txt
Prints each case's ns/op on both kernels and patched/base, then the ratios
within the patched kernel that the series is about.
"""
import sys


def load(path):
    res = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) >= 3 and p[0] == "bench":
                res[p[1]] = None if p[2] == "n/a" else float(p[2])
    return res


def fmt(v):
    return "n/a" if v is None else f"{v:.0f}"


def main(base_path, patched_path):
    base, patched = load(base_path), load(patched_path)
    if not patched:
        print("no benchmark output from the patched kernel")
        return 1
    print(f"{'case (ns/op, best of 5)':36} {'base':>8} {'patched':>8} {'patched/base':>13}")
    for name in patched:
        b, p = base.get(name), patched[name]
        ratio = f"{p / b:.2f}" if b and p else "-"
        print(f"{name:36} {fmt(b):>8} {fmt(p):>8} {ratio:>13}")
    print()
    pairs = [
        ("percpu_hash lookup: F_LOCK / no F_LOCK", "percpu_hash.lookup.lock.F_LOCK", "percpu_hash.lookup.lock"),
        ("percpu_hash update: F_LOCK / no F_LOCK", "percpu_hash.update.lock.F_LOCK", "percpu_hash.update.lock"),
        ("percpu_hash lookup: lock field / none", "percpu_hash.lookup.lock", "percpu_hash.lookup.nolock"),
        ("F_LOCK update: LRU_HASH / HASH", "lru_hash.update.lock.F_LOCK", "hash.update.lock.F_LOCK"),
        ("update without lock: LRU_HASH / HASH", "lru_hash.update.nolock", "hash.update.nolock"),
    ]
    for title, a, b in pairs:
        va, vb = patched.get(a), patched.get(b)
        print(f"{title:44} {va / vb:.2f}" if va and vb else f"{title:44} n/a")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
