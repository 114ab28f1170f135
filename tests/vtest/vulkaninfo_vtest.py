#!/usr/bin/env python3
"""vulkaninfo through our ICD over vtest agrees with native lavapipe.

Over vtest the ICD speaks pure Venus: it offers only the extensions of the
Venus protocol, so the output cannot equal native's line for line (the
in-process suite checks that).  What must hold instead:

  * vulkaninfo exits 0 and reports the loopback device;
  * every instance and device extension offered is one native offers, at
    the same or a lower revision (or one the ICD implements itself, marked
    "guest" in protocol/extensions.tsv);
  * every section (properties, limits, features, memory and queue
    families, format properties, ...) that both outputs print is identical,
    apart from the lines that name the driver.

Prints how many sections were compared and how many lines differ from
native in total (the extension-dependent parts), as a figure.

usage: vulkaninfo_vtest.py NATIVE_ICD_JSON LOOPBACK_ICD_JSON
(run through with_vtest_server.py, which sets VL_TRANSPORT and VL_VTEST_SOCKET)
"""
import difflib
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import trixie  # noqa: E402

# Names, and the memory budget's live figures (VK_EXT_memory_budget: what the
# system uses at the moment of each run).
NAMING = re.compile(r"\s*(driverName|driverInfo|deviceName|driverVersion|budget|usage)\s*=|"
                    r"venus-loopback")


# Lists of extensions are checked on their own; presentation needs
# window-system integration, which is not part of the Venus protocol.
def guest_extensions():
    """The extensions the ICD implements itself (extensions.tsv: guest)."""
    tsv = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "protocol",
                       "extensions.tsv")
    with open(tsv) as f:
        rows = [l.rstrip("\n").split("\t") for l in f if l.strip() and not l.startswith("#")]
    return {r[0] for r in rows if len(r) > 3 and r[3] == "guest"}


SKIPPED_SECTIONS = ("Extensions", "Layers", "Device Groups", "Group ", "Presentable Surfaces")


VERSION_LINE = re.compile(r"\s*(apiVersion|conformanceVersion)\s*=")


def version_of(lines, key):
    for line in lines:
        m = re.match(r"\s*%s\s*=\s*(\d+)\.(\d+)\.(\d+)" % key, line)
        if m:
            return tuple(int(g) for g in m.groups())
    return None


def device_name(lines):
    for line in lines:
        m = re.match(r"\s*deviceName\s*=\s*(.*)$", line)
        if m:
            return m.group(1).strip()
    return None


def run(icd, in_trixie=False):
    env = dict(os.environ)
    env["VK_ICD_FILENAMES"] = icd
    env["VK_DRIVER_FILES"] = icd
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    cmd = ["vulkaninfo"]
    if in_trixie:
        # The server's host driver is Debian 13's lavapipe: native runs there,
        # and so do we, so that one vulkaninfo (1.4) prints both sides.
        keep = {k: v for k, v in env.items() if k.startswith("VL_") and not k.startswith("VL_TEST_")}
        keep.update({"VK_ICD_FILENAMES": icd, "XDG_RUNTIME_DIR": "/tmp"})
        binds = [trixie.build_folder(icd)] if os.path.exists(icd) else []
        if env.get("VL_VTEST_SOCKET"):
            binds.append(os.path.dirname(env["VL_VTEST_SOCKET"]))
        cmd = trixie.command(cmd, binds=binds, env=keep)
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=150)
    if p.returncode != 0:
        print("FAIL vulkaninfo: exit %d with %s\n%s" % (p.returncode, icd, p.stderr[-3000:]))
        sys.exit(1)
    return p.stdout.splitlines()


def sections(lines):
    """Title -> body; a title is a line underlined by dashes or equals, or
    one that starts at column 0."""
    out, title, body = {}, None, []
    seen = {}
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        underlined = re.match(r"^\s*[-=]{3,}\s*$", nxt)
        if line.strip() and (underlined or (line[0] not in " \t-=")):
            if title:
                out[title] = body
            key = line.strip()
            seen[key] = seen.get(key, 0) + 1
            title, body = "%s #%d" % (key, seen[key]), []
            continue
        if re.match(r"^\s*[-=]{3,}\s*$", line):
            continue
        body.append(line)
    if title:
        out[title] = body
    return out


def extensions(lines, title):
    exts, on = {}, False
    for line in lines:
        if line.startswith(title):
            on = True
            continue
        if on:
            m = re.match(r"^\s+(VK_\w+)\s*:\s*extension revision (\d+)", line)
            if m:
                exts[m.group(1)] = int(m.group(2))
            elif line.strip() and not re.match(r"^\s*[-=]+$", line):
                on = False
    return exts


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    trixie_icd = os.environ.get("VL_TEST_NATIVE_IN_TRIXIE")
    native_env_clean = {k: v for k, v in os.environ.items() if not k.startswith("VL_")}
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(native_env_clean)
    native = run(trixie_icd or saved.get("VL_HOST_ICD") or sys.argv[1], bool(trixie_icd))
    os.environ.clear()
    os.environ.update(saved)
    loop = run(sys.argv[2], bool(trixie_icd))
    if not any("venus-loopback" in line for line in loop):
        print("FAIL vulkaninfo: the loopback device was not reported")
        return 1
    problems = []
    for title in ("Instance Extensions", "Device Extensions"):
        a, b = extensions(native, title), extensions(loop, title)
        if not b and title == "Device Extensions":
            problems.append("no device extension at all")
        for name, rev in sorted(b.items()):
            if name not in a and name in guest_extensions():
                continue
            if name not in a:
                problems.append("%s: %s is not offered natively" % (title, name))
            elif rev > a[name]:
                problems.append("%s: %s revision %d > native %d" % (title, name, rev, a[name]))
    # The ICD reports at most the API version it implements (a newer host's
    # is clamped), and no conformance version above it.
    for key in ("apiVersion", "conformanceVersion"):
        a, b = version_of(native, key), version_of(loop, key)
        if a is None or b is None:
            continue
        if b > a:
            problems.append("%s %s is above native's %s" % (key, b, a))
        if b[:2] > (1, 3):
            problems.append("%s %s is above the Vulkan 1.3 the ICD implements" % (key, b))
        if b != a and b[:2] != (1, 3):
            problems.append("%s %s differs from native's %s but is not the clamp" % (key, b, a))
    native = [l for l in native if not VERSION_LINE.match(l)]
    loop = [l for l in loop if not VERSION_LINE.match(l)]
    sa, sb = sections(native), sections(loop)
    names = [n for n in (device_name(native), device_name(loop)) if n]
    compared = 0
    for title, body in sb.items():
        if title not in sa or any(w in title for w in SKIPPED_SECTIONS):
            continue
        x = [l for l in sa[title] if not NAMING.search(l) and not any(n in l for n in names)]
        y = [l for l in body if not NAMING.search(l) and not any(n in l for n in names)]
        while x and not x[-1].strip():
            x.pop()
        while y and not y[-1].strip():
            y.pop()
        compared += 1
        if x != y:
            d = list(difflib.unified_diff(x, y, "native", "vtest", lineterm="", n=1))
            problems.append("section %s differs:\n%s" % (title, "\n".join(d[:30])))
    total = sum(1 for d in difflib.unified_diff(native, loop, lineterm="", n=0)
                if d[:1] in "+-" and d[:3] not in ("+++", "---"))
    if problems:
        print("FAIL vulkaninfo over vtest: %d problems" % len(problems))
        print("\n".join(problems[:40]))
        return 1
    print("PASS vulkaninfo over vtest: %d sections equal to native's; %d of %d extensions offered; "
          "%d lines differ from native in all (extension-dependent)" %
          (compared, len(extensions(loop, "Device Extensions")),
           len(extensions(native, "Device Extensions")), total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
