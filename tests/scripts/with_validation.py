#!/usr/bin/env python3
"""Runs a program with the Khronos validation layer on both sides of the wire.

Application side: VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation (the loader
puts the layer between the program and our ICD).  Host side:
VL_HOST_VALIDATION=1 (the renderer puts it between the decoder and the host
driver).  Both log into one file through a layer settings file; the run
passes when the program passes and no error or warning was reported on
either side.

In layer mode (VK_INSTANCE_LAYERS already names VK_LAYER_VENUS_loopback) the
validation layer joins it, above it: the Khronos loader 1.3.239 enables the
layers of VK_INSTANCE_LAYERS in the order it discovers their manifests, so the
validation layer's folder goes first in VK_ADD_LAYER_PATH.

usage: with_validation.py PROGRAM [ARGS...]
"""
import os
import subprocess
import sys
import tempfile

VALIDATION = "VK_LAYER_KHRONOS_validation"


def validation_manifest_dir():
    """The explicit-layer folder holding the validation layer, or None."""
    data = os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    for d in data.split(":") + ["/etc/vulkan"]:
        folder = os.path.join(d, "vulkan", "explicit_layer.d")
        if os.path.exists(os.path.join(folder, "VkLayer_khronos_validation.json")):
            return folder
    return None


def add_validation_layer(env):
    """Enables the validation layer, closest to the application."""
    layers = [l for l in env.get("VK_INSTANCE_LAYERS", "").split(":") if l and l != VALIDATION]
    env["VK_INSTANCE_LAYERS"] = ":".join([VALIDATION] + layers)
    if layers and env.get("VK_ADD_LAYER_PATH"):
        folder = validation_manifest_dir()
        if folder:
            env["VK_ADD_LAYER_PATH"] = folder + ":" + env["VK_ADD_LAYER_PATH"]


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory(prefix="vl-validation-") as d:
        log = os.path.join(d, "validation.log")
        with open(os.path.join(d, "vk_layer_settings.txt"), "w") as f:
            f.write("khronos_validation.log_filename = %s\n" % log)
            f.write("khronos_validation.debug_action = VK_DBG_LAYER_ACTION_LOG_MSG\n")
            f.write("khronos_validation.report_flags = error,warn\n")
            f.write("khronos_validation.enable_message_limit = false\n")
        env = dict(os.environ)
        env["VK_LAYER_SETTINGS_PATH"] = d
        add_validation_layer(env)
        env["VL_HOST_VALIDATION"] = "1"
        p = subprocess.run(sys.argv[1:], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=600)
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr)
        messages = open(log).read() if os.path.exists(log) else ""
        host = [l for l in p.stderr.splitlines() if "HOST-SIDE" in l]
        if p.returncode != 0:
            print("FAIL: the program failed under validation (exit %d)" % p.returncode)
            return 1
        if messages.strip() or host:
            print("FAIL: validation reported %d lines (application and host side), %d host-side "
                  "on stderr:" % (len(messages.splitlines()), len(host)))
            print(messages[:4000])
            return 1
        print("PASS: no validation message on either side")
        return 0


if __name__ == "__main__":
    sys.exit(main())
