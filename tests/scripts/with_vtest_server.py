#!/usr/bin/env python3
"""Runs a Vulkan program over vtest, against a vtest server of its own.

Starts the server on a private socket, waits until it accepts connections,
runs the program with the guest driver pointed at that socket, and always
stops the server afterwards (its whole process group, by id).  The program's
exit status is the result (77 is meson's "skipped"); with our server, a client
process that crashed makes the run fail even when the program passed.

Servers:
  --server ours PATH [ARGS...]
                       tools/vtest/vl-vtest-server at PATH, with ARGS
                       (e.g. --wire-format 0)
  --server-in-trixie   run our server inside the Debian 13 root, over
                       lavapipe 25 (the host driver virglrenderer 1.1 has)
  --server virgl       Debian 12's virgl_test_server --venus (virglrenderer
                       0.10.4, wire format 0), lavapipe as host driver
                       (skipped when it is not installed)
  --server virgl11     Debian 13's virgl_test_server (virglrenderer 1.1, wire
                       format 1) inside the root tools/trixie-roots builds,
                       lavapipe 25 as host driver (skipped without the root)
  Neither virglrenderer can map host-visible memory on lavapipe here (it
  refuses opaque fds; 1.1 also needs dma-bufs this kernel cannot make), so
  against them VKT_SKIP_UNMAPPABLE=1 makes a test that needs mapping skip,
  with that reason.

Guests:
  --guest ours         (default) our ICD, VL_TRANSPORT=vtest
  --guest mesa         Mesa 25's venus driver (virtio_icd.json) inside the
                       Debian 13 root: the program runs there, with the build
                       folder bind-mounted at its own path

  --skip REASON        do not run: print the reason and exit 77
  --expect-abort       the program must die of SIGABRT (a guest that aborts on
                       a FATAL ring), and the server must have dropped the
                       context
  --expect-crashes     (our server) client processes are meant to crash: the
                       run passes when the program passes, at least one
                       crash was logged with its client's number, and the
                       server was still serving (its crash lines are printed)
  --timeout SECONDS    the program's limit (default 240); past it the run
                       fails with the server's log

usage: with_vtest_server.py --server ... [--guest ours|mesa] [--skip REASON]
                            -- PROGRAM [ARGS...]
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import host_icd
import trixie

SKIP = 77
TRIXIE_LAVAPIPE = "/usr/share/vulkan/icd.d/lvp_icd.json"
TRIXIE_VENUS = "/usr/share/vulkan/icd.d/virtio_icd.json"


class Stop(Exception):
    pass


def on_signal(signum, frame):
    raise Stop("signal %d" % signum)


def wait_listening(path, server, timeout=30.0):
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
    """Stops the server and everything it started (its process group)."""
    if server.poll() is None:
        try:
            os.killpg(server.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            server.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(server.pid, signal.SIGKILL)  # stragglers: clients' workers
    except ProcessLookupError:
        pass
    if server.returncode is None:
        server.wait()
    return server.returncode


def parse(args):
    o = {"server": None, "server_args": [], "guest": "ours", "skip": None, "timeout": 240,
         "server_in_trixie": False, "expect_abort": False, "expect_crashes": False}
    while args and args[0] != "--":
        a = args[0]
        if a == "--server" and len(args) >= 2 and args[1] == "ours" and len(args) >= 3:
            o["server"], o["binary"], args = "ours", args[2], args[3:]
            # server arguments up to the next option of ours
            while args and args[0] not in ("--", "--guest", "--skip", "--timeout",
                                           "--server-in-trixie", "--expect-abort",
                                           "--expect-crashes"):
                o["server_args"].append(args[0])
                args = args[1:]
        elif a == "--server" and len(args) >= 2 and args[1] in ("virgl", "virgl11"):
            o["server"], args = args[1], args[2:]
        elif a == "--expect-abort":
            o["expect_abort"], args = True, args[1:]
        elif a == "--expect-crashes":
            o["expect_crashes"], args = True, args[1:]
        elif a == "--server-in-trixie":
            o["server_in_trixie"], args = True, args[1:]
        elif a == "--guest" and len(args) >= 2 and args[1] in ("ours", "mesa"):
            o["guest"], args = args[1], args[2:]
        elif a == "--skip" and len(args) >= 2:
            o["skip"], args = args[1], args[2:]
        elif a == "--timeout" and len(args) >= 2:
            o["timeout"], args = float(args[1]), args[2:]
        else:
            return None, None
    if not o["server"] or len(args) < 2:
        return None, None
    return o, args[1:]


def main():
    o, program = parse(sys.argv[1:])
    if not o:
        print(__doc__)
        return 2
    if o["skip"]:
        print("SKIP: %s" % o["skip"])
        return SKIP
    in_trixie = o["server"] == "virgl11" or o["guest"] == "mesa" or o["server_in_trixie"]
    if in_trixie:
        why = trixie.available()
        if why:
            print("SKIP: %s" % why)
            return SKIP

    native = host_icd.native_icd()
    server_env = dict(os.environ)
    for k in ("VL_TRANSPORT", "VL_VTEST_SOCKET", "VK_INSTANCE_LAYERS", "LD_PRELOAD"):
        server_env.pop(k, None)
    # the server's own host driver, never our ICD
    server_env["VK_ICD_FILENAMES"] = native
    server_env["VK_DRIVER_FILES"] = native
    if o["server"] == "virgl":
        exe = shutil.which("virgl_test_server")
        if not exe:
            print("SKIP: virgl_test_server is not installed (Debian package virgl-server)")
            return SKIP
        # no /dev/dri here: EGL surfaceless with software GL
        server_env["LIBGL_ALWAYS_SOFTWARE"] = "1"
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    # The socket folder must be reachable from the Debian 13 root (bound
    # at the same path): not under the root's own private /tmp.
    with tempfile.TemporaryDirectory(prefix="vl-vtest-", dir="/var/tmp" if in_trixie else None) as d:
        path = os.path.join(d, "sock")
        log_path = os.path.join(d, "server.log")
        if o["server"] == "ours" and o["server_in_trixie"]:
            binary = os.path.abspath(o["binary"])
            cmd = trixie.command([binary, "--socket-path", path] + o["server_args"],
                                 binds=[d, trixie.build_folder(binary)],
                                 env={"VK_ICD_FILENAMES": TRIXIE_LAVAPIPE})
        elif o["server"] == "ours":
            cmd = [o["binary"], "--socket-path", path] + o["server_args"]
        elif o["server"] == "virgl":
            cmd = [exe, "--venus", "--use-egl-surfaceless", "--socket-path=" + path]
        else:
            cmd = trixie.command(
                ["virgl_test_server", "--venus", "--use-egl-surfaceless", "--socket-path=" + path],
                binds=[d],
                env={"VK_ICD_FILENAMES": TRIXIE_LAVAPIPE, "LIBGL_ALWAYS_SOFTWARE": "1"})
        log = open(log_path, "w")
        server = subprocess.Popen(cmd, env=server_env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        status, crashed = 1, False
        try:
            problem = wait_listening(path, server)
            if problem:
                print("FAIL: %s: %s" % (" ".join(cmd), problem))
                return 1
            env = dict(os.environ)
            if o["server"] != "ours":
                env["VKT_SKIP_UNMAPPABLE"] = "1"
            if o["server"] == "virgl11" or o["server_in_trixie"]:
                # its host driver is Debian 13's lavapipe: the native side of
                # a comparison runs there
                env["VL_TEST_NATIVE_IN_TRIXIE"] = TRIXIE_LAVAPIPE
            if o["guest"] == "ours":
                env["VL_TRANSPORT"] = "vtest"
                env["VL_VTEST_SOCKET"] = path
                run = program
            else:
                program = [os.path.abspath(program[0])] + program[1:]
                keep = {k: v for k, v in env.items()
                        if k.startswith(("VKT_", "VL_TEST_", "VN_")) or k in ("XDG_RUNTIME_DIR",)}
                keep.update({"VK_ICD_FILENAMES": TRIXIE_VENUS, "VK_DRIVER_FILES": TRIXIE_VENUS,
                             "VN_DEBUG": "vtest" + ("," + env["VN_DEBUG"] if env.get("VN_DEBUG")
                                                    else ""),
                             "VTEST_SOCKET_NAME": path,
                             "VL_TEST_NATIVE_ICD": TRIXIE_LAVAPIPE,
                             "XDG_RUNTIME_DIR": "/tmp"})
                run = trixie.command(program, binds=[d, trixie.build_folder(program[0])], env=keep)
            start = time.monotonic()
            try:
                p = subprocess.run(run, env=env, timeout=o["timeout"])
                status = p.returncode
            except subprocess.TimeoutExpired:
                print("FAIL: %s did not finish within %.0f s" % (program[0], o["timeout"]))
                status = 1
            print("vtest (%s server, %s guest): %s exited with %d after %.2f s" %
                  (o["server"], o["guest"], os.path.basename(program[0]), status,
                   time.monotonic() - start))
        except Stop as e:
            print("FAIL: stopped by %s" % e)
            status = 1
        finally:
            code = stop(server)
            log.close()
            text = open(log_path, errors="replace").read()
            if o["expect_abort"]:
                aborted = status in (-signal.SIGABRT, 128 + signal.SIGABRT)
                dropped = "closing its connection" in text or "context is lost" in text
                print("%s: the guest %s, the server %s its context" %
                      ("PASS" if aborted and dropped else "FAIL",
                       "aborted (SIGABRT) at the FATAL status" if aborted
                       else "exited with %d instead of aborting" % status,
                       "dropped" if dropped else "did not drop"))
                status = 0 if aborted and dropped else 1
            if o["expect_crashes"]:
                lines = [l for l in text.splitlines() if "CRASH: the process of client" in l]
                for l in lines:
                    print("server: " + l)
                print("%d client process(es) crashed; the server logged each with its client" %
                      len(lines))
                if not lines:
                    print("FAIL: no client process crashed: the run showed no isolation")
                    status = 1
            elif o["server"] == "ours" and code != 0:
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
