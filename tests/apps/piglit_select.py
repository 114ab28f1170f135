#!/usr/bin/env python3
"""Chooses the piglit tests of tests/apps/piglit-tests.txt: a deterministic
spread over the quick_gl profile, kept when they pass natively on zink over
lavapipe twice in a row and take under 3 seconds.  A developer tool, run by
hand when the list needs renewing:

    tests/apps/piglit_select.py [COUNT] > tests/apps/piglit-tests.txt
    tests/apps/piglit_select.py --focus [COUNT] > tests/apps/piglit-focus.txt

--focus spreads over the tests of what zink turns into Vulkan the least
directly (FOCUS below): 3D textures and their views, blits and copies
between images, and shader features zink lowers (discard, sample shading
and sample masks, float atomics, demote).
"""
import re
import subprocess
import sys

FOCUS = re.compile(r"3d|blit|copy_image|fp-kil|discard|sample_?shading|sample-?mask|sampleid|"
                   r"atomic_float|atomicadd-float|demote|clear_texture", re.I)

import apps
import piglit_run


def main():
    args = [a for a in sys.argv[1:] if a != "--focus"]
    focus = "--focus" in sys.argv
    want = int(args[0]) if args else (120 if focus else 360)
    out = subprocess.run(["piglit", "print-cmd", "quick_gl"], stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    every = [tuple(l.split(" ::: ", 1)) for l in sorted(out.splitlines()) if " ::: " in l]
    if focus:
        every = [(n, c) for n, c in every if FOCUS.search(n)]
    step = max(1, len(every) // (want * 2))
    candidates = every[::step]
    with apps.Xvfb() as x:
        first = piglit_run.run_all(candidates, "native", x.display)
        passing = [(n, c) for n, c in candidates if first[n][0] == "pass" and first[n][1] < 3]
        second = piglit_run.run_all(passing, "native", x.display)
    keep = [(n, c) for n, c in passing if second[n][0] == "pass"][:want]
    print("# piglit tests (quick_gl%s) that pass natively on zink over lavapipe, chosen by" %
          (": 3D textures, blits and copies, lowered shader features" if focus else ""))
    print("# tests/apps/piglit_select.py%s from %d candidates; name ::: command" %
          (" --focus" if focus else "", len(candidates)))
    for n, c in keep:
        print("%s ::: %s" % (n, c))
    sys.stderr.write("%d candidates, %d passed once, %d kept\n" %
                     (len(candidates), len(passing), len(keep)))


if __name__ == "__main__":
    main()
