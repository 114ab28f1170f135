#!/usr/bin/env python3
"""Capture an integration test, print the capture, replay it.

usage: capture_replay.py VL_DUMP PROGRAM inline|ring COMMAND...

1. PROGRAM runs with VL_DEBUG=capture (and ring): it must pass, and the
   capture must hold streams with ring ids / thread numbers, sequence numbers
   1, 2, ... per context, and reply records that refer to earlier streams.
2. vl-dump prints it: exit 0, one line for each COMMAND given, no malformed
   stream, and a summary whose per-command counts add up to its total.
3. vl-dump --replay executes it on fresh renderer contexts: exit 0, every
   context "executed cleanly", no result different from the capture's.
4. The same capture, damaged two ways (an unknown command id in a stream, a
   record cut short), makes vl-dump exit 1 and say where and why.
"""
import os
import re
import struct
import subprocess
import sys
import tempfile


def _seq_gaps(seqs):
    """Where a run of sequence numbers stops counting up by one."""
    out = []
    for i in range(len(seqs)):
        if seqs[i] != i + 1:
            out.append("position %d holds %d" % (i, seqs[i]))
            if len(out) == 5:
                break
    return "%d records; %s" % (len(seqs), ", ".join(out))


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def records(data):
    at = 0
    while at + 40 <= len(data):
        magic, version, kind, seq, ring, length, tag, ref = struct.unpack_from("<4sHHQQIIQ", data, at)
        if magic != b"VKRD" or version != 1:
            fail("no record at byte %d" % at)
        yield dict(kind=kind, seq=seq, ring=ring, tag=tag, ref=ref, offset=at, length=length)
        at += 40 + length
    if at != len(data):
        fail("%d stray bytes at the end of the capture" % (len(data) - at))


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    return p.returncode, p.stdout + p.stderr


def check_format(data, mode):
    recs = list(records(data))
    if not recs:
        fail("empty capture")
    by_ctx = {}
    for r in recs:
        by_ctx.setdefault(r["tag"], []).append(r)
    kinds = set()
    for tag, rs in by_ctx.items():
        seqs = [r["seq"] for r in rs]
        if seqs != list(range(1, len(rs) + 1)):
            fail("context 0x%x: sequence numbers are not 1, 2, 3...: %s" % (tag, _seq_gaps(seqs)))
        streams = {r["seq"]: r for r in rs if r["kind"] in (1, 2, 3)}
        for r in rs:
            kinds.add(r["kind"])
            if r["kind"] == 1 and r["ring"] == 0:
                fail("ring stream seq %d has no ring id" % r["seq"])
            if r["kind"] == 2 and r["ring"] == 0:
                fail("direct stream seq %d has no thread number" % r["seq"])
            if r["kind"] in (3, 4):
                parent = streams.get(r["ref"])
                if not parent or r["ref"] >= r["seq"]:
                    fail("record seq %d (kind %d) refers to seq %d, not an earlier stream"
                         % (r["seq"], r["kind"], r["ref"]))
                if r["ring"] != parent["ring"]:
                    fail("record seq %d: ring field 0x%x differs from its stream's 0x%x"
                         % (r["seq"], r["ring"], parent["ring"]))
    if mode == "ring" and 1 not in kinds:
        fail("a ring-mode capture without ring streams")
    if 4 not in kinds:
        fail("no reply records")
    return recs


def main():
    vl_dump, program, mode = sys.argv[1:4]
    expected = sys.argv[4:]
    with tempfile.TemporaryDirectory() as tmp:
        capture = os.path.join(tmp, "capture.vkrd")
        env = dict(os.environ, VL_CAPTURE_FILE=capture,
                   VL_DEBUG="capture,ring" if mode == "ring" else "capture")
        rc, out = run([program], env=env)
        if rc:
            fail("%s with capture: exit %d\n%s" % (program, rc, out))
        data = open(capture, "rb").read()
        recs = check_format(data, mode)

        rc, out = run([vl_dump, capture])
        if rc:
            fail("vl-dump: exit %d\n%s" % (rc, out[-3000:]))
        if "!!" in out:
            fail("vl-dump reports a problem:\n" + "\n".join(l for l in out.splitlines() if "!!" in l))
        for name in expected:
            if not re.search(r"^ *#\d+ @\d+ %s\(" % re.escape(name), out, re.M):
                fail("vl-dump printed no %s line" % name)
        lines = [l for l in out.splitlines() if re.match(r"^ *#\d+ @\d+ vk", l)]
        m = re.search(r"^summary: (\d+) streams, (\d+) commands, (\d+) bytes$", out, re.M)
        if not m:
            fail("no summary line")
        if int(m.group(2)) != len(lines):
            fail("summary counts %s commands, %d lines printed" % (m.group(2), len(lines)))
        table = re.findall(r"^ +(\d+) +(\d+)  (vk\w+)$", out, re.M)
        if sum(int(c) for c, _, _ in table) != len(lines) or \
                sum(int(b) for _, b, _ in table) != int(m.group(3)):
            fail("the per-command table does not add up to the totals")

        rc, out = run([vl_dump, "--replay", "--timeout", "60", capture])
        print(out.strip())
        if rc:
            fail("replay: exit %d" % rc)
        contexts = len({r["tag"] for r in recs})
        if out.count("executed cleanly") != contexts:
            fail("replay: %d contexts in the capture, %d executed cleanly"
                 % (contexts, out.count("executed cleanly")))
        if "differ" in out:
            fail("replay: results differ from the capture")

        # An unknown command id at the start of the first direct or ring stream.
        first = next(r for r in recs if r["kind"] in (1, 2))
        bad = bytearray(data)
        struct.pack_into("<i", bad, first["offset"] + 40, 0x7ffffff0)
        damaged = os.path.join(tmp, "damaged.vkrd")
        open(damaged, "wb").write(bad)
        rc, out = run([vl_dump, damaged])
        want = "!! malformed: command #1 at byte 0 of this %s stream (file byte %d), unknown command (id %d): unknown command type" % (
            {1: "ring", 2: "direct"}[first["kind"]], first["offset"] + 40, 0x7ffffff0)
        if rc != 1 or want not in out:
            fail("damaged stream: exit %d, expected '%s' in:\n%s" % (rc, want, out[:2000]))

        # A record cut short: everything before it is printed, then the reason.
        last = recs[-1]
        open(damaged, "wb").write(data[:last["offset"] + 40 + last["length"] // 2 + 1]
                                  if last["length"] > 1 else data[:last["offset"] + 20])
        rc, out = run([vl_dump, damaged])
        if rc != 1 or ("byte %d:" % last["offset"]) not in out or "damaged record" not in out:
            fail("truncated capture: exit %d\n%s" % (rc, out[-2000:]))
    print("PASS capture, dump and replay of %s (%s)" % (os.path.basename(program), mode))


if __name__ == "__main__":
    main()
