#!/usr/bin/env python3
"""Runs programs inside the Debian 13 root that tools/trixie-roots builds, which
holds today's Venus peers (Mesa 25's venus guest, virglrenderer 1.1's
virgl_test_server, lavapipe 25).

The root is entered in a private mount namespace (unshare), with /dev, /proc,
/sys and the folders a test shares with it (its socket folder, the build
folder) bind-mounted at the same paths inside, so that paths and sockets mean
the same on both sides and nothing stays mounted when the program ends.

As a module: available(), command(argv, binds, env).  As a program:

  trixie.py [--bind DIR]... [--env K=V]... -- PROGRAM [ARGS...]
"""
import os
import shlex
import shutil
import sys

ROOT = os.path.join(os.environ.get("VL_TRIXIE_DIR", "/var/cache/venus-loopback"), "host")

# What a program in the root may see of ours: nothing from the caller's
# environment but what is named (the Debian 12 loader settings would point
# at Debian 12 files).
KEEP = ("TERM", "LANG")


def available():
    """None when programs can run in the root, else why not (a skip reason)."""
    if not os.path.exists(ROOT + ".stamp"):
        return "no Debian 13 root at %s (tools/trixie-roots host builds it)" % ROOT
    if os.geteuid() != 0:
        return "entering the Debian 13 root needs root (chroot, mounts)"
    if not shutil.which("unshare"):
        return "unshare (util-linux) is missing"
    return None


def build_folder(path):
    """The Meson build folder a built file lives in (programs find their
    shaders, libraries and manifests by absolute paths into it), or path's
    own folder."""
    d = os.path.dirname(os.path.abspath(path))
    top = d
    while top != "/" and not os.path.exists(os.path.join(top, "build.ninja")):
        top = os.path.dirname(top)
    return top if top != "/" else d


def command(argv, binds=(), env=None):
    """argv run as root inside the root, with binds mounted at their own paths."""
    env = dict(env or {})
    for k in KEEP:
        if k in os.environ and k not in env:
            env[k] = os.environ[k]
    env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    env.setdefault("HOME", "/root")
    r = shlex.quote(ROOT)
    script = ["set -e",
              "mount --make-rprivate /",
              "mount --rbind /dev %s/dev" % r,
              "mount -t proc proc %s/proc" % r,
              "mount --rbind /sys %s/sys" % r,
              "mount -t tmpfs tmpfs %s/tmp" % r]
    for b in binds:
        b = os.path.abspath(b)
        script += ["mkdir -p %s%s" % (r, shlex.quote(b)),
                   "mount --bind %s %s%s" % (shlex.quote(b), r, shlex.quote(b))]
    script.append("exec chroot %s /usr/bin/env -i %s %s" % (
        r, " ".join(shlex.quote("%s=%s" % kv) for kv in sorted(env.items())),
        " ".join(shlex.quote(a) for a in argv)))
    return ["unshare", "--mount", "--fork", "--kill-child=SIGTERM", "/bin/sh", "-c",
            "\n".join(script)]


def main(args):
    binds, env = [], {}
    while args and args[0] != "--":
        if args[0] == "--bind" and len(args) > 1:
            binds.append(args[1])
            args = args[2:]
        elif args[0] == "--env" and len(args) > 1 and "=" in args[1]:
            k, v = args[1].split("=", 1)
            env[k] = v
            args = args[2:]
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    why = available()
    if why:
        print("trixie.py: %s" % why, file=sys.stderr)
        return 77
    cmd = command(args[1:], binds, env)
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
