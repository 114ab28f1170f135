#!/usr/bin/env python3
"""vulkaninfo through the loopback must equal the native driver's.

Runs `vulkaninfo` twice -- on the native ICD and on the loopback ICD -- and
compares the full text after removing only the lines that name the driver:
the device name (wherever it appears), driverName and driverInfo.  Any other
difference fails, and is printed.

What the loopback does not carry is taken out of the native side first, so
that the comparison holds over any host driver (a GPU offers extensions the
protocol has no commands or structs for): extensions missing from
protocol/extensions.tsv (--extensions) with the sections of the structs
only they define (--vk-xml), and API and conformance versions above the one
the loopback implements (--api-version: what the ICD clamps them to).  An
extension the protocol carries that goes missing still fails.

In layer mode (VK_INSTANCE_LAYERS names VK_LAYER_VENUS_loopback) both runs
may name the same driver: the native one runs without the layer.

usage: vulkaninfo_diff.py [--extensions TSV --vk-xml XML] [--api-version X.Y.Z]
                          [--save DIR] NATIVE_ICD_JSON LOOPBACK_ICD_JSON
"""
import argparse
import difflib
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET


def run(icd, native):
    env = dict(os.environ)
    if native:
        layers = env.get("VK_INSTANCE_LAYERS", "").split(":")
        env["VK_INSTANCE_LAYERS"] = ":".join(l for l in layers if l != "VK_LAYER_VENUS_loopback")
    env["VK_ICD_FILENAMES"] = icd
    env["VK_DRIVER_FILES"] = icd
    env.pop("DISPLAY", None)  # surfaces depend on the window system, not the driver
    env.pop("WAYLAND_DISPLAY", None)
    p = subprocess.run(["vulkaninfo"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120)
    if p.returncode != 0:
        print("FAIL vulkaninfo: exit %d with %s\n%s" % (p.returncode, icd, p.stderr[-2000:]))
        sys.exit(1)
    return p.stdout.splitlines()


def device_name(lines):
    for line in lines:
        m = re.match(r"\s*deviceName\s*=\s*(.*)$", line)
        if m:
            return m.group(1).strip()
    return None


def strip_naming(lines, names):
    out = []
    for line in lines:
        if re.match(r"\s*(driverName|driverInfo|deviceName)\s*=", line):
            continue
        if any(n and n in line for n in names):
            continue
        out.append(line)
    return out


def carried(tsv):
    with open(tsv) as f:
        return {l.split("\t")[0] for l in f if l.strip() and not l.startswith("#")}


def registry_extensions(vk_xml):
    """The extensions this vk.xml defines (extensions.tsv's others are left
    out of a build made from it)."""
    return {e.get("name") for e in ET.parse(vk_xml).getroot().iter("extension")}


def extension_structs(vk_xml):
    """struct name -> the extensions that define it; core structs left out."""
    root = ET.parse(vk_xml).getroot()
    core, by_ext = set(), {}
    for feature in root.findall("feature"):
        for t in feature.iter("type"):
            core.add(t.get("name"))
    for ext in root.iter("extension"):
        for t in ext.iter("type"):
            by_ext.setdefault(t.get("name"), set()).add(ext.get("name"))
    return {k: v for k, v in by_ext.items() if k not in core}


def version(text):
    m = re.match(r"(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(x) for x in m.groups())


def extension_blocks(lines):
    """Indices of the lines of the instance's and the devices' extension
    lists (not the layers'), with the extension each names."""
    found, inside = {}, False
    for i, line in enumerate(lines):
        if re.match(r"\s*(Instance|Device) Extensions: count", line):
            inside = True
            continue
        if inside and not line.strip():
            inside = False
        m = re.match(r"\s*(VK_\w+)\s*: extension revision", line) if inside else None
        if m:
            found[i] = m.group(1)
    return found


def normalize(lines, loop, keep, structs, api):
    """The native lines, less what the loopback does not carry: extensions
    it lacks that the protocol has no place for, the sections of their
    structs, and versions above the one it implements."""
    in_loop = set(extension_blocks(loop).values())
    dropped = {e for e in extension_blocks(lines).values()
               if e not in in_loop and (keep is None or e not in keep)} if keep is not None else set()
    drop_lines = {i for i, e in extension_blocks(lines).items() if e in dropped}
    out = [l for i, l in enumerate(lines) if i not in drop_lines]
    result, skip, i = [], False, 0
    while i < len(out):
        line = out[i]
        m = re.match(r"\s*(Vk\w+):$", line)
        if (m and i + 1 < len(out) and out[i + 1].strip().startswith("---") and
                structs.get(m.group(1)) and structs[m.group(1)] <= dropped):
            skip = True
        if skip:
            if not line.strip():
                skip = False
            i += 1
            continue
        result.append(line)
        i += 1
    if not api:
        return result
    api_num = (api[0] << 22) | (api[1] << 12) | api[2]
    final, conformance = [], 0
    for line in result:
        m = re.match(r"(\s*apiVersion\s*=\s*)(\d+\.\d+\.\d+) \((\d+)\)$", line)
        if m and int(m.group(3)) > api_num:
            line = "%s%d.%d.%d (%d)" % (m.group(1), api[0], api[1], api[2], api_num)
        if re.match(r"\s*conformanceVersion:?\s*$", line):
            conformance = 4
            block = []
        elif conformance:
            block.append(line)
            conformance -= 1
            if not conformance:
                vals = [int(x.split("=")[1]) for x in block]
                if (vals[0], vals[1]) > api[:2]:
                    vals = [api[0], api[1], 0, 0]
                final += [re.sub(r"=\s*\d+$", "= %d" % v, b) for b, v in zip(block, vals)]
            continue
        final.append(line)
    return final


def uncounted(lines):
    """Extension list headers without their counts, and extension lines
    without the padding vulkaninfo aligns a list with (it depends on the
    longest name listed); the lists themselves are compared line by line."""
    out = [re.sub(r"(Extensions: count =) \d+", r"\1 N", l) for l in lines]
    return [re.sub(r"^(\s*VK_\w+)\s*: extension revision", r"\1 : extension revision", l)
            for l in out]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--extensions")
    ap.add_argument("--vk-xml")
    ap.add_argument("--api-version")
    ap.add_argument("--save", help="a folder to write both outputs into")
    ap.add_argument("native")
    ap.add_argument("loopback")
    args = ap.parse_args()
    keep = carried(args.extensions) if args.extensions else None
    if keep is not None and args.vk_xml:
        keep &= registry_extensions(args.vk_xml)
    structs = extension_structs(args.vk_xml) if args.vk_xml else {}
    api = version(args.api_version) if args.api_version else None
    native = run(os.environ.get("VL_HOST_ICD") or args.native, True)
    loop = run(args.loopback, False)
    if args.save:
        for name, lines in (("native", native), ("loopback", loop)):
            with open(os.path.join(args.save, "vulkaninfo-%s.txt" % name), "w") as f:
                f.write("\n".join(lines) + "\n")
    names = [device_name(native), device_name(loop), "venus-loopback"]
    if not names[1] or "venus-loopback" not in names[1]:
        print("FAIL vulkaninfo: the loopback run did not report the loopback device (%r)" % names[1])
        return 1
    reference = normalize(native, loop, keep, structs, api)
    a, b = strip_naming(uncounted(reference), names), strip_naming(uncounted(loop), names)
    if a != b:
        diff = list(difflib.unified_diff(a, b, "native", "loopback", lineterm="", n=2))
        print("FAIL vulkaninfo: %d lines differ beyond the driver's name" % sum(
            1 for d in diff if d[:1] in "+-" and d[:3] not in ("+++", "---")))
        print("\n".join(diff[:200]))
        return 1
    print("PASS vulkaninfo: %d lines equal to the native driver's (%d naming lines removed, %d "
          "lines of what the loopback does not carry or clamps)" %
          (len(a), len(reference) - len(a), len(native) - len(reference)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
