#!/usr/bin/env python3
"""vulkaninfo through the loopback must equal native lavapipe's.

Runs `vulkaninfo` twice -- on the native ICD and on the loopback ICD -- and
compares the full text after removing only the lines that name the driver:
the device name (wherever it appears), driverName and driverInfo.  Any other
difference fails, and is printed.

In layer mode (VK_INSTANCE_LAYERS names VK_LAYER_VENUS_loopback) both runs
may name lavapipe: the native one runs without the layer.

usage: vulkaninfo_diff.py NATIVE_ICD_JSON LOOPBACK_ICD_JSON
"""
import difflib
import os
import re
import subprocess
import sys


def run(icd, native):
    env = dict(os.environ)
    if native:
        layers = env.get("VK_INSTANCE_LAYERS", "").split(":")
        env["VK_INSTANCE_LAYERS"] = ":".join(l for l in layers if l != "VK_LAYER_VENUS_loopback")
    env["VK_ICD_FILENAMES"] = icd
    env["VK_DRIVER_FILES"] = icd
    env.pop("DISPLAY", None)  # surfaces depend on the window system, not the driver
    env.pop("WAYLAND_DISPLAY", None)
    p = subprocess.run(["vulkaninfo"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120)
    if p.returncode != 0:
        print("FAIL vulkaninfo: exit %d with %s\n%s" % (p.returncode, icd, p.stderr[-2000:]))
        sys.exit(1)
    return p.stdout.splitlines()


def device_name(lines):
    for line in lines:
        m = re.match(r"\s*deviceName\s*=\s*(.*)$", line)
        if m:
            return m.group(1).strip()
    return None


def strip_naming(lines, names):
    out = []
    for line in lines:
        if re.match(r"\s*(driverName|driverInfo|deviceName)\s*=", line):
            continue
        if any(n and n in line for n in names):
            continue
        out.append(line)
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    native = run(os.environ.get("VL_HOST_ICD") or sys.argv[1], True)
    loop = run(sys.argv[2], False)
    names = [device_name(native), device_name(loop), "venus-loopback"]
    if not names[1] or "venus-loopback" not in names[1]:
        print("FAIL vulkaninfo: the loopback run did not report the loopback device (%r)" % names[1])
        return 1
    a, b = strip_naming(native, names), strip_naming(loop, names)
    if a != b:
        diff = list(difflib.unified_diff(a, b, "native", "loopback", lineterm="", n=2))
        print("FAIL vulkaninfo: %d lines differ beyond the driver's name" % sum(
            1 for d in diff if d[:1] in "+-" and d[:3] not in ("+++", "---")))
        print("\n".join(diff[:200]))
        return 1
    print("PASS vulkaninfo: %d lines equal to native lavapipe's (%d naming lines removed)" %
          (len(a), len(native) - len(a)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
