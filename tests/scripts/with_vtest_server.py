#!/usr/bin/env python3
"""Runs a program through our ICD over vtest, against a vtest server of its own.

Starts the server on a private socket, waits until it accepts connections,
runs the program with VL_TRANSPORT=vtest and VL_VTEST_SOCKET set, and always
stops the server afterwards.  The program's exit status is the result (77 is
meson's "skipped"); with our server, a client process that crashed makes the
run fail even when the program passed.

  --server ours PATH   tools/vtest/vl-vtest-server at PATH
  --server virgl       Debian's virgl_test_server --venus, lavapipe as host
                       driver (skipped when it is not installed).  It cannot
                       map host-visible memory on lavapipe, so the run sets
                       VKT_SKIP_UNMAPPABLE=1: a test that needs mapping skips.
  --skip REASON        do not run: print the reason and exit 77

usage: with_vtest_server.py --server ours PATH | --server virgl [--skip REASON] -- PROGRAM [ARGS...]
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

import host_icd
import time

SKIP = 77


class Stop(Exception):
    pass


def on_signal(signum, frame):
    raise Stop("signal %d" % signum)


def wait_listening(path, server, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return "the server exited with status %d before it listened" % server.returncode
        if os.path.exists(path):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return None
            except OSError:
                pass
            finally:
                s.close()
        time.sleep(0.02)
    return "the server did not listen on %s within %.0f s" % (path, timeout)


def stop(server, timeout=15.0):
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return server.returncode


def main():
    args = sys.argv[1:]
    kind, binary, reason = None, None, None
    while args and args[0] != "--":
        if args[0] == "--server" and len(args) >= 2 and args[1] == "ours" and len(args) >= 3:
            kind, binary, args = "ours", args[2], args[3:]
        elif args[0] == "--server" and len(args) >= 2 and args[1] == "virgl":
            kind, args = "virgl", args[2:]
        elif args[0] == "--skip" and len(args) >= 2:
            reason, args = args[1], args[2:]
        else:
            print(__doc__)
            return 2
    if not kind or len(args) < 2:
        print(__doc__)
        return 2
    program = args[1:]
    if reason:
        print("SKIP: %s" % reason)
        return SKIP

    native = host_icd.native_icd()
    server_env = dict(os.environ)
    for k in ("VL_TRANSPORT", "VL_VTEST_SOCKET", "VK_INSTANCE_LAYERS", "LD_PRELOAD"):
        server_env.pop(k, None)
    # the server's own host driver, never our ICD
    server_env["VK_ICD_FILENAMES"] = native
    server_env["VK_DRIVER_FILES"] = native
    if kind == "virgl":
        exe = shutil.which("virgl_test_server")
        if not exe:
            print("SKIP: virgl_test_server is not installed (Debian package virgl-server)")
            return SKIP
        # no /dev/dri here: EGL surfaceless with software GL
        server_env["LIBGL_ALWAYS_SOFTWARE"] = "1"
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    with tempfile.TemporaryDirectory(prefix="vl-vtest-") as d:
        path = os.path.join(d, "sock")
        log_path = os.path.join(d, "server.log")
        if kind == "ours":
            cmd = [binary, "--socket-path", path]
        else:
            cmd = [exe, "--venus", "--use-egl-surfaceless", "--socket-path=" + path]
        log = open(log_path, "w")
        server = subprocess.Popen(cmd, env=server_env, stdout=log, stderr=subprocess.STDOUT)
        status, crashed = 1, False
        try:
            problem = wait_listening(path, server)
            if problem:
                print("FAIL: %s: %s" % (" ".join(cmd), problem))
                return 1
            env = dict(os.environ)
            env["VL_TRANSPORT"] = "vtest"
            env["VL_VTEST_SOCKET"] = path
            if kind == "virgl":
                env["VKT_SKIP_UNMAPPABLE"] = "1"
            start = time.monotonic()
            p = subprocess.run(program, env=env)
            status = p.returncode
            print("vtest (%s server): %s exited with %d after %.2f s" %
                  (kind, os.path.basename(program[0]), status, time.monotonic() - start))
        except Stop as e:
            print("FAIL: stopped by %s" % e)
            status = 1
        finally:
            code = stop(server)
            log.close()
            text = open(log_path).read()
            if kind == "ours" and code != 0:
                crashed = True
            if crashed or status not in (0, SKIP):
                print("---- server log (%s, exit status %s) ----" % (" ".join(cmd), code))
                print(text[-8000:])
        if crashed:
            print("FAIL: the server exited with status %s (a client process crashed)" % code)
            return 1
        return status


if __name__ == "__main__":
    sys.exit(main())
