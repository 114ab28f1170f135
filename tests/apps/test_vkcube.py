#!/usr/bin/env python3
"""vkcube (Debian vulkan-tools) through the loopback, under a private Xvfb.

* Frame 100, frozen by present_gate, is pixel-identical to native lavapipe's.
* 100 frames run to completion with validation on both sides and report
  nothing (--validate).
* Steady-state synchronous round trips per frame (VL_DEBUG=stats, the
  difference between a 50- and a 150-frame run) are at most what
  presentation needs: vkAcquireNextImageKHR and vkQueuePresentKHR.
"""
import re
import sys

import apps

FRAME = 100
SIZE = ["--width", "256", "--height", "256"]


def round_trips(display, frames):
    env = apps.driver_env("loopback", display, {"VL_DEBUG": "stats"})
    p = apps.run(["vkcube", "--c", str(frames)] + SIZE, env)
    apps.no_findings(p.stderr, "vkcube, %d frames" % frames)
    m = re.search(r"(\d+) synchronous round trips", p.stderr)
    if not m:
        apps.fail("VL_DEBUG=stats printed no round-trip count:\n" + p.stderr[-2000:])
    return int(m.group(1))


def main():
    apps.need("vkcube")
    validate = "--validate" in sys.argv
    with apps.Xvfb() as x:
        if validate:
            v = apps.Validation()
            env = v.env(apps.driver_env("loopback", x.display))
            p = apps.run(["vkcube", "--c", str(FRAME)] + SIZE, env)
            msgs = v.messages(p.stderr)
            if msgs:
                apps.fail("validation reported %d messages:\n%s" % (len(msgs), "\n".join(msgs[:20])))
            print("PASS: vkcube, %d frames, no validation message on either side" % FRAME)
            return 0

        shots = {}
        for which in ("native", "loopback"):
            shots[which] = apps.gated_screenshot(["vkcube"] + SIZE,
                                                 apps.driver_env(which, x.display), x.display,
                                                 FRAME)
        native, loop = shots["native"][2], shots["loopback"][2]
        colors = apps.distinct_pixels(native)
        if colors < 16:
            apps.fail("the native screenshot is nearly blank (%d colours): no cube to compare" %
                      colors)
        if native != loop:
            diff = sum(1 for i in range(0, len(native), 4) if native[i:i + 4] != loop[i:i + 4])
            apps.fail("frame %d differs from native in %d pixels" % (FRAME, diff))
        print("frame %d: pixel-identical to native (%d colours sampled)" % (FRAME, colors))

        a, b = round_trips(x.display, 50), round_trips(x.display, 150)
        per_frame = (b - a) / 100
        print("synchronous round trips per frame in steady state: %.2f "
              "(%d after 50 frames, %d after 150)" % (per_frame, a, b))
        if per_frame > 2:
            apps.fail("%.2f round trips per frame; presentation needs at most 2 "
                      "(acquire and present)" % per_frame)
    print("PASS: vkcube")
    return 0


if __name__ == "__main__":
    sys.exit(main())
