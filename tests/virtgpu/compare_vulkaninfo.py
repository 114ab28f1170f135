#!/usr/bin/env python3
"""Mesa's venus and ours, on the same virtio-gpu device, must describe the
same device.

Reads what the guest wrote into the results folder of a tools/virtgpu-vm
boot (tests/virtgpu/run_virtgpu.py writes the commands that produce them):

  mesa-vulkaninfo.json  mesa-vulkaninfo.txt    Mesa 25's venus driver
  ours-vulkaninfo.json  ours-vulkaninfo.txt    our ICD, VL_TRANSPORT=virtgpu

(.json: `vulkaninfo --json -o FILE`, the Vulkan profiles format; .txt: the
full text, for the memory types, which the profile lacks.)

Compared, and a difference fails:
  * the device extensions the Venus protocol carries (protocol/extensions.tsv,
    origins venus and venus1, less those this build's vk.xml lacks), with
    their spec versions;
  * VkPhysicalDeviceLimits and the sparse properties;
  * the memory heaps (size, flags) and memory types (heap, property flags).
Reported only (no failure): the other properties, features, formats and
queue families, and apiVersion.  The driver's identity is set aside
everywhere: deviceName, driverName, driverInfo, driverID, driverVersion,
conformanceVersion, the UUIDs and LUID, pipelineCacheUUID.

usage: compare_vulkaninfo.py RESULTS_DIR [--extensions protocol/extensions.tsv]
                             [--server VL_VTEST_SERVER] [--absent EXT...]

--server asks vl-vtest-server --protocol which extensions this build's vk.xml
lacks; --absent names them directly.

Exit status: 0 equal, 1 different (or unreadable), 3 a side is missing
(its files are not there: the run did not produce them), printed as MISSING.
"""
import json
import os
import re
import subprocess
import sys

IDENTITY = {
    "deviceName", "driverName", "driverInfo", "driverID", "driverVersion",
    "conformanceVersion", "pipelineCacheUUID", "deviceUUID", "driverUUID", "deviceLUID",
    "deviceLUIDValid", "deviceNodeMask",
}
MISSING = 3

# Where the two drivers choose differently on purpose, and why; these
# differences are printed, not failed.  Everything else must agree.
EXPLAINED = {
    # extensions Mesa's venus offers that ours does not
    "VK_EXT_pci_bus_info": "Mesa answers it from the guest's own virtio-gpu PCI device; ours "
                           "describes the host's device and leaves the guest's bus out",
    # extensions ours offers that Mesa's venus does not
    "VK_EXT_memory_budget": "ours passes the host driver's budget through; Mesa's venus does not "
                            "offer it",
    "VK_KHR_synchronization2": "Mesa's venus reports Vulkan 1.2 on this renderer and leaves the "
                               "extension out; ours reports 1.3, where it is core, and the host "
                               "offers it",
    # sparse resources
    "sparse": "Mesa's venus turns sparse resources off (its own choice for virtio-gpu); ours passes "
              "the host driver's sparse properties, and vkQueueBindSparse travels like any command",
}


def explained(key):
    for k, why in EXPLAINED.items():
        if key == k or key.startswith(k + ".") or key.startswith(k):
            return why
    return None


def protocol_extensions(tsv, absent):
    names = set()
    with open(tsv) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3 and parts[2] in ("venus", "venus1"):
                names.add(parts[0])
    return names - set(absent)


def absent_from_server(server):
    out = subprocess.run([server, "--protocol"], stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    for line in out.splitlines():
        if line.startswith("absent from this build's vk.xml:"):
            return line.split(":", 1)[1].split()
    return []


def load(results, side):
    """(device dict from the profile, text lines) or None when absent."""
    jpath = os.path.join(results, side + "-vulkaninfo.json")
    tpath = os.path.join(results, side + "-vulkaninfo.txt")
    if not os.path.exists(jpath) or not os.path.exists(tpath) or not os.path.getsize(jpath):
        return None
    with open(jpath) as f:
        data = json.load(f)
    with open(tpath, errors="replace") as f:
        text = f.read().splitlines()
    return data["capabilities"]["device"], text


def memory(text):
    """{'heaps': [(size, flags)], 'types': [(heap, flags)]} from vulkaninfo's
    text (its VkPhysicalDeviceMemoryProperties section, first device)."""
    heaps, types = [], []
    cur = None
    in_section = False
    for line in text:
        s = line.strip()
        if s.startswith("VkPhysicalDeviceMemoryProperties"):
            if in_section:
                break  # a second device
            in_section = True
            continue
        if not in_section:
            continue
        if re.match(r"^memoryHeaps\[\d+\]:$", s):
            cur = {"kind": "heap", "size": None, "flags": []}
            heaps.append(cur)
        elif re.match(r"^memoryTypes\[\d+\]:$", s):
            cur = {"kind": "type", "heap": None, "flags": None}
            types.append(cur)
        elif cur is not None and s.startswith("size"):
            m = re.match(r"size\s*=\s*(\d+)", s)
            cur["size"] = int(m.group(1)) if m else s
        elif cur is not None and s.startswith("heapIndex"):
            cur["heap"] = int(s.split("=")[1])
        elif cur is not None and s.startswith("propertyFlags"):
            m = re.match(r"propertyFlags\s*=\s*(0x[0-9a-fA-F]+)", s)
            cur["flags"] = int(m.group(1), 16) if m else s
        elif cur is not None and cur["kind"] == "heap" and re.match(r"^MEMORY_HEAP_\w+$", s):
            cur["flags"].append(s)
        elif s.startswith("usable for") and cur is not None:
            cur = None  # the rest of the type is formats
        elif s and not line.startswith(("\t", " ")) and not s.startswith(
                ("memoryHeaps", "memoryTypes", "=")):
            break  # the next section
    return {"heaps": [(h["size"], tuple(sorted(h["flags"]))) for h in heaps],
            "types": [(t["heap"], t["flags"]) for t in types]}


def flatten(obj, prefix=""):
    out = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in IDENTITY:
                continue
            out.update(flatten(v, "%s.%s" % (prefix, k) if prefix else k))
    else:
        out[prefix] = obj
    return out


def diff_dicts(a, b):
    keys = sorted(set(a) | set(b))
    return [(k, a.get(k, "(absent)"), b.get(k, "(absent)")) for k in keys if a.get(k) != b.get(k)]


def show(title, diffs, limit=40):
    print("  %s: %d difference(s)" % (title, len(diffs)))
    for k, x, y in diffs[:limit]:
        print("    %-60s mesa %-20s ours %s" % (k, json.dumps(x)[:60], json.dumps(y)[:60]))
    if len(diffs) > limit:
        print("    ... %d more" % (len(diffs) - limit))


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    results = argv[0]
    here = os.path.dirname(os.path.abspath(__file__))
    tsv = os.path.join(here, "..", "..", "protocol", "extensions.tsv")
    absent = []
    i = 1
    while i < len(argv):
        if argv[i] == "--extensions" and i + 1 < len(argv):
            tsv = argv[i + 1]
            i += 2
        elif argv[i] == "--server" and i + 1 < len(argv):
            absent += absent_from_server(argv[i + 1])
            i += 2
        elif argv[i] == "--absent":
            absent += argv[i + 1:]
            break
        else:
            print(__doc__)
            return 2

    sides = {}
    for side in ("mesa", "ours"):
        try:
            sides[side] = load(results, side)
        except (OSError, ValueError, KeyError) as e:
            print("FAIL vulkaninfo comparison: %s's files are unreadable: %s" % (side, e))
            return 1
    missing = [s for s, v in sides.items() if v is None]
    if missing:
        for s in missing:
            print("MISSING vulkaninfo comparison: no %s-vulkaninfo.json/.txt in %s (%s)" % (
                s, results, "Mesa's venus run did not produce them" if s == "mesa" else
                "our ICD over VL_TRANSPORT=virtgpu did not produce them"))
        return MISSING

    (mdev, mtext), (odev, otext) = sides["mesa"], sides["ours"]
    carried = protocol_extensions(tsv, absent)
    failing = 0

    # extensions the protocol carries
    mext = {k: v for k, v in mdev.get("extensions", {}).items() if k in carried}
    oext = {k: v for k, v in odev.get("extensions", {}).items() if k in carried}
    d = diff_dicts(mext, oext)
    show("device extensions the protocol carries (%d on Mesa's side, %d on ours)" % (
        len(mext), len(oext)), d)
    failing += sum(1 for k, _, _ in d if not explained(k))

    # limits and sparse properties
    mp = mdev["properties"]["VkPhysicalDeviceProperties"]
    op = odev["properties"]["VkPhysicalDeviceProperties"]
    d = diff_dicts(flatten(mp.get("limits", {})), flatten(op.get("limits", {})))
    d += diff_dicts(flatten(mp.get("sparseProperties", {}), "sparse"),
                    flatten(op.get("sparseProperties", {}), "sparse"))
    show("VkPhysicalDeviceLimits and sparse properties", d)
    failing += sum(1 for k, _, _ in d if not explained(k))
    for key in sorted({explained(k) for k, _, _ in (diff_dicts(mext, oext) + d) if explained(k)}):
        print("  explained: %s" % key)

    # memory
    mm, om = memory(mtext), memory(otext)
    d = []
    for what in ("heaps", "types"):
        a, b = mm[what], om[what]
        for n in range(max(len(a), len(b))):
            x = a[n] if n < len(a) else "(absent)"
            y = b[n] if n < len(b) else "(absent)"
            if x != y:
                d.append(("memory%s[%d]" % (what.capitalize(), n), x, y))
    if not mm["types"]:
        d.append(("memoryTypes", "(none parsed from mesa-vulkaninfo.txt)", len(om["types"])))
    show("memory heaps (%d) and types (%d)" % (len(mm["heaps"]), len(mm["types"])), d)
    failing += len(d)

    # reported only
    print("  reported only (not failing):")
    if mp.get("apiVersion") != op.get("apiVersion"):
        def v(x):
            return "%d.%d.%d" % (x >> 22, (x >> 12) & 0x3ff, x & 0xfff) if isinstance(x, int) else x
        print("    apiVersion: mesa %s, ours %s" % (v(mp.get("apiVersion")), v(op.get("apiVersion"))))
    for key in ("properties", "features", "formats", "queueFamiliesProperties"):
        a = flatten({k: v for k, v in (mdev.get(key) or {}).items()
                     if k != "VkPhysicalDeviceProperties"} if isinstance(mdev.get(key), dict)
                    else {"list": mdev.get(key)})
        b = flatten({k: v for k, v in (odev.get(key) or {}).items()
                     if k != "VkPhysicalDeviceProperties"} if isinstance(odev.get(key), dict)
                    else {"list": odev.get(key)})
        dd = diff_dicts(a, b)
        print("    %s: %d of %d entries differ%s" % (
            key, len(dd), len(set(a) | set(b)),
            (": " + ", ".join(k for k, _, _ in dd[:8]) + (" ..." if len(dd) > 8 else ""))
            if dd else ""))

    if failing:
        print("FAIL vulkaninfo comparison: %d difference(s) between Mesa's venus and ours on the "
              "same virtio-gpu device" % failing)
        return 1
    print("PASS vulkaninfo comparison: Mesa's venus and ours agree on %d protocol extensions, the "
          "limits and %d memory types" % (len(mext), len(mm["types"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
