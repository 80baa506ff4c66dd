#!/usr/bin/env python3
"""Opening a large journal study (journal:PATH): CPU and wall time with the snapshot
the workers left, with one level with the log, and with none (the whole log replayed).

The study is written first by W bench_throughput_worker processes (ask, one float,
tell), as bench/throughput.py runs them, until it holds T trials; they write snapshots
as they go (PATH.snapshot, see docs/distributed.md). Then, each in a fresh process and
R times per case:

  python   hpsearch.load_study(study_name="tp", storage="journal:PATH"), CPU time
           (resource.getrusage of the process) and wall time around the call only
           (the interpreter's start and the import are not counted);
  cli      `hpsearch studies --storage journal:PATH`, the whole process (CPU time from
           getrusage(RUSAGE_CHILDREN), wall time around it).

Cases: "workers' snapshot": the snapshot as the workers left it (it covers the log up
to the last snapshot they wrote; the rest, up to an eighth of the log, is replayed);
"level snapshot": one covering the whole log; "no snapshot": the snapshot deleted
before each run, so the whole log is replayed (and, the tail being long, the opening
process writes a new snapshot, which is part of its time). The machine's load average
is printed beside the table: wall times on a loaded machine are mostly waiting.

    bench/journal_open.py [--build build] [--trials 100000] [--workers 8] [--repeats 3]
                          [--journal PATH]   (kept; an existing one is reused)"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PYTHON = "/usr/bin/python3"
sys.path.insert(0, HERE)
from throughput import run_workers  # noqa: E402

PY_OPEN = """
import resource, sys, time
sys.path.insert(0, sys.argv[1])
import hpsearch
r0 = resource.getrusage(resource.RUSAGE_SELF); t0 = time.perf_counter()
study = hpsearch.load_study(study_name="tp", storage="journal:" + sys.argv[2])
t1 = time.perf_counter(); r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
print(cpu, t1 - t0)
"""


def write_study(path, trials, workers, worker_bin):
    url = "journal:" + path
    cmd = [worker_bin, url, "tp", str(trials)]
    subprocess.run(cmd + ["--create"], check=True)
    reports, crashes, go, ended = run_workers(cmd + ["--wait"], workers)
    if crashes:
        sys.exit(f"workers crashed: {crashes[0]}")
    finished = sum(r["finished"] for r in reports)
    print(f"wrote {finished} trials with {workers} workers in {ended - go:.1f} s",
          file=sys.stderr)


def open_python(build, path):
    out = subprocess.run([PYTHON, "-c", PY_OPEN, os.path.join(build, "python"), path],
                         check=True, capture_output=True, text=True).stdout
    cpu, wall = (float(x) for x in out.split())
    return cpu, wall


def open_cli(build, path):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run([os.path.join(build, "hpsearch"), "studies", "--storage",
                          "journal:" + path], check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if "tp" not in out.split():
        sys.exit(f"hpsearch studies did not list the study: {out}")
    return r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime, wall


def snapshot_offset(path):
    """The log offset the snapshot covers (its header, see src/storage/snapshot.h)."""
    try:
        with open(path + ".snapshot", "rb") as f:
            head = f.read(24)
    except FileNotFoundError:
        return None
    return int.from_bytes(head[16:24], "little") if head[:8] == b"HPSJSNAP" else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--trials", type=int, default=100000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--journal", default=None,
                        help="write the study here and keep it (reused if it exists)")
    args = parser.parse_args()
    worker_bin = os.path.join(args.build, "bench_throughput_worker")
    tmp = tempfile.mkdtemp()
    try:
        path = args.journal or os.path.join(tmp, "open.journal")
        if not os.path.exists(path):
            write_study(path, args.trials, args.workers, worker_bin)
        snap = path + ".snapshot"
        kept = os.path.join(tmp, "workers.snapshot")
        if os.path.exists(snap):
            shutil.copyfile(snap, kept)
        log_size = os.path.getsize(path)
        print(f"log {log_size / 1e6:.1f} MB; workers' snapshot covers "
              f"{snapshot_offset(path) or 0:,} bytes", file=sys.stderr)

        def workers_snapshot():
            if os.path.exists(kept):
                shutil.copyfile(kept, snap)

        def level_snapshot():
            if snapshot_offset(path) != log_size:
                if os.path.exists(snap):
                    os.unlink(snap)
                open_cli(args.build, path)  # replays all and writes one at the end
                assert snapshot_offset(path) == log_size

        def no_snapshot():
            if os.path.exists(snap):
                os.unlink(snap)

        cases = [("workers' snapshot", workers_snapshot), ("level snapshot", level_snapshot),
                 ("no snapshot", no_snapshot)]
        rows = []
        for name, prepare in cases:
            for tool, fn in (("python load_study", open_python), ("hpsearch studies", open_cli)):
                cpu, wall = [], []
                for _ in range(args.repeats):
                    prepare()
                    c, w = fn(args.build, path)
                    cpu.append(c)
                    wall.append(w)
                rows.append((name, tool, cpu, wall))
                print(f"  {name}, {tool}: cpu {statistics.median(cpu):.2f} s, "
                      f"wall {statistics.median(wall):.2f} s", file=sys.stderr)
        load = os.getloadavg()
        print(f"{args.trials} trials, log {log_size / 1e6:.1f} MB, load average "
              f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min), "
              f"{args.repeats} runs each: median (min-max)\n")
        print("| snapshot | opened by | CPU s | wall s |")
        print("|---|---|---:|---:|")
        for name, tool, cpu, wall in rows:
            print(f"| {name} | {tool} | {statistics.median(cpu):.2f} ({min(cpu):.2f}-{max(cpu):.2f}) "
                  f"| {statistics.median(wall):.2f} ({min(wall):.2f}-{max(wall):.2f}) |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
