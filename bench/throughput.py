#!/usr/bin/env python3
"""Finished trials per second with many worker processes on one study, hpsearch beside
Optuna's RDB storage, on the same SQLite files and the same PostgreSQL server, and
hpsearch's journal file (journal:PATH) beside Optuna's JournalStorage(JournalFileStorage).

Every run starts N worker processes (1, 4, 16) on a fresh study with a budget of T
trials; each worker opens the study, waits at a barrier, then loops ask -> suggest one
float -> tell an instant objective until the study is full. Throughput = finished trials /
(last tell of any worker - the barrier), so process start-up and imports are not timed.
Before each run the disk's flush latency is measured (8 KiB write + fdatasync, median):
durable commits wait for it, and on shared virtual disks it varies from minute to
minute, so the table shows it beside each pair. After each run the storage itself is
checked: the trials the workers report finishing are exactly the COMPLETE trials
stored, trial numbers are unique, nothing is RUNNING or WAITING, and for hpsearch the
count is exactly T (Optuna's MaxTrialsCallback may overshoot by up to N - 1: its count
is what the rate uses).

    bench/throughput.py [--build build] [--trials 1000] [--workers 1,4,16]
                        [--backends sqlite,postgres,journal] [--systems hpsearch,optuna]
                        [--json bench/results/throughput.json]

PostgreSQL: $HPS_TEST_POSTGRES_URL if set, else a throwaway server started with
scripts/pg-test-server.sh (its default, durable settings) and stopped at the end. Each
run gets a database of its own. Needs python3-optuna and python3-psycopg2."""
import argparse
import datetime
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PYTHON = "/usr/bin/python3"


class Postgres:
    """The server: its maintenance URL, fresh databases, and queries."""

    def __init__(self, tmp):
        self.dir = None
        self.url = os.environ.get("HPS_TEST_POSTGRES_URL")
        if not self.url:
            self.dir = os.path.join(tmp, "pg")
            self.url = subprocess.run([os.path.join(ROOT, "scripts", "pg-test-server.sh"),
                                       "start", self.dir], check=True, capture_output=True,
                                      text=True).stdout.strip()
        import psycopg2  # noqa: F401  (fail early when missing)
        self.created = []

    def connect(self, db=None):
        import psycopg2
        url = self.url if db is None else self.url_for(db)
        conn = psycopg2.connect(url)
        conn.autocommit = True
        return conn

    def url_for(self, db):
        parts = urllib.parse.urlsplit(self.url)
        return urllib.parse.urlunsplit(parts._replace(path="/" + db))

    def fresh(self, name):
        conn = self.connect()
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name}")
            cur.execute(f"CREATE DATABASE {name}")
            cur.execute("SHOW server_version")
            self.version = cur.fetchone()[0]
        conn.close()
        self.created.append(name)
        return self.url_for(name)

    def query(self, db, sql):
        conn = self.connect(db)
        with conn.cursor() as cur:
            cur.execute(sql)
            row = cur.fetchone()
        conn.close()
        return row

    def close(self):
        try:
            conn = self.connect()
            with conn.cursor() as cur:
                for name in self.created:
                    cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.close()
        finally:
            if self.dir:
                subprocess.run([os.path.join(ROOT, "scripts", "pg-test-server.sh"), "stop",
                                self.dir], check=False)


def error_summary(err):
    """The telling line of a crashed worker's stderr."""
    lines = [line.strip() for line in err.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if "Error" in line or "error" in line:
            return line[:200]
    return lines[-1][:200] if lines else "no message"


def run_workers(cmd, n):
    """Starts n copies of cmd (... --wait), releases them together; returns their reports,
    the crashed ones' messages, the release time and the time the last one exited."""
    procs = [subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(n)]
    for p in procs:
        line = p.stdout.readline()
        if line.strip() != "ready":
            err = p.stderr.read()
            for q in procs:
                q.kill()
            raise RuntimeError(f"worker did not start: {line!r} {err}")
    go = time.time()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.close()
        p.stdin = None  # communicate() must not flush it again
    reports, crashes = [], []
    for p in procs:
        out, err = p.communicate()
        if p.returncode != 0:
            crashes.append(error_summary(err))
        else:
            reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports, crashes, go, time.time()


def check_hpsearch(rows, trials, finished):
    """rows = (count, distinct numbers, min, max, complete, running or waiting)."""
    count, distinct, lo, hi, complete, open_ = rows
    problems = []
    if count != trials or distinct != trials or lo != 0 or hi != trials - 1:
        problems.append(f"{count} trials, {distinct} distinct numbers {lo}..{hi}, expected {trials}")
    if complete != trials or finished != trials:
        problems.append(f"{complete} COMPLETE, workers finished {finished}, expected {trials}")
    if open_:
        problems.append(f"{open_} trials RUNNING or WAITING")
    return problems


def check_optuna(rows, finished):
    count, distinct, complete, open_ = rows
    problems = []
    if distinct != count:
        problems.append(f"{count} trials but {distinct} distinct numbers")
    if complete != finished or complete != count:
        problems.append(f"{complete} COMPLETE of {count}, workers finished {finished}")
    if open_:
        problems.append(f"{open_} trials RUNNING or WAITING")
    return problems


HPS_SQL = ("SELECT count(*), count(DISTINCT number), min(number), max(number),"
           " sum(CASE WHEN state = 2 THEN 1 ELSE 0 END),"
           " sum(CASE WHEN state IN (0, 1) THEN 1 ELSE 0 END) FROM {p}trials")
OPTUNA_SQL = ("SELECT count(*), count(DISTINCT number),"
              " sum(CASE WHEN state = 'COMPLETE' THEN 1 ELSE 0 END),"
              " sum(CASE WHEN state IN ('RUNNING', 'WAITING') THEN 1 ELSE 0 END) FROM trials")


def fsync_ms(directory, n=40):
    """Median time of an 8 KiB write + fdatasync in `directory`: what a durable commit
    waits for. It decides single-worker rates and varies on shared virtual disks, so
    every run records it."""
    path = os.path.join(directory, "fsync.probe")
    times = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        block = b"x" * 8192
        for _ in range(n):
            start = time.perf_counter()
            os.pwrite(fd, block, 0)
            os.fdatasync(fd)
            times.append((time.perf_counter() - start) * 1000)
    finally:
        os.close(fd)
        os.unlink(path)
    times.sort()
    return times[len(times) // 2]


def journal_rows(system, path, worker_bin):
    """The checker's rows for a journal study, read through each system's own API."""
    if system == "hpsearch":
        hpsearch = os.path.join(os.path.dirname(worker_bin), "hpsearch")
        out = subprocess.run([hpsearch, "trials", "tp", "--storage", "journal:" + path,
                              "--format", "json"], check=True, capture_output=True,
                             text=True).stdout
        trials = [(t["number"], t["state"]) for t in json.loads(out)]
    else:
        code = ("import json, sys, optuna\n"
                "s = optuna.load_study(study_name='tp', storage=optuna.storages.JournalStorage("
                "optuna.storages.JournalFileStorage(sys.argv[1])))\n"
                "print(json.dumps([(t.number, t.state.name) for t in s.trials]))\n")
        out = subprocess.run([PYTHON, "-c", code, path], check=True, capture_output=True,
                             text=True).stdout
        trials = json.loads(out)
    numbers = [n for n, _ in trials]
    complete = sum(1 for _, state in trials if state == "COMPLETE")
    open_ = sum(1 for _, state in trials if state in ("RUNNING", "WAITING"))
    if system == "hpsearch":
        return (len(trials), len(set(numbers)), min(numbers, default=0),
                max(numbers, default=0), complete, open_)
    return (len(trials), len(set(numbers)), complete, open_)


def one_run(system, backend, workers, trials, tmp, pg, worker_bin):
    name = f"tp_{system}_{backend}_{workers}"
    if backend == "journal":
        path = os.path.join(tmp, name + ".journal")
        url = "journal:" + path  # throughput_optuna.py makes it Optuna's JournalStorage
    elif backend == "sqlite":
        path = os.path.join(tmp, name + ".db")
        url = ("sqlite:" if system == "hpsearch" else "sqlite:///") + path
    else:
        db_url = pg.fresh(name)
        url = db_url if system == "hpsearch" else db_url.replace("postgresql://", "postgresql+psycopg2://", 1)
    if system == "hpsearch":
        cmd = [worker_bin, url, "tp", str(trials)]
    else:
        cmd = [PYTHON, os.path.join(HERE, "throughput_optuna.py"), url, "tp", str(trials)]
    subprocess.run(cmd + ["--create"], check=True)
    disk = fsync_ms(tmp)
    reports, crashes, go, ended = run_workers(cmd + ["--wait"], workers)
    finished = sum(r["finished"] for r in reports)
    # crashed workers report nothing: then the span runs to the last exit
    span = (max(r["last"] for r in reports) if reports and not crashes else ended) - go
    if system == "hpsearch":
        sql = HPS_SQL.format(p="hps_" if backend == "postgres" else "")
    else:
        sql = OPTUNA_SQL
    if backend == "journal":
        rows = journal_rows(system, path, worker_bin)
    elif backend == "sqlite":
        conn = sqlite3.connect(path)
        rows = tuple(v or 0 for v in conn.execute(sql).fetchone())
        conn.close()
    else:
        rows = tuple(int(v or 0) for v in pg.query(name, sql))
    if crashes:
        # what the crashed workers finished is in the storage, not in their reports
        complete = rows[4] if system == "hpsearch" else rows[2]
        problems = [f"{len(crashes)} of {workers} workers crashed: {crashes[0]}"]
        if system == "hpsearch":
            problems += check_hpsearch(rows, trials, complete)
        else:
            problems += check_optuna(rows, complete)
        finished = complete
    elif system == "hpsearch":
        problems = check_hpsearch(rows, trials, finished)
    else:
        problems = check_optuna(rows, finished)
    return {"system": system, "backend": backend, "workers": workers, "budget": trials,
            "finished": finished, "seconds": span, "per_second": finished / span if span > 0 else 0.0,
            "crashed_workers": len(crashes), "fsync_ms": disk, "problems": problems}


def table(results, workers_list, backends):
    lines = ["| storage | workers | hpsearch trials/s | Optuna trials/s | ratio | disk flush (ms) | checks |",
             "|---|---:|---:|---:|---:|---|---|"]
    for backend in backends:
        for w in workers_list:
            ours = next((r for r in results if r["system"] == "hpsearch" and r["backend"] == backend
                         and r["workers"] == w), None)
            theirs = next((r for r in results if r["system"] == "optuna" and r["backend"] == backend
                           and r["workers"] == w), None)
            a = f"{ours['per_second']:.0f}" if ours else "-"
            b = f"{theirs['per_second']:.1f}" if theirs else "-"
            ratio = (f"{ours['per_second'] / theirs['per_second']:.0f}x"
                     if ours and theirs and theirs["per_second"] > 0 else "-")
            problems = [p for r in (ours, theirs) if r for p in r["problems"]]
            flush = " / ".join(f"{r['fsync_ms']:.2f}" for r in (ours, theirs) if r)
            lines.append(f"| {backend} | {w} | {a} | {b} | {ratio} | {flush} | "
                         f"{'; '.join(problems) if problems else 'no lost or duplicated trial'} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--workers", default="1,4,16")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--systems", default="hpsearch,optuna")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()
    worker_bin = os.path.join(args.build, "bench_throughput_worker")
    systems = args.systems.split(",")
    if "hpsearch" in systems and not os.path.exists(worker_bin):
        sys.exit(f"{worker_bin} not found: build first (make build)")
    workers_list = [int(w) for w in args.workers.split(",")]
    backends = args.backends.split(",")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        pg = Postgres(tmp) if "postgres" in backends else None
        try:
            for backend in backends:
                for w in workers_list:
                    for system in systems:
                        print(f"{system} on {backend}, {w} workers, {args.trials} trials ...",
                              file=sys.stderr, flush=True)
                        r = one_run(system, backend, w, args.trials, tmp, pg, worker_bin)
                        print(f"  {r['per_second']:.1f} trials/s"
                              + (f"  PROBLEMS: {r['problems']}" if r["problems"] else ""),
                              file=sys.stderr, flush=True)
                        results.append(r)
        finally:
            if pg is not None:
                pg.close()
    print(table(results, workers_list, backends))
    top = max(workers_list)
    for backend in backends:
        ours = [r for r in results if r["system"] == "hpsearch" and r["backend"] == backend and r["workers"] == top]
        theirs = [r for r in results if r["system"] == "optuna" and r["backend"] == backend and r["workers"] == top]
        if ours and theirs and theirs[0]["per_second"] > 0:
            ratio = ours[0]["per_second"] / theirs[0]["per_second"]
            print(f"\n{backend}, {top} workers: hpsearch {ratio:.0f}x Optuna "
                  f"({'meets' if ratio >= 10 else 'MISSES'} the 10x bar)")
    # the bar is on hpsearch: no lost or duplicated trial in any of its runs
    bad = [r for r in results if r["problems"] and r["system"] == "hpsearch"]
    if args.json:
        import optuna
        meta = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
                "machine": platform.platform(), "cpus": os.cpu_count(),
                "optuna": optuna.__version__, "sqlite": sqlite3.sqlite_version,
                "postgres": getattr(pg, "version", None), "trials": args.trials}
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
