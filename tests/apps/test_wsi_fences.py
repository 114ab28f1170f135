#!/usr/bin/env python3
"""One vkWaitForFences over a fence vkAcquireNextImageKHR signals and a fence
of a queue submission (wsi_fences.c), natively and through the loopback,
plain and validated on both sides, under a private Xvfb: every wait returns
VK_SUCCESS within its 5 s, as natively.  Through the loopback the first kind
is answered by the host and the second by fence feedback alone.
"""
import sys

import apps


def main():
    prog = sys.argv[1]
    with apps.Xvfb() as x:
        runs = [("native", apps.driver_env("native", x.display)),
                ("loopback", apps.driver_env("loopback", x.display))]
        v = apps.Validation()
        runs.append(("loopback, validated on both sides",
                     v.env(apps.driver_env("loopback", x.display))))
        for what, env in runs:
            # In the sanitized build: lavapipe's X11 swapchain leaks 128 bytes
            # in a module the loader has unloaded by exit, which LeakSanitizer
            # cannot name (nor suppress); our leaks are the other tests' job.
            env = dict(env, ASAN_OPTIONS="detect_leaks=0")
            p = apps.run([prog], env, timeout=60)
            if "OK" not in p.stdout:
                apps.fail("%s: no OK:\n%s%s" % (what, p.stdout, p.stderr[-2000:]))
            if what != "native":
                apps.no_findings(p.stderr, what)
            print("%s: every wait returned VK_SUCCESS" % what)
        msgs = v.messages(p.stderr)
        if msgs:
            apps.fail("validation reported %d messages:\n%s" % (len(msgs), "\n".join(msgs[:20])))
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
