#!/usr/bin/env python3
"""piglit on zink: the tests of a list (tests/apps/piglit-tests.txt, chosen
among those that pass natively on zink over lavapipe) run natively and
through the loopback in one invocation.  Prints pass/fail counts for both;
fails when a test that passes natively does not pass through the loopback.

usage: test_piglit.py LIST [--first N]
"""
import re
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
    # The renderer reports (never refuses) a call that breaks a rule the host
    # driver trusts; that is only right where the call is invalid, which the
    # Khronos validation layer, run natively, must then say too.
    findings = {n: apps.renderer_findings(loop[n][2]) for n, _ in tests}
    findings = {n: f for n, f in findings.items() if f}
    refused = [n for n, f in findings.items() if any("context is lost" in l for l in f)]
    unconfirmed = []
    if findings:
        with apps.Xvfb() as x:
            cmds = dict(tests)
            for n, f in findings.items():
                v = apps.Validation()
                piglit_run.run_all([(n, cmds[n])], "native", x.display, jobs=1,
                                   extra=dict(v.env({}), VL_HOST_VALIDATION="0"))
                msgs = v.messages()
                if any("SPIR-V" in l for l in f):
                    # the same finding: the layer's SPIR-V validation
                    msgs = [m for m in msgs if re.search(r"SPIR-V|spirv|pCode", m, re.I)]
                print("--- %s: %s; the validation layer natively: %d message(s)\n    %s" %
                      (n, f[0][:200], len(msgs), msgs[0][:200] if msgs else ""))
                if not msgs:
                    unconfirmed.append(n)
    print("renderer reports through the loopback: %d tests, each also reported natively by the "
          "validation layer: %s; refusals: %d" % (len(findings), "yes" if not unconfirmed else
                                                 "no", len(refused)))
    if refused or unconfirmed:
        apps.fail("the renderer refused in %d and reported without the validation layer agreeing "
                  "in %d piglit tests: %s" % (len(refused), len(unconfirmed),
                                             ", ".join((refused + unconfirmed)[:20])))
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
