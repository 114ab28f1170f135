#!/usr/bin/env python3
"""Our ICD against vtest servers that misbehave: each gets one clear message
and a failure the application can handle, within a bounded time, never a
hang or a crash.

A small fake server (below) speaks just enough vtest for the handshake and
then misbehaves in one way:

  wire-format-7   announces a Venus wire format nobody speaks
  short-capset    sends an 8-byte venus capset (every server sends >= 156)
  no-venus        has no venus capset (virgl_test_server without --venus)
  silent          completes the handshake, then never answers a call (as
                  virglrenderer 1.1 does once it marked a context fatal: the
                  socket stays open, the syncs never signal)
  closes          closes the connection in the middle of the first call

The probe is `vulkaninfo --summary` through our ICD (VL_TRANSPORT=vtest,
VL_VTEST_TIMEOUT=2): it must fail, our message must say what is wrong, and
it must end within 20 s.

usage: test_bad_servers.py LOOPBACK_ICD_JSON
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

CAPSET = struct.pack("<5I", 1, (1 << 22) | (3 << 12) | 239, 1, 2, 1) + b"\0" * 128 + \
    struct.pack("<3I", 1, 1, 0)
assert len(CAPSET) == 160


def words(*w):
    return struct.pack("<%dI" % len(w), *w)


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def serve(conn, mode):
    """One client: the handshake, then the mode's misbehaviour."""
    keep = []
    while True:
        length, cmd = struct.unpack("<2I", recv_exact(conn, 8))
        payload = recv_exact(conn, length if cmd == 8 else length * 4)
        if cmd == 10:        # PING_PROTOCOL_VERSION
            conn.sendall(words(0, 10))
        elif cmd == 7:       # RESOURCE_BUSY_WAIT
            conn.sendall(words(1, 7, 0))
        elif cmd == 11:      # PROTOCOL_VERSION
            conn.sendall(words(1, 11, 3))
        elif cmd == 15:      # GET_PARAM: a foreign server knows none of ours
            conn.sendall(words(2, 15, 0, 0))
        elif cmd == 16:      # GET_CAPSET
            if mode == "no-venus":
                conn.sendall(words(1, 16, 0))
            elif mode == "short-capset":
                conn.sendall(words(3, 16, 1, 1, 0))
            else:
                caps = bytearray(CAPSET)
                if mode == "wire-format-7":
                    caps[0:4] = struct.pack("<I", 7)
                conn.sendall(words(1 + len(caps) // 4, 16, 1) + bytes(caps))
        elif cmd == 19:      # SYNC_CREATE
            conn.sendall(words(1, 19, 1))
        elif cmd == 18:      # RESOURCE_CREATE_BLOB: shared memory
            size = struct.unpack("<6I", payload)[2]
            fd = os.memfd_create("fake-vtest")
            os.ftruncate(fd, size)
            keep.append(fd)
            conn.sendall(words(1, 18, len(keep)))
            socket.send_fds(conn, [b"\0"], [fd])
        elif cmd == 24:      # SUBMIT_CMD2: accepted, never executed
            if mode == "closes":
                conn.close()
                return
        elif cmd == 23:      # SYNC_WAIT: an fd that never becomes readable
            efd = os.eventfd(0)
            keep.append(efd)
            conn.sendall(words(0, 23))
            socket.send_fds(conn, [b"\0"], [efd])
        # CONTEXT_INIT, CREATE_RENDERER, RESOURCE_UNREF: no answer


def server(path, mode, stop):
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(4)
    lsock.settimeout(0.2)
    conns = []
    while not stop.is_set():
        try:
            conn, _ = lsock.accept()
        except socket.timeout:
            continue
        conns.append(conn)
        threading.Thread(target=lambda c=conn: guarded(serve, c, mode), daemon=True).start()
    for c in conns:
        c.close()
    lsock.close()


def guarded(fn, *args):
    try:
        fn(*args)
    except (EOFError, OSError):
        pass


CASES = [
    ("wire-format-7", "speaks Venus wire format 7; this driver speaks 0 and 1"),
    ("short-capset", "sent a venus capset of 8 bytes"),
    ("no-venus", "offers no venus capset"),
    ("silent", "has not answered a call for 2 s"),
    ("closes", "the server closed the connection"),
]


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    icd = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory(prefix="vl-badsrv-") as d:
        for mode, expect in CASES:
            path = os.path.join(d, mode)
            stop = threading.Event()
            t = threading.Thread(target=server, args=(path, mode, stop), daemon=True)
            t.start()
            while not os.path.exists(path):
                time.sleep(0.01)
            env = dict(os.environ, VK_ICD_FILENAMES=icd, VK_DRIVER_FILES=icd, VL_TRANSPORT="vtest",
                       VL_VTEST_SOCKET=path, VL_VTEST_TIMEOUT="2")
            start = time.monotonic()
            try:
                p = subprocess.run(["vulkaninfo", "--summary"], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, timeout=20)
                out, code = p.stdout, p.returncode
            except subprocess.TimeoutExpired as e:
                out, code = (e.stdout or b"").decode(errors="replace"), None
            took = time.monotonic() - start
            stop.set()
            t.join()
            ours = [line for line in out.splitlines() if line.startswith("venus-loopback:")]
            if code is None:
                failures.append("%s: vulkaninfo still ran after 20 s" % mode)
            elif code == 0:
                failures.append("%s: vulkaninfo succeeded" % mode)
            elif code < 0:
                failures.append("%s: vulkaninfo died of signal %d" % (mode, -code))
            elif not any(expect in line for line in ours):
                failures.append("%s: no message saying \"%s\"; ours: %s" % (mode, expect, ours))
            else:
                print("  %-14s %.1f s: %s" % (mode, took, ours[0][:150]))
    if failures:
        print("FAIL bad vtest servers:\n  " + "\n  ".join(failures))
        return 1
    print("PASS bad vtest servers: %d kinds, each one message and a failure the application "
          "sees" % len(CASES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
