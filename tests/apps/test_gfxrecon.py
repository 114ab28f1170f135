#!/usr/bin/env python3
"""Trace replay: a GFXReconstruct capture of vkcube, taken natively on the
host driver, replays through the loopback with gfxrecon-replay without
errors, and the frames it screenshots are identical to a native replay's.
With --validate the loopback replay runs with validation on both sides and
nothing may be reported.  That replay uses --sync: without it, gfxrecon-replay
0.9.18 re-records vkcube's command buffers while they are still in use, which
the validation layer reports natively too (and then skips those calls, so the
host side sees the consequences)."""
import os
import re
import sys
import tempfile

import apps

FRAMES = "1,15,30"


def replay(which, display, capture, outdir, validation=None):
    os.makedirs(outdir)
    env = apps.driver_env(which, display)
    args = ["gfxrecon-replay", "--screenshots", FRAMES, "--screenshot-dir", outdir]
    if validation:
        env = validation.env(env)
        args.append("--sync")
    p = apps.run(args + [capture], env)
    errors = [l for l in (p.stdout + p.stderr).splitlines()
              if re.search(r"\b(ERROR|FATAL)\b|venus-loopback", l)]
    if errors:
        apps.fail("%s replay reported:\n%s" % (which, "\n".join(errors[:20])))
    shots = {}
    for f in sorted(os.listdir(outdir)):
        shots[f] = open(os.path.join(outdir, f), "rb").read()
    return shots, p


def main():
    apps.need("gfxrecon-replay", "vkcube")
    validate = "--validate" in sys.argv
    with apps.Xvfb() as x, tempfile.TemporaryDirectory(prefix="vl-gfxrecon-") as d:
        capture = os.path.join(d, "vkcube.gfxr")
        env = apps.driver_env("native", x.display, {
            "VK_INSTANCE_LAYERS": "VK_LAYER_LUNARG_gfxreconstruct",
            "GFXRECON_CAPTURE_FILE": capture,
            "GFXRECON_CAPTURE_FILE_TIMESTAMP": "false",
        })
        apps.run(["vkcube", "--c", "30", "--width", "256", "--height", "256"], env)
        if not os.path.exists(capture):
            apps.fail("the capture layer wrote no file")
        if validate:
            v = apps.Validation()
            _, p = replay("loopback", x.display, capture, os.path.join(d, "v"), v)
            msgs = v.messages(p.stderr)
            if msgs:
                apps.fail("validation reported %d messages:\n%s" % (len(msgs), "\n".join(msgs[:20])))
            print("PASS: gfxrecon replay, no validation message on either side")
            return 0
        native, _ = replay("native", x.display, capture, os.path.join(d, "n"))
        loop, _ = replay("loopback", x.display, capture, os.path.join(d, "l"))
        if len(native) != len(FRAMES.split(",")):
            apps.fail("the native replay wrote %d screenshots, not %d" %
                      (len(native), len(FRAMES.split(","))))
        if len(set(native.values())) != len(native):
            apps.fail("the native screenshots are not all different: nothing to compare")
        for name, data in native.items():
            if loop.get(name) != data:
                apps.fail("%s differs from the native replay's" % name)
        print("frames %s of the replay: identical to native (%s)" % (FRAMES, ", ".join(native)))
    print("PASS: gfxrecon replay")
    return 0


if __name__ == "__main__":
    sys.exit(main())
