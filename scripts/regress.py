#!/usr/bin/env python3
"""Results of scripts/regress.sh and scripts/veristat.sh, base kernel against
series kernel.

usage: regress.py next KDIR N          the todo of VM N+1 (see regress-vm.sh)
       regress.py report OUT           OUT/report.txt from OUT/base, OUT/series
       regress.py veristat OUT         OUT/report.txt from OUT/{base,series}.csv

A kernel directory KDIR (OUT/base, OUT/series) holds todo.txt (what to run),
skipped.txt ("<entry> <verdict> <reason>": not run on that kernel), vm<N>/
(one VM run directory each, the guest's results in r/, see
regress-guest.sh), host-status ("<entry> VMDIED": the VM died or ran out of
time under it), seconds ("<wall s> <boots>") and info.
"""
import csv
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import read, splats  # noqa: E402  (make check's splat patterns)

KERNELS = ("base", "series")
GOOD = {"OK", "SKIP"}
NEUTRAL = {"-", "skip(base)", "deny"}
TOP = re.compile(r"^#\d+\s+([A-Za-z0-9_]+):(OK|FAIL|SKIP)")
SUB = re.compile(r"^#\d+/\d+\s+([A-Za-z0-9_]+)/(.*):(OK|FAIL|SKIP)$")
VERIF = re.compile(r"^#(\d+)/([up]) (.*)$")
VERIF_WORD = re.compile(r"\b(OK|FAIL|SKIP)\b")
VERIF_FILLER = re.compile(r"(\s*\(run \d+/\d+\)|\s*Did not run the program \([^)]*\)|"
                          r"\s*\d+ cases)*\s*$")
VERIF_SUMMARY = re.compile(r"^Summary: (\d+) PASSED, (\d+) SKIPPED, (\d+) FAILED")
MAPS_PASS = re.compile(r"^(?:test_)?([A-Za-z0-9_]+):PASS(.*)$")


def lines(path):
    return [l for l in read(path).splitlines() if l.strip()]


def key(entry):
    """Entries are test names, @suites or .bpf.o paths; results name objects by file."""
    return os.path.basename(entry)


def vms(kdir):
    return sorted(glob.glob(os.path.join(kdir, "vm[0-9]*")),
                  key=lambda d: int(os.path.basename(d)[2:]))


def mmss(s):
    s = int(float(s))
    return f"{s // 60}:{s % 60:02d}"


# ---------------------------------------------------------------- next

def cmd_next(kdir, n):
    """Print what VM n did not get to. If the VM died or timed out under an
    entry, that entry gets VMDIED in host-status and is not run again."""
    vm = os.path.join(kdir, f"vm{n}")
    todo = lines(os.path.join(kdir, f"todo-{n}.txt"))
    r = os.path.join(vm, "r")
    if not os.path.isdir(r):
        sys.exit(f"regress.py: the guest did not run the job, see {vm}/console.log "
                 f"and {vm}/log/cmd.log")
    done = {l.split()[0] for l in lines(os.path.join(r, "status"))}
    left = [e for e in todo if key(e) not in done]
    finished = os.path.exists(os.path.join(r, "finished"))
    stopped = os.path.exists(os.path.join(r, "stop"))
    if left and finished:
        sys.exit(f"regress.py: the guest finished without running {key(left[0])}, "
                 f"see {vm}/log/cmd.log")
    if left and not finished and not stopped:
        with open(os.path.join(kdir, "host-status"), "a") as f:
            f.write(f"{key(left[0])} VMDIED {read(os.path.join(vm, 'qemu.rc')).strip() or '?'} "
                    f"vm{n}\n")
        left = left[1:]
    for e in left:
        print(e)


# ---------------------------------------------------------------- regress

class Kernel:
    """What one kernel did: verdicts of tests, subtests and suite cases."""

    def __init__(self, kdir):
        self.dir = kdir
        self.verdict = {}     # key -> verdict
        self.name = {}        # key -> display name
        self.parent = {}      # subtest key -> test key
        self.details = {}     # key -> a few lines saying why
        self.faillines = {}   # test -> its first ":FAIL:" lines
        self.duration = {}    # test key -> s (from the guest's uptime stamps)
        self.suite = {}       # suite -> summary text
        self.order = []
        info = read(os.path.join(kdir, "seconds")).split()
        self.seconds = int(info[0]) if info else None
        self.boots = int(info[1]) if len(info) > 1 else len(vms(kdir))
        self.info = read(os.path.join(kdir, "info")).strip()
        self.stops = []
        self.load()

    def set(self, k, v, name=None, parent=None):
        if k not in self.verdict:
            self.order.append(k)
        self.verdict[k] = v
        self.name.setdefault(k, name or k)
        if parent:
            self.parent[k] = parent

    def load(self):
        for l in lines(os.path.join(self.dir, "skipped.txt")):
            e, v = l.split()[:2]
            self.set(key(e), v)
        for d in vms(self.dir):
            r = os.path.join(d, "r")
            stop = read(os.path.join(r, "stop")).strip()
            if stop:
                self.stops.append(f"{os.path.basename(d)}: {stop}")
            # a test's time: from the end of the one before or from the
            # start of its process
            starts = sorted(float(l.split()[0]) for l in lines(os.path.join(r, "batches")))
            prev = None
            for l in lines(os.path.join(r, "status")):
                f = l.split()
                e, v = f[0], f[1]
                up = float(f[3]) if len(f) > 3 else None
                if up is not None:
                    since = [x for x in starts if x <= up] + ([prev] if prev is not None else [])
                    if since:
                        self.duration[e] = up - max(since)
                prev = up
                rc = f[2] if len(f) > 2 else "?"
                if v == "RC":
                    v = "OK" if rc == "0" else "FAIL"
                if v in ("CRASH", "TIMEOUT"):
                    self.details[e] = [f"test process exit status {rc}"]
                dm = read(os.path.join(r, "dmesg", e + ".txt"))
                s = splats(dm)
                if s:
                    v += "+splat"
                    self.details.setdefault(e, []).append(f"kernel: {s[0]}")
                self.set(e, v)
            self.load_progs_log(os.path.join(r, "test_progs.log"))
            for suite in ("test_verifier", "test_maps"):
                log = os.path.join(r, suite + ".log")
                if os.path.exists(log):
                    getattr(self, "load_" + suite)(log)
        for l in lines(os.path.join(self.dir, "host-status")):
            e, v, rc, vm = (l.split() + ["?"] * 4)[:4]
            self.set(e, v)
            self.details[e] = [f"the VM died or ran out of time while it ran (qemu exit {rc}), "
                               f"see {os.path.join(self.dir, vm, 'console.log')}"]
        for e in lines(os.path.join(self.dir, "todo.txt")):
            if key(e) not in self.verdict:
                self.set(key(e), "NOTRUN")

    def load_progs_log(self, path):
        block = []
        for l in read(path).splitlines():
            m = SUB.match(l)
            if m:
                t, s, v = m.groups()
                self.set(f"{t}/{s}", v, parent=t)
                continue
            m = TOP.match(l)
            if m:
                t, v = m.groups()
                if v == "FAIL" and t not in self.faillines:
                    self.faillines[t] = [x.strip() for x in block if ":FAIL:" in x][:3]
                block = []
                continue
            block.append(l)

    def load_test_verifier(self, path):
        for l in read(path).splitlines():
            m = VERIF.match(l)
            if m:
                n, mode, rest = m.groups()
                words = list(VERIF_WORD.finditer(rest))
                v = words[-1].group(1) if words else "FAIL"
                descr = VERIF_FILLER.sub("", rest[:words[-1].start()] if words else rest)
                self.set(f"@test_verifier/#{n}/{mode}", v,
                         name=f"test_verifier/#{n}/{mode} {descr.strip()}",
                         parent="@test_verifier")
            m = VERIF_SUMMARY.match(l)
            if m:
                self.suite["test_verifier"] = l.strip()

    def load_test_maps(self, path):
        text = read(path)
        for l in text.splitlines():
            m = MAPS_PASS.match(l)
            if m:
                n = m.group(1) + m.group(2).rstrip()
                self.set(f"@test_maps/{n}", "OK", name=f"test_maps/{n}", parent="@test_maps")
        ok = [l for l in text.splitlines() if l.startswith("test_maps: OK")]
        fail = [l for l in text.splitlines() if ":FAIL:" in l]
        self.suite["test_maps"] = ok[0] if ok else (fail[0] if fail else "no summary line")
        if fail:
            self.details["@test_maps"] = fail[:3]


def classify(b, s, parents_ok):
    if not parents_ok:
        return None
    if b == s:
        return "same"
    if b in NEUTRAL or s in NEUTRAL:
        return "oneside"
    if b in GOOD and s not in GOOD:
        return "regress"
    if b not in GOOD and s in GOOD:
        return "fixed"
    return "changed"


def count(vs):
    c = {}
    for v in vs:
        c[v] = c.get(v, 0) + 1
    return ", ".join(f"{v} {n}" for v, n in sorted(c.items(), key=lambda x: -x[1])) or "none"


def cmd_report(out):
    ks = {k: Kernel(os.path.join(out, k)) for k in KERNELS}
    b, s = ks["base"], ks["series"]
    keys = list(dict.fromkeys(s.order + b.order))
    tests = [k for k in keys if "/" not in k]
    # subtests after their test, in a stable order
    order = []
    for t in sorted(tests, key=lambda t: (t.startswith("@"), t)):
        order.append(t)
        subs = [k for k in keys if k.startswith(t + "/")]
        if not t.startswith("@test_verifier"):
            subs.sort()
        order += subs
    name = {k: s.name.get(k) or b.name.get(k) for k in order}
    for k in order:
        if k in ("@test_verifier", "@test_maps"):
            name[k] = k[1:]

    def v(kern, k):
        return kern.verdict.get(k, "-")

    def parents_ok(k):
        p = s.parent.get(k) or b.parent.get(k)
        if not p:
            return True
        return all(v(x, p).split("+")[0] in ("OK", "FAIL", "SKIP") for x in (b, s))

    cls = {k: classify(v(b, k), v(s, k), parents_ok(k)) for k in order}
    o = []
    o.append("Regression run: base kernel against series kernel, same VM setup (scripts/regress.sh)")
    o.append("")
    for kn, k in ks.items():
        t = f"{k.seconds} s ({mmss(k.seconds)})" if k.seconds is not None else "?"
        o.append(f"{kn:6}  {k.info}")
        o.append(f"        run time {t}, {k.boots} VM boot(s)")
        for x in k.stops:
            o.append(f"        stopped early, new VM: {x}")
    o.append("")
    o.append("Summary (a test fails if test_progs says so, or its process died, hung or")
    o.append("took the VM down; +splat: the kernel logged a WARN/BUG/oops while it ran)")
    for kn, k in ks.items():
        top = [v(k, t) for t in tests if not t.startswith("@")]
        sub = [v(k, x) for x in order if "/" in x and not x.startswith("@")]
        o.append(f"  {kn:6} test_progs tests:    {count(x for x in top if x != '-')}")
        o.append(f"  {kn:6} test_progs subtests: {count(x for x in sub if x != '-')}")
        for suite in ("test_verifier", "test_maps"):
            if "@" + suite in k.verdict:
                o.append(f"  {kn:6} {suite}: {v(k, '@' + suite)}: {k.suite.get(suite, 'no summary line')}")
    both = sum(1 for t in tests if v(b, t) in GOOD and v(s, t) in GOOD)
    o.append(f"  tests and suites that pass (OK or SKIP) on both kernels: {both}")
    o.append("")

    def section(title, what, detail_from=None):
        ks_ = [k for k in order if cls[k] == what]
        o.append(f"{title}: {len(ks_)}")
        for k in ks_:
            o.append(f"  {v(b, k):12} {v(s, k):12} {name[k]}")
            if detail_from:
                for d in detail_from.faillines.get(k, []) + detail_from.details.get(k, []):
                    o.append(f"  {'':25}| {d}")
        o.append("")

    o.append("Columns: base verdict, series verdict, test[/subtest].")
    o.append("")
    section("PASSES ON BASE, FAILS WITH SERIES", "regress", s)
    section("Fails on base, passes with series", "fixed", b)
    section("Other differences (both ran)", "changed", s)
    one = [k for k in order if cls[k] == "oneside" and "/" not in k]
    o.append(f"Tests run on one kernel only: {len(one)}"
             f" (and {sum(1 for k in order if cls[k] == 'oneside' and '/' in k)} subtests)")
    for k in one:
        o.append(f"  {v(b, k):12} {v(s, k):12} {name[k]}")
    o.append("")
    slow = sorted(((max(b.duration.get(t, 0), s.duration.get(t, 0)), t) for t in tests),
                  reverse=True)[:15]
    o.append("Slowest tests (s in the guest, base / series; a batch's first test includes")
    o.append("the test_progs start)")
    for _, t in slow:
        o.append(f"  {b.duration.get(t, 0):7.1f} {s.duration.get(t, 0):7.1f}  {name[t]}")
    o.append("")
    o.append("Every test and subtest")
    o.append(f"  {'base':12} {'series':12} name")
    for k in order:
        o.append(f"  {v(b, k):12} {v(s, k):12} {name[k]}")
    text = "\n".join(o) + "\n"
    with open(os.path.join(out, "report.txt"), "w") as f:
        f.write(text)
    # the head of the report on the terminal
    print(text.split("\nTests run on one kernel only")[0])
    print(f"full report: {os.path.join(out, 'report.txt')}")


# ---------------------------------------------------------------- veristat

def load_csv(path):
    """veristat -o csv rows by (file, program); its header comes once per object."""
    rows = {}
    text = read(path).splitlines()
    head = None
    for l in text:
        if l.startswith("file_name,"):
            head = l.split(",")
            continue
        if not head or not l.strip():
            continue
        f = next(csv.reader([l]))
        if len(f) != len(head):
            continue    # a libbpf notice on the same stream, not a row
        r = dict(zip(head, f))
        rows[(r["file_name"], r["prog_name"])] = r
    return rows


def num(r, *names):
    for n in names:
        if n in r and r[n] not in ("", None):
            try:
                return int(r[n])
            except ValueError:
                return 0
    return 0


def ins(r):
    return num(r, "total_insns", "insns")


def sts(r):
    return num(r, "total_states", "states")


def cmd_veristat(out):
    rows = {k: load_csv(os.path.join(out, k + ".csv")) for k in KERNELS}
    kern = {k: Kernel(os.path.join(out, k)) for k in KERNELS}
    b, s = rows["base"], rows["series"]
    ok = {k: {p for p, r in rows[k].items() if r.get("verdict") == "success"} for k in KERNELS}
    both = sorted(ok["base"] & ok["series"])
    common = set(b) & set(s)
    failboth = [p for p in common if p not in ok["base"] and p not in ok["series"]]
    regress = sorted(p for p in common if p in ok["base"] and p not in ok["series"])
    fixed = sorted(p for p in common if p not in ok["base"] and p in ok["series"])
    only = {k: sorted(set(rows[k]) - common) for k in KERNELS}

    o = ["veristat: verifier cost of every selftests BPF program, base kernel against",
         "series kernel (scripts/veristat.sh). The same objects and the same veristat",
         "binary (the series' selftests build) on both kernels.", ""]
    for k in KERNELS:
        kr = kern[k]
        objs = [e for e in kr.order]
        bad = [e for e in objs if kr.verdict[e] not in ("OK", "FAIL")]
        t = f"{kr.seconds} s ({mmss(kr.seconds)})" if kr.seconds is not None else "?"
        o.append(f"{k:6}  {kr.info}")
        early = sum(1 for p, r in rows[k].items() if p not in ok[k] and not ins(r))
        o.append(f"        run time {t}, {kr.boots} VM boot(s); {len(objs)} objects, "
                 f"{len(rows[k])} programs: {len(ok[k])} verified, "
                 f"{len(rows[k]) - len(ok[k])} rejected ({early} with 0 insns: "
                 f"the object did not load, see below)")
        if bad:
            o.append(f"        objects not verified: " +
                     ", ".join(f"{e} ({kr.verdict[e]})" for e in bad))
        for x in kr.stops:
            o.append(f"        stopped early, new VM: {x}")
    o.append("")
    tb = sum(ins(b[p]) for p in both), sum(sts(b[p]) for p in both)
    ts = sum(ins(s[p]) for p in both), sum(sts(s[p]) for p in both)

    def pct(x, y):
        return f"{(y - x) * 100.0 / x:+.2f} %" if x else "n/a"

    o.append(f"Programs verified on both kernels: {len(both)}")
    o.append(f"  {'':22} {'base':>12} {'series':>12} {'delta':>10}")
    o.append(f"  {'verified insns':22} {tb[0]:12} {ts[0]:12} {ts[0] - tb[0]:+10}  {pct(tb[0], ts[0])}")
    o.append(f"  {'verifier states':22} {tb[1]:12} {ts[1]:12} {ts[1] - tb[1]:+10}  {pct(tb[1], ts[1])}")
    o.append(f"  totals over each kernel's verified programs: base {sum(ins(b[p]) for p in ok['base'])} insns, "
             f"{sum(sts(b[p]) for p in ok['base'])} states; series {sum(ins(s[p]) for p in ok['series'])} "
             f"insns, {sum(sts(s[p]) for p in ok['series'])} states")
    o.append(f"Programs rejected on both kernels: {len(failboth)}")
    o.append("  (0 insns means the verifier never saw the program: the object did not load.")
    o.append("  Without the series' veristat fix, patch 70, veristat gives CGRP_STORAGE and")
    o.append("  PERCPU_CGROUP_STORAGE maps max_entries 1, which the kernel refuses, so no")
    o.append("  object with one loads, on either kernel.)")
    o.append("")
    o.append(f"VERIFIES ON BASE, REJECTED WITH SERIES: {len(regress)}")
    for p in regress:
        o.append(f"  {p[0]}/{p[1]}")
    o.append(f"Rejected on base, verifies with series: {len(fixed)}")
    for p in fixed:
        o.append(f"  {p[0]}/{p[1]}")
    for k in KERNELS:
        o.append(f"Programs with a result on the {k} kernel only: {len(only[k])}")
        for p in only[k]:
            o.append(f"  {p[0]}/{p[1]} ({rows[k][p].get('verdict')})")
    o.append("")
    for title, f in (("insns", ins), ("states", sts)):
        top = sorted(both, key=lambda p: (-abs(f(s[p]) - f(b[p])), p))[:20]
        top = [p for p in top if f(s[p]) != f(b[p])]
        o.append(f"Largest {title} deltas (programs verified on both; top 20, {len(top)} nonzero)")
        o.append(f"  {'base':>9} {'series':>9} {'delta':>9} {'':>9}  program")
        for p in top:
            o.append(f"  {f(b[p]):9} {f(s[p]):9} {f(s[p]) - f(b[p]):+9} {pct(f(b[p]), f(s[p])):>9}  {p[0]}/{p[1]}")
        o.append("")
    text = "\n".join(o) + "\n"
    with open(os.path.join(out, "report.txt"), "w") as fh:
        fh.write(text)
    print(text, end="")
    print(f"report: {os.path.join(out, 'report.txt')}")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "next":
        return cmd_next(sys.argv[2], int(sys.argv[3]))
    if len(sys.argv) == 3 and sys.argv[1] == "report":
        return cmd_report(sys.argv[2])
    if len(sys.argv) == 3 and sys.argv[1] == "veristat":
        return cmd_veristat(sys.argv[2])
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
