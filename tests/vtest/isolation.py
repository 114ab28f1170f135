#!/usr/bin/env python3
"""Server isolation: one client replays the renderer's fuzz regression
inputs (each of which crashed or hung the host driver once) while other
clients run the integration programs; the programs must pass, with correct
results, and a client after them must still be served.

Run through with_vtest_server.py --expect-crashes with our server under
--guards report, so that the inputs reach the host driver and crash the
processes of their clients (the server's log names each), not the server.

usage: isolation.py TEST_BAD_PEERS REGRESSIONS_DIR PROGRAM...
"""
import os
import subprocess
import sys


def main():
    peers, regressions, programs = sys.argv[1], sys.argv[2], sys.argv[3:]
    inputs = sorted(os.path.join(regressions, f) for f in os.listdir(regressions))
    replay = subprocess.Popen([peers, "--replay"] + inputs)
    failed = []
    for p in programs:
        r = subprocess.run([p], timeout=240)
        print("%s (next to the replay): exit %d" % (os.path.basename(p), r.returncode))
        if r.returncode != 0:
            failed.append(p)
    if replay.wait(timeout=600) != 0:
        failed.append("the replay")
    # and a client afterwards
    r = subprocess.run([programs[0]], timeout=240)
    if r.returncode != 0:
        failed.append(programs[0] + " after the replay")
    if failed:
        print("FAIL isolation: " + ", ".join(failed))
        return 1
    print("PASS isolation: %d fuzz regression inputs replayed beside %d programs, which "
          "passed" % (len(inputs), len(programs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
