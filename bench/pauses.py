"""Stop-the-world pauses under the capacity load (issue 15): a benchmark, not a test.

Run from the repository root (about 3 minutes on the 2-core dev VM):

    nice -n 10 .venv/bin/python -m bench.pauses [--patients 135] [--seconds 30]

What it does:
1. Builds bench/caseload.py's clinic (the demo clinic plus `--patients` patients with a
   year each, shared with Taylor): 135 patients is about 100,000 versions.
2. Then, once per setting, in a fresh process as a server starts: opens the services on
   that folder (app.main.build_services), applies the setting, and runs bench/caseload.py's
   load for `--seconds`: `--active` patients each checking in about once a second, the
   caseload job, Taylor reopening her list every 2 s. Halfway through, a compaction of the
   whole store runs in the background, as one does every 5,000 saves.
   Settings: "before" is the start-up as it was (the store freezes what it loaded, nothing
   after); "after" also runs app.gc_pauses.settle_after_start_up with the caseload's
   first refresh, as the server's start-up job does (app/ui/server.py, SETTLE_JOB).
3. Prints, per setting: every garbage collection the interpreter made (gc.callbacks,
   wall time from start to stop: the GIL is held throughout, so every thread waits) by
   generation: count, p50, max (and the most CPU time one took: a wall time well above it
   is the OS running other work meanwhile), and how many took over 50 ms; the objects the collector
   tracks; the patients' save latency (p50 / p95 / max) and the worst save while the
   compaction ran.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPO = Path(__file__).resolve().parents[1]
LONG_MS = 50.0  # the bar: no pause over ~50 ms


class GcTimer:
    """Times every collection through gc.callbacks (called in the collecting thread)."""

    def __init__(self) -> None:
        self.by_generation: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self.cpu_by_generation: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = (0.0, 0.0)

    def reset(self) -> None:
        for times in (*self.by_generation.values(), *self.cpu_by_generation.values()):
            times.clear()

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = (time.perf_counter(), time.thread_time())
        else:
            # Wall time is the pause; the collecting thread's CPU time tells a long
            # collection from the OS giving the core to another process meanwhile.
            self.by_generation[info["generation"]].append(
                (time.perf_counter() - self._started[0]) * 1000)
            self.cpu_by_generation[info["generation"]].append(
                (time.thread_time() - self._started[1]) * 1000)

    def summary(self) -> dict[str, Any]:
        return {str(g): {"n": len(ms), "p50": statistics.median(ms) if ms else 0.0,
                         "max": max(ms, default=0.0),
                         "cpu_max": max(self.cpu_by_generation[g], default=0.0),
                         "over_50": sum(1 for m in ms if m > LONG_MS)}
                for g, ms in self.by_generation.items()}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def run_setting(folder: Path, setting: str, seconds: float, active: int) -> dict[str, Any]:
    """One setting in this process (a fresh one per setting, started by main)."""
    from app.main import build_services
    from bench.caseload import save_latency
    from bench.history import settings_for

    timer = GcTimer()
    gc.callbacks.append(timer)
    started = time.perf_counter()
    services = build_services(settings_for(folder))
    if setting == "after":
        from app.gc_pauses import settle_after_start_up

        settle_after_start_up(services.caseload.refresh)  # as the server's job does
    opened = time.perf_counter() - started
    try:
        taylor = services.accounts.by_email("taylor@example.com")
        assert taylor is not None
        everyone = [s.patient for s in services.caseload.for_clinician(taylor)]
        timer.reset()  # the load only, not the start-up
        store: Any = services.access.store
        compaction: dict[str, float] = {}

        def compact_halfway() -> None:
            time.sleep(seconds / 2)
            compaction["start"] = time.perf_counter()
            store.compact()
            compaction["end"] = time.perf_counter()

        compactor = threading.Thread(target=compact_halfway)
        compactor.start()
        starts: list[float] = []
        tookall, _ = save_latency(services, everyone[:active], seconds,
                                  lambda: services.caseload.for_clinician(taylor), 2.0,
                                  starts)
        compactor.join()
        during = [took for at, took in zip(starts, tookall, strict=True)
                  if compaction["start"] <= at + took and at <= compaction["end"]]
        return {"setting": setting, "opened_s": opened,
                "versions": store.stats()["versions"],
                "tracked": len(gc.get_objects()), "frozen": gc.get_freeze_count(),
                # What the full passes walk: the commonest types among tracked objects.
                "census": Counter(type(o).__qualname__
                                  for o in gc.get_objects()).most_common(8),
                "threshold": list(gc.get_threshold()), "gc": timer.summary(),
                "saves": len(tookall), "save_p50_ms": statistics.median(tookall) * 1000,
                "save_p95_ms": pct(tookall, .95) * 1000, "save_max_ms": max(tookall) * 1000,
                "compaction_s": compaction["end"] - compaction["start"],
                "worst_save_in_compaction_ms": max(during, default=0.0) * 1000}
    finally:
        services.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--patients", type=int, default=135)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--active", type=int, default=25)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--settings", nargs="+", default=["before", "after"])
    parser.add_argument("--folder", type=Path, help="a clinic built before (kept as is)")
    parser.add_argument("--run", help=argparse.SUPPRESS)  # one setting, in a child process
    args = parser.parse_args(argv)
    if args.run:
        print(json.dumps(run_setting(args.folder, args.run, args.seconds, args.active)))
        return 0

    from bench.caseload import build

    root = args.folder or Path(tempfile.mkdtemp(prefix="backtrack-pauses-"))
    try:
        if args.folder is None:
            built = build(root, args.patients, args.days)
            print(f"Built {args.patients} patients x {args.days} days in {built:.0f} s")
        print(f"{args.active} patients saving about once a second, Taylor's list every 2 s, "
              f"a compaction halfway, {args.seconds:.0f} s per setting; ms\n")
        for setting in args.settings:
            out = subprocess.run(
                [sys.executable, "-m", "bench.pauses", "--run", setting, "--folder",
                 str(root), "--seconds", str(args.seconds), "--active", str(args.active)],
                cwd=REPO, check=True, capture_output=True, text=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{setting}: {r['versions']:,} versions, opened in {r['opened_s']:.1f} s; "
                  f"objects tracked {r['tracked']:,}, frozen {r['frozen']:,}, "
                  f"thresholds {tuple(r['threshold'])}")
            for gen, g in r["gc"].items():
                print(f"  gen {gen} collections: n={g['n']} p50 {g['p50']:.1f} max "
                      f"{g['max']:.1f} (CPU {g['cpu_max']:.1f}), over {LONG_MS:.0f} ms: "
                      f"{g['over_50']}")
            print("  tracked by type: " + ", ".join(f"{name} {n:,}"
                                                   for name, n in r["census"]))
            print(f"  saves: n={r['saves']} p50 {r['save_p50_ms']:.1f} p95 "
                  f"{r['save_p95_ms']:.1f} max {r['save_max_ms']:.1f}; compaction "
                  f"{r['compaction_s']:.1f} s, worst save meanwhile "
                  f"{r['worst_save_in_compaction_ms']:.1f}", flush=True)
        load = os.getloadavg()
        print(f"\nMachine: {os.cpu_count()} CPUs, load average {load[0]:.1f} (1 min) at the "
              "end; other work on the machine inflates every number")
    finally:
        if args.folder is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
