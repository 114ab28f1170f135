#!/usr/bin/env python3
"""Venus over vtest with today's peers, measured: our server against
virglrenderer 1.1 as seen by Mesa 25's venus guest, and our ICD against both
servers, each against native lavapipe in the same bench_vk run.

Everything runs in the Debian 13 root (tools/trixie-roots host) over the same
host driver, lavapipe 25: the two servers, Mesa's guest, and our ICD and
bench_vk, which run there unchanged.  virglrenderer 1.1 cannot map
host-visible memory on this kernel (no dma-buf), so only workloads that map
nothing are run, and Mesa runs with its feedback buffers (which it maps) off
against every server, so that the pairs compare like with like.  A last run
is Mesa against our server with its defaults (feedback on).

usage: bench_vtest.py BUILD_DIR [--rounds N] [--only W,W,...]
prints one bench_vk table per pairing and a summary of the ratios
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "scripts"))
import trixie  # noqa: E402
import with_vtest_server as vt  # noqa: E402

WORKLOADS = "event-roundtrip,query-results,buffer-churn,descriptor-churn,submit-latency,startup"
NO_FEEDBACK = "no_event_feedback,no_fence_feedback,no_semaphore_feedback,no_query_feedback"


def run_pair(title, build, server_argv, guest, vn_perf, rounds, only):
    with tempfile.TemporaryDirectory(prefix="vl-bench-", dir="/var/tmp") as d:
        sock = os.path.join(d, "sock")
        log = open(os.path.join(d, "server.log"), "w")
        server = subprocess.Popen(
            trixie.command(server_argv + ["--socket-path=" + sock], binds=[d, build],
                           env={"VK_ICD_FILENAMES": vt.TRIXIE_LAVAPIPE,
                                "LIBGL_ALWAYS_SOFTWARE": "1"}),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            problem = vt.wait_listening(sock, server)
            if problem:
                sys.exit("bench_vtest: %s: %s" % (title, problem))
            bench = [os.path.join(build, "bench", "bench_vk"), "--rounds", str(rounds),
                     "--only", only, "--native-icd", vt.TRIXIE_LAVAPIPE]
            env = {"XDG_RUNTIME_DIR": "/tmp"}
            if guest == "mesa":
                bench += ["--guest-icd", vt.TRIXIE_VENUS]
                env.update({"VN_DEBUG": "vtest", "VTEST_SOCKET_NAME": sock})
                if vn_perf:
                    env["VN_PERF"] = vn_perf
            else:
                # as a guest column: Debian 13's loader does not pass our
                # statistics entry point through, so no round-trip counts
                bench += ["--guest-icd",
                          os.path.join(build, "manifests", "venus_loopback_icd.x86_64.json")]
                env.update({"VL_TRANSPORT": "vtest", "VL_VTEST_SOCKET": sock})
            p = subprocess.run(trixie.command(bench, binds=[d, build], env=env),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=1800)
        finally:
            vt.stop(server)
            log.close()
    print("== %s" % title)
    print(p.stdout)
    if p.returncode:
        sys.exit("bench_vtest: %s: bench_vk exited with %d:\n%s" % (title, p.returncode,
                                                                   p.stderr[-2000:]))
    ratios = {}
    for line in p.stdout.splitlines():
        m = re.match(r"^(\S+)\s+\S+\s+(\S+)\s+(\S+)\s+([\d.]+)x", line)
        if m:
            ratios[m.group(1)] = (m.group(2), m.group(3), float(m.group(4)))
    return ratios


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--only", default=WORKLOADS)
    a = ap.parse_args()
    why = trixie.available()
    if why:
        sys.exit("bench_vtest: %s" % why)
    build = os.path.abspath(a.build)
    ours = [os.path.join(build, "tools", "vtest", "vl-vtest-server")]
    virgl = ["virgl_test_server", "--venus", "--use-egl-surfaceless"]
    runs = [
        ("Mesa 25 guest -> vl-vtest-server (feedback off)", ours, "mesa", NO_FEEDBACK),
        ("Mesa 25 guest -> virglrenderer 1.1 (feedback off)", virgl, "mesa", NO_FEEDBACK),
        ("our ICD -> vl-vtest-server", ours, "ours", None),
        ("our ICD -> virglrenderer 1.1", virgl, "ours", None),
        ("Mesa 25 guest -> vl-vtest-server (Mesa's defaults)", ours, "mesa", None),
    ]
    table = []
    for title, server, guest, perf in runs:
        table.append((title, run_pair(title, build, server, guest, perf, a.rounds, a.only)))
    names = [w for w in a.only.split(",")]
    print("== ratios against native lavapipe 25 (median of %d rounds each)" % a.rounds)
    print("%-50s" % "pairing" + "".join("%18s" % n for n in names))
    for title, r in table:
        print("%-50s" % title + "".join("%18s" % ("%.2fx" % r[n][2] if n in r else "-")
                                        for n in names))
    print("absolute (guest column):")
    for title, r in table:
        print("%-50s" % title + "".join("%18s" % (r[n][1] if n in r else "-") for n in names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
