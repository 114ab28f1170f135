#!/usr/bin/env python3
"""The ICD and the layer export their loader interface and nothing else.

Everything else they link (SPIRV-Tools' C and C++ symbols, libstdc++ pieces,
our own functions) must stay inside: an application or another driver that
has its own copy could bind to ours.  Usage: test_exports.py ICD.so LAYER.so
"""
import subprocess
import sys

EXPECTED = {
    "icd": {"vk_icdNegotiateLoaderICDInterfaceVersion", "vk_icdGetInstanceProcAddr",
            "vk_icdGetPhysicalDeviceProcAddr"},
    "layer": {"vkNegotiateLoaderLayerInterfaceVersion"},
}


def exports(path):
    out = subprocess.run(["nm", "-D", "--defined-only", path], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] not in ("A",):
            names.add(parts[2].split("@")[0])
    return names


def main():
    failed = False
    for kind, path in (("icd", sys.argv[1]), ("layer", sys.argv[2])):
        got = exports(path)
        extra, missing = got - EXPECTED[kind], EXPECTED[kind] - got
        print("%s: %d exported symbols" % (path, len(got)))
        if extra or missing:
            failed = True
            print("FAIL %s exports %d unexpected symbols (first: %s) and lacks %s" %
                  (kind, len(extra), ", ".join(sorted(extra)[:10]), sorted(missing) or "nothing"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
