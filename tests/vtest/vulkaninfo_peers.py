#!/usr/bin/env python3
"""Mesa 25's venus guest sees the same device through our server as through
virglrenderer 1.1's, both over Debian 13's lavapipe.

Runs vulkaninfo with Mesa's venus ICD inside the Debian 13 root twice: against
vl-vtest-server (wire format 1, run in the root over lavapipe 25) and against
virgl_test_server 1.1 (same root, same lavapipe).  The outputs must be equal
line for line, except for what belongs to the extensions this build's vk.xml
does not define (vl-vtest-server --protocol lists them; Vulkan-Headers
1.3.239 on Debian 12 lacks VK_KHR_maintenance5 and two more): their
extension lines and their feature and property structs, and the memory
budget's live figures.  Prints how many lines were compared and what was set
aside.

usage: vulkaninfo_peers.py VL_VTEST_SERVER [--skip REASON]
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import trixie  # noqa: E402
import with_vtest_server as vt  # noqa: E402

LIVE = re.compile(r"\s*(budget|usage)\s*=")


def absent_extensions(server):
    out = subprocess.run([server, "--protocol"], stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    for line in out.splitlines():
        if line.startswith("absent from this build's vk.xml:"):
            return line.split(":", 1)[1].split()
    return []


def struct_stem(ext):
    """VK_KHR_maintenance5 -> ("Maintenance5", "KHR"): how vulkaninfo names the
    extension's feature and property structs."""
    _, vendor, rest = ext.split("_", 2)
    return "".join(p[:1].upper() + p[1:] for p in rest.split("_")), vendor


def drop_absent(lines, absent):
    stems = [struct_stem(e) for e in absent]
    out, skipping = [], False
    for i, line in enumerate(lines):
        title = re.match(r"^VkPhysicalDevice(\w+?)(Features|Properties)(\w+):$", line)
        if title:
            skipping = any(title.group(1) == s and title.group(3) == v for s, v in stems)
        elif skipping and not line.strip():
            skipping = False
            continue
        if skipping or any(re.match(r"^\s+%s\s*:" % e, line) for e in absent) or LIVE.match(line):
            continue
        if re.match(r"^Device Extensions: count = ", line):
            line = "Device Extensions: count = (compared line by line)"
        out.append(line)
    return out


def vulkaninfo(socket_dir, socket):
    cmd = trixie.command(["vulkaninfo"], binds=[socket_dir],
                         env={"VK_ICD_FILENAMES": vt.TRIXIE_VENUS, "VN_DEBUG": "vtest",
                              "VTEST_SOCKET_NAME": socket, "XDG_RUNTIME_DIR": "/tmp"})
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=150)
    if p.returncode:
        print("FAIL Mesa's vulkaninfo over %s: exit %d\n%s" % (socket, p.returncode,
                                                              p.stderr[-3000:]))
        sys.exit(1)
    return p.stdout.splitlines()


def serve_and_run(name, argv, socket_dir, binds):
    socket = os.path.join(socket_dir, name)
    log = open(os.path.join(socket_dir, name + ".log"), "w")
    server = subprocess.Popen(trixie.command(argv + [socket_arg(name, socket)],
                                             binds=[socket_dir] + binds,
                                             env={"VK_ICD_FILENAMES": vt.TRIXIE_LAVAPIPE,
                                                  "LIBGL_ALWAYS_SOFTWARE": "1"}),
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        problem = vt.wait_listening(socket, server)
        if problem:
            print("FAIL %s: %s" % (name, problem))
            sys.exit(1)
        return vulkaninfo(socket_dir, socket)
    finally:
        vt.stop(server)
        log.close()


def socket_arg(name, socket):
    return "--socket-path=" + socket


def main():
    if len(sys.argv) == 4 and sys.argv[2] == "--skip":
        print("SKIP: %s" % sys.argv[3])
        return 77
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    why = trixie.available()
    if why:
        print("SKIP: %s" % why)
        return 77
    server = os.path.abspath(sys.argv[1])
    absent = absent_extensions(server)
    with tempfile.TemporaryDirectory(prefix="vl-peers-", dir="/var/tmp") as d:
        ours = serve_and_run("ours", [server], d, [trixie.build_folder(server)])
        virgl = serve_and_run("virgl", ["virgl_test_server", "--venus", "--use-egl-surfaceless"],
                              d, [])
    a, b = drop_absent(ours, absent), drop_absent(virgl, absent)
    if a != b:
        import difflib
        print("FAIL Mesa 25's vulkaninfo differs between our server and virglrenderer 1.1:")
        print("\n".join(list(difflib.unified_diff(b, a, "virglrenderer 1.1", "vl-vtest-server",
                                                  lineterm="", n=2))[:80]))
        return 1
    print("PASS Mesa 25's vulkaninfo through vl-vtest-server equals its vulkaninfo through "
          "virglrenderer 1.1: %d lines compared, %d and %d set aside (extensions absent from "
          "this build's vk.xml: %s; memory budget figures)" %
          (len(a), len(ours) - len(a), len(virgl) - len(b), ", ".join(absent) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
