#!/usr/bin/env python3
"""piglit on zink: the tests of a list (tests/apps/piglit-tests.txt, chosen
among those that pass natively on zink over lavapipe) run natively and
through the loopback in one invocation.  Prints pass/fail counts for both;
fails when a test that passes natively does not pass through the loopback.

usage: test_piglit.py LIST [--first N]
"""
import sys

import apps
import piglit_run


def main():
    apps.need("piglit")
    tests = piglit_run.read_list(sys.argv[1])
    if "--first" in sys.argv:
        tests = tests[:int(sys.argv[sys.argv.index("--first") + 1])]
    with apps.Xvfb() as x:
        native = piglit_run.run_all(tests, "native", x.display)
        loop = piglit_run.run_all(tests, "loopback", x.display)
    for name, results in (("native", native), ("loopback", loop)):
        counts = {}
        for r in results.values():
            counts[r[0]] = counts.get(r[0], 0) + 1
        seconds = sum(r[1] for r in results.values())
        print("%-8s %s (%.1f s of test time)" %
              (name, ", ".join("%d %s" % (n, k) for k, n in sorted(counts.items())), seconds))
    broken = [n for n, _ in tests if native[n][0] == "pass" and loop[n][0] != "pass"]
    not_native = [n for n, _ in tests if native[n][0] != "pass"]
    if not_native:
        print("not passing natively (the list is stale for this machine): " +
              ", ".join("%s (%s)" % (n, native[n][0]) for n in not_native[:20]))
    if len(not_native) > len(tests) // 10:
        apps.fail("%d of %d listed tests do not pass natively" % (len(not_native), len(tests)))
    if broken:
        for n in broken[:10]:
            print("--- %s: %s through the loopback\n%s" % (n, loop[n][0], loop[n][2][-1500:]))
        apps.fail("%d tests pass natively but not through the loopback: %s" %
                  (len(broken), ", ".join(broken[:20])))
    print("PASS: %d piglit tests, every one that passes natively passes through the loopback" %
          len(tests))
    return 0


if __name__ == "__main__":
    sys.exit(main())
