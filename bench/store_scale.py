"""The journal store at a clinic's history size (issue 15): a benchmark, not a test.

Run from the repository root (10k and 100k take a few minutes on the 2-core dev VM; add
1000000 only rarely, it builds a million versions and needs several GiB while building):

    nice -n 10 .venv/bin/python -m bench.store_scale [--sizes 10000 100000] [--built DIR]

`--built DIR` keeps each size's built folder in DIR/<size> and reuses it on the next run
(each run works on a copy), so the million is built once.

For each size it builds a data folder through the store's API (JournalStore.save_all,
batches of 500 check-in-sized versions: 300 patients, 3 versions per record on average),
closes it, then, each in a fresh process as a server would be:

- start -> first answer: open the folder and read one record (wall clock of the process
  from its start, imports included), and its RSS right after;
- save p95 over 300 single saves in that open store;
- backup while the "server" runs: the server process keeps the store open and saves every
  20 ms; `python -m app backup` runs as its own process meanwhile: its time and peak RSS
  (getrusage of the child), the server's worst save latency while it ran, and whether
  the backup verifies.

Numbers from before issue 15 (the issue's table: the same kind of machine) are printed
beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.store.interfaces import Change
from app.store.journal import JournalStore

REPO = Path(__file__).resolve().parents[1]
# The table: start -> first answer (s), server RSS (MiB), backup s / peak MiB.
BEFORE = {10_000: (1.4, 105, 0.7, 110), 100_000: (4.1, 340, 9.5, 773),
          1_000_000: (37.9, 2765, 85.0, 7578)}
PATIENTS = 300
BATCH = 500

OPEN_AND_ANSWER = r"""
import json, os, sys, time
started = float(sys.argv[2])
from pathlib import Path
from app.store.journal import JournalStore
store = JournalStore.open(Path(sys.argv[1]), compact_on_close=False)
first = store.latest("check_in", "r1")
answered = time.time() - started
rss = int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) // 1024
saves = []
for i in range(300):
    t = time.perf_counter()
    store.save("check_in", f"bench-{i}", {"id": f"bench-{i}", "pain_now": i % 11},
               owner="p1")
    saves.append(time.perf_counter() - t)
saves.sort()
print(json.dumps({"answered": answered, "rss_mib": rss, "found": first is not None,
                  "save_p50_ms": saves[150] * 1000, "save_p95_ms": saves[285] * 1000}))
"""

# `python -m app backup` in a process that reports its own peak RSS (KiB) at the end:
# VmHWM, not getrusage's ru_maxrss, which on Linux also counts the forking parent's RSS.
BACKUP_COMMAND = r"""
import runpy, sys
sys.argv = ["app", "backup", "--data-dir", sys.argv[1], "--out", sys.argv[2]]
try:
    runpy.run_module("app", run_name="__main__")
except SystemExit as done:
    assert not done.code, done.code
print(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
"""


def record(n: int, rng: random.Random) -> dict[str, object]:
    """A check-in-sized version (what most of a clinic's history is)."""
    return {"pain_now": rng.randint(0, 10), "worst_24h": rng.randint(0, 10),
            "regions": ["lower_back"] + (["buttock_left"] if n % 3 else []),
            "psfs": {f"activity-{k}": rng.randint(0, 10) for k in range(4)},
            "note": rng.choice(["", "", "Stiff in the morning", "Did my exercises"]),
            "recorded_at": f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T08:{n % 60:02d}:00+00:00"}


def build(folder: Path, versions: int) -> float:
    started = time.perf_counter()
    rng = random.Random(versions)
    records = max(1, versions // 3)
    # Compacting as a server does keeps the build's memory bounded (issue 15).
    with JournalStore.open(folder, compact_threshold=50_000) as store:
        made = 0
        while made < versions:
            batch = []
            for _ in range(min(BATCH, versions - made)):
                n = rng.randrange(records) if made >= records else made
                rid = f"r{n}"
                batch.append(Change("check_in", rid, {"id": rid, **record(made, rng)},
                                    owner=f"p{n % PATIENTS}"))
                made += 1
            # one version per record per batch (save_all refuses a record twice)
            unique = {c.record_id: c for c in batch}
            made -= len(batch) - len(unique)
            store.save_all(list(unique.values()))
    return time.perf_counter() - started


def server_start(root: Path) -> tuple[float, float]:
    """`python -m app run` on the folder: seconds until it answers HTTP, and its RSS then
    (MiB): the whole server, Flet included, as the issue's table measured it."""
    from tests.e2e.server import TEST_ENV, free_port

    port = free_port()
    started = time.perf_counter()
    with open(root / "server.log", "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "app", "run", "--no-browser", "--data-dir", str(root),
             "--port", str(port)], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, **TEST_ENV})
    try:
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the server stopped: see {root / 'server.log'}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        answered = time.perf_counter() - started
        status = Path(f"/proc/{server.pid}/status").read_text()
        rss = int(status.split("VmRSS:")[1].split()[0]) / 1024
    finally:
        server.terminate()
        server.wait(timeout=60)
    return answered, rss


def open_and_answer(folder: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", OPEN_AND_ANSWER, str(folder), str(time.time())],
                         cwd=REPO, capture_output=True, text=True, check=True)
    answer: dict[str, float] = json.loads(out.stdout)
    return answer


def backup_while_serving(folder: Path, out: Path) -> dict[str, float]:
    """A process holds the store open and saves every 20 ms; the backup command runs."""
    saver = r"""
import json, sys, threading, time
from pathlib import Path
from app.store.journal import JournalStore
store = JournalStore.open(Path(sys.argv[1]), compact_on_close=False)
print("ready", flush=True)
stop = threading.Event()
worst = [0.0, 0]
def loop():
    i = 0
    while not stop.is_set():
        t = time.perf_counter()
        store.save("check_in", f"live-{i}", {"id": f"live-{i}", "pain_now": i % 11},
                   owner="p1")
        worst[0] = max(worst[0], time.perf_counter() - t)
        worst[1] += 1
        i += 1
        time.sleep(0.02)
threading.Thread(target=loop, daemon=True).start()
sys.stdin.readline()
stop.set()
print(json.dumps({"worst_save_ms": worst[0] * 1000, "saves": worst[1]}), flush=True)
store.close()
"""
    server = subprocess.Popen([sys.executable, "-c", saver, str(folder)], cwd=REPO,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdin is not None and server.stdout is not None
    try:
        assert server.stdout.readline().strip() == "ready"
        started = time.perf_counter()
        run = subprocess.run([sys.executable, "-c", BACKUP_COMMAND, str(folder.parent),
                              str(out)], cwd=REPO, check=True, capture_output=True, text=True)
        took = time.perf_counter() - started
        peak_kib = int(run.stdout.strip().splitlines()[-1])
        server.stdin.write("stop\n")
        server.stdin.flush()
        served = json.loads(server.stdout.readline())
    finally:
        server.wait(timeout=600)
    from app.store.backup import verify_backup

    return {"seconds": took, "peak_mib": peak_kib / 1024,
            "versions": verify_backup(out).versions, **served}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--built", type=Path, help="keep built folders here and reuse them")
    args = parser.parse_args(argv)
    from app import paths

    print("start->answer and RSS: the whole server (python -m app run, until it answers "
          "HTTP),\nin brackets the store alone (open and read one record)\n")
    print(f"{'versions':>10} {'built s':>8} {'start->answer s':>16} {'RSS MiB':>8} "
          f"{'save p95 ms':>11} {'backup s':>9} {'backup peak MiB':>16} "
          f"{'worst save during backup ms':>28}")
    for size in args.sizes:
        root = Path(tempfile.mkdtemp(prefix="backtrack-scale-"))
        try:
            store_dir = paths.store_dir(root)
            kept = args.built / str(size) if args.built else None
            reuse = kept is not None and kept.exists()
            built = 0.0 if reuse else build(kept or store_dir, size)
            if kept is not None:
                shutil.copytree(kept, store_dir)
            opened = open_and_answer(store_dir)
            answered, rss = server_start(root)
            backed = backup_while_serving(store_dir, root / "backup.zip")
            print(f"{size:>10,} {built:>8.1f} {answered:>9.2f} ({opened['answered']:.2f}) "
                  f"{rss:>5.0f} ({opened['rss_mib']:.0f}) {opened['save_p95_ms']:>11.2f} "
                  f"{backed['seconds']:>9.1f} {backed['peak_mib']:>16.0f} "
                  f"{backed['worst_save_ms']:>28.1f}", flush=True)
            if size in BEFORE:
                b = BEFORE[size]
                print(f"{'  before':>10} {'':>8} {b[0]:>16.2f} {b[1]:>8.0f} {'':>11} "
                      f"{b[2]:>9.1f} {b[3]:>16.0f} {'(backup refused)':>28}", flush=True)
        finally:
            if args.keep:
                print(f"  kept {root}")
            else:
                shutil.rmtree(root, ignore_errors=True)
    load = os.getloadavg()
    print(f"\nMachine: {os.cpu_count()} CPUs, load average {load[0]:.1f} (1 min) at the end; "
          "other work on the machine inflates every number")
    return 0


if __name__ == "__main__":
    sys.exit(main())
