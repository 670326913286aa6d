#!/usr/bin/env python3
"""Turn a VM run directory (see guest-init.sh) into a verdict.

Prints one line per test, then 'N passed, M failed, K skipped', and exits 1 if
anything failed. A test fails if it did not run, timed out, exited non-zero,
reported a failed subtest, or if the kernel logged a splat while it ran.
A splat outside any test (boot, end), a kmemleak report or a VM that did not
finish are failures too.
"""
import json
import os
import re
import sys

SPLAT = re.compile(
    r"(WARNING:|BUG:|KASAN:|UBSAN:|Oops|Kernel panic|general protection fault|"
    r"kernel BUG at|INFO: task .* blocked|rcu: INFO|detected stalls? on CPU|"
    r"soft lockup|hard LOCKUP|possible recursive locking|inconsistent lock state|"
    r"circular locking dependency|suspicious RCU usage|possible circular locking|"
    r"sleeping function called from invalid context|bad unlock balance|"
    r"held lock freed|list_(add|del) corruption|refcount_t: |"
    r"kmemleak: .*new suspected memory leaks|ODEBUG:)")


def read(path, default=""):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return default


def splats(text):
    return [l.strip() for l in text.splitlines() if SPLAT.search(l)]


def main(run):
    env = dict(re.findall(r'^(\w+)="?([^"\n]*)"?$', read(os.path.join(run, "job.env")), re.M))
    tests = env.get("TESTS", "").split()
    cmd = env.get("CMD", "").strip("'")
    if cmd:
        tests.insert(0, "cmd")
    status = dict(l.split() for l in read(os.path.join(run, "status")).splitlines() if l.strip())
    timeout = int(env.get("TIMEOUT", "600"))
    passed = failed = skipped = 0

    def verdict(kind, name, why=""):
        nonlocal passed, failed, skipped
        if kind == "PASS":
            passed += 1
        elif kind == "SKIP":
            skipped += 1
        else:
            failed += 1
        print(f"{kind:4} {name}{': ' + why if why else ''}")

    for t in tests:
        rc = status.get(t)
        f = t.replace("/", "@")  # a test/subtest pattern's files
        why = []
        res = {}
        if rc is None:
            why.append("did not run (the VM died or timed out before it)")
        else:
            if rc in ("137", "124"):
                why.append(f"killed (timed out after {timeout}s, or by a kernel oops)")
            try:
                res = {} if t == "cmd" else \
                    json.loads(read(os.path.join(run, "json", f + ".json"), "{}") or "{}")
            except ValueError:
                why.append("unreadable json summary")
            bad = []
            for r in res.get("results", []):
                subs = [s["name"] for s in r.get("subtests", []) if s.get("failed")]
                if r.get("failed") or subs:
                    bad.append(r["name"] + (f" ({', '.join(subs)})" if subs else ""))
            if bad:
                why.append("failed: " + "; ".join(bad))
            if rc != "0" and not bad and rc not in ("137", "124"):
                why.append(f"test_progs exited {rc}")
            s = splats(read(os.path.join(run, "dmesg", f + ".txt")))
            if s:
                why.append(f"kernel splat ({len(s)} lines), first: {s[0]}")
            # test_progs lists only failed tests in "results"; the counts
            # cover all of them.
            ran = sum(res.get(k, 0) for k in ("success", "skipped", "failed"))
            if t != "cmd" and not ran and not why:
                why.append("no test matched the name")
        if why:
            verdict("FAIL", t, "; ".join(why))
            print("     log: " + os.path.join(run, "log", f + ".log"))
        elif res.get("success", 0) == 0 and res.get("skipped", 0) > 0:
            verdict("SKIP", t, "skipped by test_progs")
        else:
            n = res.get("success_subtest", 0)
            verdict("PASS", t, f"{n} subtests" if n else "")

    done = os.path.exists(os.path.join(run, "done"))
    console = read(os.path.join(run, "console.log"))
    for part in ("boot", "end"):
        s = splats(read(os.path.join(run, "dmesg", part + ".txt")))
        if s:
            verdict("FAIL", f"kernel ({part})", f"splat: {s[0]}")
    leaks = read(os.path.join(run, "kmemleak.txt")).strip()
    if env.get("KMEMLEAK") == "1" and done and \
            not os.path.exists(os.path.join(run, "kmemleak.txt")):
        verdict("FAIL", "kmemleak", "the debug kernel wrote no kmemleak report")
    if leaks:
        verdict("FAIL", "kmemleak", f"{leaks.count('unreferenced object')} leaked objects, see {run}/kmemleak.txt")
    if not done:
        s = splats(console)
        why = f"splat: {s[0]}" if s else "no splat in console.log"
        verdict("FAIL", "vm", f"the VM did not finish its job ({why}); last console lines:")
        print("\n".join("     | " + l for l in console.splitlines()[-25:]))
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or not (passed or skipped) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
