#!/usr/bin/env python3
"""glmark2 (Debian glmark2-x11) on Mesa's zink, natively and through the
loopback, with --validate: each scene draws and glmark2 checks its pixels
against its own reference.  Every scene must validate through the loopback
as it does natively (Success stays Success; a scene glmark2 cannot judge,
"Unknown", stays Unknown), and the renderer must neither report nor refuse.
"""
import re
import sys

import apps

ZINK = {"MESA_LOADER_DRIVER_OVERRIDE": "zink", "LIBGL_ALWAYS_SOFTWARE": "1", "vblank_mode": "0"}
LINE = re.compile(r"^\[(\w+)\] (.*): Validation: (\w+)$")


def validate(which, display):
    p = apps.run(["glmark2", "--validate", "--off-screen"],
                 apps.driver_env(which, display, ZINK), timeout=600)
    scenes = {}
    for line in p.stdout.splitlines():
        m = LINE.match(line.strip())
        if m:
            scenes["[%s] %s" % (m.group(1), m.group(2))] = m.group(3)
    renderer = [l for l in p.stdout.splitlines() if "GL_RENDERER" in l]
    return scenes, p, renderer[0].strip() if renderer else "?"


def main():
    apps.need("glmark2")
    with apps.Xvfb() as x:
        native, _, native_gl = validate("native", x.display)
        loop, p, loop_gl = validate("loopback", x.display)
    print("native:   %s\nloopback: %s" % (native_gl, loop_gl))
    if "venus-loopback" not in loop_gl:
        apps.fail("the loopback run did not render on zink over venus-loopback")
    ok = sum(1 for r in native.values() if r == "Success")
    if ok < 20:
        apps.fail("only %d scenes validate natively: the reference is broken" % ok)
    differ = [(s, native[s], loop.get(s)) for s in native if loop.get(s) != native[s]]
    for s, a, b in differ:
        print("  %s: natively %s, through the loopback %s" % (s, a, b))
    if differ or len(loop) != len(native):
        apps.fail("%d of %d scenes validate differently through the loopback" %
                  (len(differ) + abs(len(loop) - len(native)), len(native)))
    apps.no_findings(p.stderr, "glmark2")
    print("PASS: glmark2 --validate, %d scenes as natively (%d Success, %d Unknown)" %
          (len(native), ok, len(native) - ok))
    return 0


if __name__ == "__main__":
    sys.exit(main())
