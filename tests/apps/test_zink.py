#!/usr/bin/env python3
"""OpenGL through Mesa's zink on top of the loopback, under a private Xvfb.

* glxinfo -B names zink over the loopback's device, with the same OpenGL
  versions as zink directly on the host driver.
* glxgears draws at least 300 frames and reports no error.
With --validate, glxgears runs with validation on both sides and nothing may
be reported.
"""
import re
import subprocess
import sys

import apps

ZINK = {"MESA_LOADER_DRIVER_OVERRIDE": "zink", "LIBGL_ALWAYS_SOFTWARE": "1", "vblank_mode": "0"}
VERSION_KEYS = ("Max core profile version", "Max compat profile version",
                "Max GLES[23] profile version")


def glxinfo(which, display):
    p = apps.run(["glxinfo", "-B"], apps.driver_env(which, display, ZINK))
    fields = dict(l.strip().split(": ", 1) for l in p.stdout.splitlines() if ": " in l)
    return fields


def gears(env, frames=300, timeout=60):
    """Runs glxgears until it has reported at least 'frames' frames."""
    p = subprocess.Popen(["glxgears"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    total = 0
    try:
        for line in p.stdout:
            m = re.match(r"(\d+) frames in [\d.]+ seconds", line)
            if m:
                total += int(m.group(1))
                if total >= frames:
                    break
    finally:
        p.terminate()
        try:
            _, err = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
    return total, err


def main():
    apps.need("glxinfo", "glxgears")
    validate = "--validate" in sys.argv
    with apps.Xvfb() as x:
        if not validate:
            native, loop = glxinfo("native", x.display), glxinfo("loopback", x.display)
            device = loop.get("Device", "")
            if not re.match(r"zink \(venus-loopback \(", device):
                apps.fail("glxinfo -B through the loopback names %r, not zink over venus-loopback"
                          % device)
            for k in VERSION_KEYS:
                if native.get(k) != loop.get(k):
                    apps.fail("%s: native zink %r, through the loopback %r" %
                              (k, native.get(k), loop.get(k)))
            print("glxinfo -B: %s; %s" % (device, ", ".join("%s %s" % (k, loop[k])
                                                             for k in VERSION_KEYS)))
        v = apps.Validation() if validate else None
        env = apps.driver_env("loopback", x.display, ZINK)
        if v:
            env = v.env(env)
        total, err = gears(env)
        errors = [l for l in err.splitlines() if re.search(r"error|fail|venus-loopback", l, re.I)]
        if total < 300:
            apps.fail("glxgears drew %d frames, not 300\n%s" % (total, err[-2000:]))
        if errors:
            apps.fail("glxgears reported:\n" + "\n".join(errors[:20]))
        print("glxgears: %d frames" % total)
        if v:
            msgs = v.messages(err)
            if msgs:
                apps.fail("validation reported %d messages:\n%s" % (len(msgs), "\n".join(msgs[:20])))
            print("PASS: zink, no validation message on either side")
            return 0
    print("PASS: zink")
    return 0


if __name__ == "__main__":
    sys.exit(main())
