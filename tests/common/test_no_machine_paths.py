#!/usr/bin/env python3
"""No file of the project names a path of one machine: a home, a checkout
or a scratch folder (/home/<user>, /root/<dir>, /work/<checkout>).  Such a
path works on the machine it was written on and nowhere else; programs find
what they need through options, the environment or the loader's folders.

Usage: test_no_machine_paths.py SOURCE_ROOT (the files git tracks there, or,
without git, every file outside build folders).  Binary files are skipped.
"""
import os
import re
import subprocess
import sys

PATTERN = re.compile(rb"(?<![\w.$~-])/(home|root|work|Users)/[\w.-]")


def files(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True,
                             capture_output=True).stdout
        return [os.path.join(root, p.decode()) for p in out.split(b"\0") if p]
    except (OSError, subprocess.CalledProcessError):
        found = []
        for d, dirs, names in os.walk(root):
            dirs[:] = [x for x in dirs if not x.startswith(("build", ".git"))]
            found += [os.path.join(d, n) for n in names]
        return found


def main():
    root = sys.argv[1]
    bad = []
    checked = 0
    for path in files(root):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        if b"\0" in data:
            continue
        checked += 1
        for n, line in enumerate(data.splitlines(), 1):
            if PATTERN.search(line):
                bad.append("%s:%d: %s" % (os.path.relpath(path, root), n,
                                          line.decode(errors="replace").strip()[:160]))
    print("%d text files checked" % checked)
    for b in bad:
        print("FAIL machine path: " + b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
