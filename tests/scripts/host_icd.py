#!/usr/bin/env python3
"""The host driver's ICD manifest the tests compare against ("native").

usage: host_icd.py            prints it, or says why there is none (exit 1)

VL_HOST_ICD when set (the driver the renderer loads), else the first ICD
manifest for lavapipe in the Khronos loader's folders, in the loader's order:
the same rule as common/vl_manifest.c, which the renderer, vkt and bench use
at run time; Meson runs this at configure time for the scripts and layer
tests that need the path in their environment.
"""
import json
import os
import sys


def manifest_dirs():
    home = os.environ.get("HOME", "")
    config_home = os.environ.get("XDG_CONFIG_HOME") or (home and home + "/.config")
    data_home = os.environ.get("XDG_DATA_HOME") or (home and home + "/.local/share")
    bases = [config_home] + (os.environ.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(":") + \
        ["/etc", data_home] + (os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":")
    seen = []
    for b in bases:
        if b and b + "/vulkan/icd.d" not in seen:
            seen.append(b + "/vulkan/icd.d")
    return seen


def is_lavapipe(path):
    try:
        lib = json.load(open(path))["ICD"]["library_path"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return os.path.basename(lib).startswith("libvulkan_lvp.")


def host_icd():
    if os.environ.get("VL_HOST_ICD"):
        return os.environ["VL_HOST_ICD"]
    for d in manifest_dirs():
        try:
            names = sorted(n for n in os.listdir(d) if n.endswith(".json"))
        except OSError:
            continue
        for n in names:
            if is_lavapipe(os.path.join(d, n)):
                return os.path.join(d, n)
    return None


def native_icd():
    """For test scripts: VL_HOST_ICD, then what Meson found, then the search."""
    return os.environ.get("VL_HOST_ICD") or os.environ.get("VL_TEST_NATIVE_ICD") or host_icd()


if __name__ == "__main__":
    found = host_icd()
    if not found:
        print("no ICD manifest for lavapipe in %s; install mesa-vulkan-drivers or set VL_HOST_ICD"
              % ", ".join(manifest_dirs()), file=sys.stderr)
        sys.exit(1)
    print(found)
