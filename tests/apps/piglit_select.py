#!/usr/bin/env python3
"""Chooses the piglit tests of tests/apps/piglit-tests.txt: a deterministic
spread over the quick_gl profile, kept when they pass natively on zink over
lavapipe twice in a row and take under 3 seconds.  A developer tool, run by
hand when the list needs renewing:

    tests/apps/piglit_select.py [COUNT] > tests/apps/piglit-tests.txt
"""
import subprocess
import sys

import apps
import piglit_run


def main():
    want = int(sys.argv[1]) if len(sys.argv) > 1 else 360
    out = subprocess.run(["piglit", "print-cmd", "quick_gl"], stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    every = [tuple(l.split(" ::: ", 1)) for l in sorted(out.splitlines()) if " ::: " in l]
    step = max(1, len(every) // (want * 2))
    candidates = every[::step]
    with apps.Xvfb() as x:
        first = piglit_run.run_all(candidates, "native", x.display)
        passing = [(n, c) for n, c in candidates if first[n][0] == "pass" and first[n][1] < 3]
        second = piglit_run.run_all(passing, "native", x.display)
    keep = [(n, c) for n, c in passing if second[n][0] == "pass"][:want]
    print("# piglit tests (quick_gl) that pass natively on zink over lavapipe, chosen by")
    print("# tests/apps/piglit_select.py from %d candidates; name ::: command" % len(candidates))
    for n, c in keep:
        print("%s ::: %s" % (n, c))
    sys.stderr.write("%d candidates, %d passed once, %d kept\n" %
                     (len(candidates), len(passing), len(keep)))


if __name__ == "__main__":
    main()
