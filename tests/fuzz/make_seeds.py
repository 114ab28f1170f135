#!/usr/bin/env python3
"""Seeds for the fuzzers from an integration test's capture.

usage: make_seeds.py VL_DUMP PROGRAM inline|ring CORPUS_DIR

Runs PROGRAM with VL_DEBUG=capture (and ring), then writes
  CORPUS_DIR/renderer/<program>-<mode>.<n>  each context flattened (vl-dump --flatten)
  CORPUS_DIR/decode/<program>-<mode>-<seq>  each stream with its replies, in the
                                            layout fuzz_decode reads: u32 n, stream, replies
"""
import os
import struct
import subprocess
import sys
import tempfile


def records(path):
    data = open(path, "rb").read()
    at = 0
    while at + 40 <= len(data):
        magic, version, kind, seq, ring, length, tag, ref = struct.unpack_from("<4sHHQQIIQ", data, at)
        if magic != b"VKRD":
            raise SystemExit("%s: no record at byte %d" % (path, at))
        yield kind, seq, tag, ref, data[at + 40:at + 40 + length]
        at += 40 + length


def main():
    vl_dump, program, mode, corpus = sys.argv[1:5]
    name = "%s-%s" % (os.path.basename(program), mode)
    for sub in ("renderer", "decode"):
        os.makedirs(os.path.join(corpus, sub), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        capture = os.path.join(tmp, "capture.vkrd")
        env = dict(os.environ, VL_CAPTURE_FILE=capture,
                   VL_DEBUG="capture,ring" if mode == "ring" else "capture")
        subprocess.run([program], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([vl_dump, "--flatten", os.path.join(corpus, "renderer", name), capture],
                       check=True, stdout=subprocess.DEVNULL)
        streams, replies = {}, {}
        for kind, seq, tag, ref, payload in records(capture):
            if kind in (1, 2, 3):
                streams[(tag, seq)] = payload
            elif kind == 4:
                replies[(tag, ref)] = payload
        n = 0
        for key, stream in streams.items():
            seed = struct.pack("<I", len(stream)) + stream + replies.get(key, b"")
            with open(os.path.join(corpus, "decode", "%s-%d" % (name, n)), "wb") as f:
                f.write(seed)
            n += 1
    print("%s: %d decoder seeds" % (name, n))


if __name__ == "__main__":
    main()
