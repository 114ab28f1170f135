#!/usr/bin/env python3
"""Dependencies point one way: common <- protocol <- renderer <- transport <-
icd <- layer, and tools/, tests/ and bench/ use public headers only.

Every `#include "..."` of the project's C files is checked against the
folder of the header it names (generated headers count as their
generator's folder):

  common/     common
  protocol/   common, protocol
  renderer/   common, protocol, renderer
  transport/  common, protocol, transport, and the renderer's public header
  icd/        common, protocol, icd, and the public headers of renderer and
              transport
  layer/      the same, and icd (layer mode sits on top of the guest core)
  tools/, tests/, bench/: common, protocol, each other's headers (a test
              of a tool), and the public headers (renderer/vlr_renderer.h,
              transport/vl_transport.h)

Unit tests of one module's internals are the listed exceptions (EXCEPTIONS).

usage: test_layering.py SOURCE_ROOT
"""
import os
import re
import sys

ORDER = ["common", "protocol", "renderer", "transport", "icd", "layer"]
PUBLIC = {"renderer": {"vlr_renderer.h"}, "transport": {"vl_transport.h"}}
GENERATED = {"protocol": re.compile(r"vl_protocol_\w+\.h$"), "renderer": re.compile(r"vlr_gen\.h$"),
             "icd": re.compile(r"vl_icd_(gen|calls)\.h$")}
ALLOWED = {
    "common": {"common"},
    "protocol": {"common", "protocol"},
    "renderer": {"common", "protocol", "renderer"},
    "transport": {"common", "protocol", "transport", "renderer:public"},
    "icd": {"common", "protocol", "icd", "renderer:public", "transport:public"},
    "layer": {"common", "protocol", "icd", "layer", "renderer:public", "transport:public"},
}
CONSUMERS = ("tools", "tests", "bench")
# file -> the internal header it may include, and why
EXCEPTIONS = {
    "tests/layer/test_tables.c": ("vl_icd.h", "a unit test of the layer's handle map"),
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main():
    root = sys.argv[1]
    where = {}  # header name -> top folder
    for top in ORDER + list(CONSUMERS):
        for d, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                if n.endswith(".h"):
                    where.setdefault(n, top)
    bad, checked = [], 0
    for top in ORDER + list(CONSUMERS):
        for d, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                if not n.endswith((".c", ".h")):
                    continue
                path = os.path.join(d, n)
                text = open(path, errors="replace").read()
                for inc in INCLUDE.findall(text):
                    name = os.path.basename(inc)
                    folder = where.get(name)
                    for f, pat in GENERATED.items():
                        if pat.match(name):
                            folder = f
                    if folder is None:
                        continue  # a system header or one of this folder's own
                    checked += 1
                    kind = folder
                    if folder in PUBLIC and name in PUBLIC[folder]:
                        kind = folder + ":public"
                    rel = os.path.relpath(path, root)
                    if EXCEPTIONS.get(rel, (None,))[0] == name:
                        continue
                    if top in CONSUMERS:
                        ok = folder in ("common", "protocol") or kind.endswith(":public") or \
                            folder in CONSUMERS
                    else:
                        ok = kind in ALLOWED[top] or folder in ALLOWED[top] or folder == top
                    if not ok:
                        bad.append("%s includes %s (%s)" % (os.path.relpath(path, root), inc,
                                                            kind))
    print("%d project includes checked" % checked)
    for b in bad:
        print("FAIL layering: " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
