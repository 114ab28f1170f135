"""Shared pieces of the real-application tests: a private Xvfb, the
environments that select the native driver or the loopback, validation on
both sides, and screenshots.

Every test prints PASS or FAIL with the reason and exits 0 (pass), 1 (fail)
or 77 (skipped: a program it needs is not installed).
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import host_icd  # noqa: E402

SKIP = 77


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(SKIP)


def need(*programs):
    for p in programs:
        if not shutil.which(p):
            skip("%s is not installed (tools/install-deps installs it)" % p)


class Xvfb:
    """A private X server, started and stopped by the test itself."""

    def __init__(self, size="1024x768x24"):
        need("Xvfb")
        r, w = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(w), "-screen", "0", size, "-nolisten", "tcp"],
            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(w)
        data = b""
        deadline = time.time() + 20
        while not data.endswith(b"\n") and time.time() < deadline:
            chunk = os.read(r, 64)
            if not chunk:
                break
            data += chunk
        os.close(r)
        if not data.strip():
            self.close()
            fail("Xvfb did not start")
        self.display = ":" + data.decode().strip()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def native_icd():
    return host_icd.native_icd()


def loopback_icd():
    return os.environ["VL_TEST_LOOPBACK_ICD"]


def driver_env(which, display=None, extra=None):
    """The environment of a run on 'native' (the host driver directly) or
    'loopback' (our ICD)."""
    env = dict(os.environ)
    icd = native_icd() if which == "native" else loopback_icd()
    env["VK_ICD_FILENAMES"] = icd
    env["VK_DRIVER_FILES"] = icd
    env.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())
    if display:
        env["DISPLAY"] = display
    # A sanitized ICD in a program we did not build needs the runtimes first.
    if which == "loopback" and os.environ.get("VL_TEST_PRELOAD"):
        env["LD_PRELOAD"] = " ".join(filter(None, [os.environ["VL_TEST_PRELOAD"],
                                                   env.get("LD_PRELOAD", "")]))
        env["ASAN_OPTIONS"] = "detect_leaks=0"
    if extra:
        env.update(extra)
    return env


class Validation:
    """The Khronos validation layer on both sides of the wire, logging into a
    file: application side through the loader, host side through
    VL_HOST_VALIDATION=1 (whose messages are also marked HOST-SIDE on
    stderr)."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="vl-apps-validation-")
        self.log = os.path.join(self.dir.name, "validation.log")
        with open(os.path.join(self.dir.name, "vk_layer_settings.txt"), "w") as f:
            f.write("khronos_validation.log_filename = %s\n" % self.log)
            f.write("khronos_validation.debug_action = VK_DBG_LAYER_ACTION_LOG_MSG\n")
            f.write("khronos_validation.report_flags = error,warn\n")
            f.write("khronos_validation.enable_message_limit = false\n")

    def env(self, env):
        env = dict(env)
        env["VK_LAYER_SETTINGS_PATH"] = self.dir.name
        env["VK_INSTANCE_LAYERS"] = "VK_LAYER_KHRONOS_validation"
        env["VL_HOST_VALIDATION"] = "1"
        return env

    def messages(self, stderr=""):
        text = open(self.log).read() if os.path.exists(self.log) else ""
        host = [l for l in stderr.splitlines() if "HOST-SIDE" in l]
        return [l for l in text.splitlines() if l.strip()] + host


def renderer_findings(text):
    """The renderer's guard reports and refusals in a loopback run's output
    (renderer/check/: "venus-loopback: report: ..." once per command and
    kind; a refusal loses the context)."""
    return [l for l in text.splitlines()
            if "venus-loopback: report:" in l or "the renderer context is lost" in l]


def no_findings(text, what):
    """A valid application makes the renderer neither report nor refuse."""
    found = renderer_findings(text)
    if found:
        fail("%s: the renderer reported or refused %d time(s) (a valid application makes it do "
             "neither):\n%s" % (what, len(found), "\n".join(found[:10])))
    print("%s: no renderer report or refusal" % what)


def run(cmd, env, timeout=120, check=True):
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        fail("%s exited with %d\n%s%s" % (" ".join(cmd), p.returncode, p.stdout[-2000:],
                                           p.stderr[-2000:]))
    return p


def xwd_pixels(display, window="root"):
    """The pixels of a window as (width, height, bytes)."""
    need("xwd")
    args = ["xwd", "-display", display, "-silent"]
    args += ["-root"] if window == "root" else ["-id", window]
    data = subprocess.run(args, stdout=subprocess.PIPE, check=True).stdout
    header = struct.unpack(">25I", data[:100])
    header_size, width, height, ncolors = header[0], header[4], header[5], header[19]
    return width, height, data[header_size + ncolors * 12:]


def distinct_pixels(pixels, bpp=4):
    return len({pixels[i:i + bpp] for i in range(0, len(pixels), bpp * 7)})


def stopped(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "T"
    except FileNotFoundError:
        return False


def gated_screenshot(cmd, env, display, frame, timeout=60):
    """Runs a Vulkan program until it has presented 'frame', freezes it there
    (tests/apps/present_gate.c), and returns the screen's pixels."""
    env = dict(env)
    env["LD_PRELOAD"] = " ".join(filter(None, [env.get("LD_PRELOAD"),
                                               os.environ["VL_TEST_PRESENT_GATE"]]))
    env["VL_GATE_FRAME"] = str(frame)
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + timeout
    try:
        while not stopped(p.pid):
            if p.poll() is not None:
                out, err = p.communicate()
                fail("%s ended (exit %d) before frame %d\n%s%s" %
                     (" ".join(cmd), p.returncode, frame, out[-2000:], err[-2000:]))
            if time.time() > deadline:
                fail("%s did not reach frame %d in %d s" % (" ".join(cmd), frame, timeout))
            time.sleep(0.05)
        return xwd_pixels(display)
    finally:
        p.kill()
        p.communicate()
