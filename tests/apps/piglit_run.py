"""Running piglit tests (Debian package piglit) on zink, natively or through
the loopback.  A list file holds one test per line: "name ::: command", the
form `piglit print-cmd` prints; commands are relative to /usr/bin."""
import concurrent.futures
import os
import re
import subprocess
import time

import apps

ZINK = {"MESA_LOADER_DRIVER_OVERRIDE": "zink", "LIBGL_ALWAYS_SOFTWARE": "1",
        "PIGLIT_SOURCE_DIR": "/usr/lib/x86_64-linux-gnu/piglit"}
RESULT = re.compile(r'PIGLIT: \{"result": "(\w+)"')


def read_list(path):
    tests = []
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#"):
            name, cmd = line.split(" ::: ", 1)
            tests.append((name, cmd))
    return tests


def run_one(cmd, env, timeout=60):
    """'pass', 'fail', 'skip', 'crash' or 'timeout', the seconds taken and the
    output.  A test that could not reach the X server (Xvfb refuses a
    connection now and then under load: "XOpenDisplay failed", "couldn't open
    display") runs again."""
    for attempt in range(3):
        result = run_once(cmd, env, timeout)
        if "XOpenDisplay failed" not in result[2] and "couldn't open display" not in result[2]:
            break
        time.sleep(1)
    return result


def run_once(cmd, env, timeout):
    start = time.time()
    try:
        p = subprocess.run(cmd, shell=True, cwd="/usr/bin", env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=timeout,
                           errors="replace")
    except subprocess.TimeoutExpired:
        return "timeout", time.time() - start, ""
    m = RESULT.findall(p.stdout)
    result = m[-1] if m else "crash"
    if result == "pass" and p.returncode != 0:
        result = "crash"
    return result, time.time() - start, p.stdout


def run_all(tests, which, display, jobs=2, extra=None):
    env = apps.driver_env(which, display, dict(ZINK, **(extra or {})))
    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        futures = {name: ex.submit(run_one, cmd, env) for name, cmd in tests}
        return {name: f.result() for name, f in futures.items()}
