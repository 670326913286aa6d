#!/usr/bin/env python3
"""Report of a soak run (scripts/soak.sh): build/soak/report.txt.

usage: soak_report.py RUN_DIR ROUNDS SECONDS [VAR=ROUNDS...]
Per test: the verdict of scripts/report.py (did not run, timed out, failed
subtest, splat in its dmesg) and its time in the guest (RUN_DIR/times, from
guest-init.sh). Then every line of console.log that report.py's splat pattern
matches (the whole serial log: boot, tests and shutdown) and the size of the
kmemleak report. Exits 1 if a test failed, console.log has a splat, the
kmemleak report is not empty or missing, or the VM did not finish.
"""
import contextlib
import importlib.util
import io
import os
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("report", os.path.join(here, "report.py"))
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)


def main(run, rounds, seconds, knobs):
    env = dict(re.findall(r'^(\w+)="?([^"\n]*)"?$', report.read(os.path.join(run, "job.env")), re.M))
    tests = env.get("TESTS", "").split()
    times = dict(l.split()[:2] for l in report.read(os.path.join(run, "times")).splitlines()
                 if len(l.split()) >= 2)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = report.main(run)
    verdicts = buf.getvalue().splitlines()
    failed = rc != 0

    print(f"soak on the debug kernel: {rounds} rounds per map type "
          f"({' '.join(knobs) or 'no rounds variable'}), TIMEOUT {env.get('TIMEOUT', '?')} s per test")
    m = re.search(r"guest-init: kernel ([^,\s]+)", report.read(os.path.join(run, "console.log")))
    print(f"kernel {m.group(1) if m else '?'}, run directory {run}, {seconds} s on the host")
    print()
    print(f"{'test':32} {'seconds':>8}  verdict")
    for t in tests:
        f = t.replace("/", "@")
        line = next((v for v in verdicts if re.match(r"^(PASS|FAIL|SKIP) " + re.escape(t) + r"(:|$)", v)),
                    "FAIL did not run")
        print(f"{t:32} {times.get(f, '-'):>8}  {line}")
        i = verdicts.index(line) if line in verdicts else -1
        if 0 <= i < len(verdicts) - 1 and verdicts[i + 1].startswith("     log: "):
            print(f"{'':32} {'':>8}  {verdicts[i + 1].strip()}")
    others = [v for v in verdicts if not v.startswith("     log: ") and
              not any(re.match(r"^(PASS|FAIL|SKIP) " + re.escape(t) + r"(:|$)", v) for t in tests)]
    for v in others:
        print(f"{'':32} {'':>8}  {v}")

    console = report.read(os.path.join(run, "console.log"))
    splats = report.splats(console)
    print()
    if splats:
        failed = True
        print(f"console.log: {len(splats)} splat lines:")
        for s in splats:
            print("  " + s)
    else:
        print(f"console.log: no splat ({len(console.splitlines())} lines)")
    kpath = os.path.join(run, "kmemleak.txt")
    if os.path.exists(kpath):
        leaks = report.read(kpath)
        n = leaks.count("unreferenced object")
        print(f"kmemleak.txt: {len(leaks.encode())} bytes, {n} unreferenced objects")
        if leaks.strip():
            failed = True
            print("\n".join("  " + l for l in leaks.splitlines()[:40]))
    else:
        failed = True
        print("kmemleak.txt: missing (the VM did not get to the scan, or no kmemleak)")
    print()
    print("SOAK FAILED" if failed else "SOAK PASSED")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
