"""The therapist's patient list at clinic size (issue 15): a benchmark, not a test.

Run from the repository root (about 2 minutes on the 2-core dev VM):

    nice -n 10 .venv/bin/python -m bench.caseload [--patients 300] [--days 365]

What it does:
1. Builds a data folder: the demo clinic, then one patient with `--days` days of history
   written through the real services (bench/history.py: check-ins, weekly needling with
   soreness readings, milestones), then `--patients - 1` copies of that patient made
   through the store's API (store.import_versions, new ids, one batch per patient), every
   one shared with the demo therapist Taylor. The store is closed and opened again, as a
   server starts.
2. Times Caseload.for_clinician(Taylor) (the home screen's list, run off the event loop
   since issue 15) and building its cards: the first view after start (every status
   worked out), then repeated views; counts the versions each view adds to the store.
   Beside each repeated view, the look an open list takes every LIVE_SECONDS
   (Caseload.basis), against the view it saves when nothing changed.
3. Patient saves (Logbook.check_in) from `--active` threads, each saving every ~1 s, beside
   the server's caseload job (Caseload.refresh every 2 s), with
   and without a therapist thread reopening the list every `--every` seconds: save p95
   both ways. Threads in one process share the GIL as the server's sessions do.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.domain.accounts import Account
from app.main import Services, build_services, seed_demo_if_empty
from app.services.caseload import LIVE_SECONDS, REFRESH_SECONDS
from app.store.interfaces import Record
from bench.history import EMAIL, _fill, settings_for


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def build(data_dir: Path, patients: int, days: int) -> float:
    """The clinic of step 1; returns the seconds it took."""
    started = time.perf_counter()
    services = build_services(settings_for(data_dir))
    try:
        seed_demo_if_empty(services, progress=lambda _: None)
        _fill(services, days, random.Random(2024))
        template = services.accounts.by_email(EMAIL)
        assert template is not None
        store = services.access.store
        versions = store.owner_history(template.id)
        for number in range(1, patients):
            store.import_versions(_copy(versions, template.id, number))
    finally:
        services.close()
    return time.perf_counter() - started


def _copy(versions: list[Record], patient_id: str, number: int) -> list[Record]:
    """The template patient's versions under new ids: every id the template's records
    carry (theirs, the patient's, sessions', activities') is replaced in the JSON text."""
    ids = {patient_id} | {v.id for v in versions}
    mapping = {old: uuid.uuid4().hex for old in ids}
    out: list[Record] = []
    for version in versions:
        text = json.dumps(version.to_json())
        for old, new in mapping.items():
            text = text.replace(old, new)
        text = text.replace(EMAIL, f"patient{number}@example.com").replace(
            "Robin Hale", f"Patient {number:03d}")
        out.append(Record.from_json(json.loads(text)))
    return out


@dataclass
class Timings:
    first_view: float = 0.0
    first_cards: float = 0.0
    first_versions: int = 0
    views: list[float] = field(default_factory=list)
    cards: list[float] = field(default_factory=list)
    versions_per_view: list[int] = field(default_factory=list)
    looks: list[float] = field(default_factory=list)  # Caseload.basis, an open list's look
    listed: int = 0


def time_views(services: Services, taylor: Account, repeats: int) -> Timings:
    from app.ui.screens import home

    shell = SimpleNamespace(services=services, go=lambda _: None)
    store: Any = services.access.store
    caseload = services.caseload
    t = Timings()

    def one() -> tuple[float, float, int]:
        before = store.stats()["versions"]
        started = time.perf_counter()
        statuses = caseload.for_clinician(taylor)
        caseload.deleted_at_request(taylor)
        listed = time.perf_counter()
        for status in statuses:
            home._patient_card(shell, taylor, status)  # type: ignore[arg-type]
        drawn = time.perf_counter()
        t.listed = len(statuses)
        return listed - started, drawn - listed, store.stats()["versions"] - before

    t.first_view, t.first_cards, t.first_versions = one()
    for _ in range(repeats):
        view, cards, added = one()
        t.views.append(view)
        t.cards.append(cards)
        t.versions_per_view.append(added)
        started = time.perf_counter()
        caseload.basis(taylor)
        t.looks.append(time.perf_counter() - started)
    return t


def save_latency(services: Services, patients: list[Account], seconds: float,
                 lister: Callable[[], object] | None,
                 every: float, starts: list[float] | None = None
                 ) -> tuple[list[float], list[float]]:
    """Patient check-ins from one thread per patient, each about once a second, for
    `seconds`, beside the server's caseload job (Caseload.refresh every REFRESH_SECONDS);
    with `lister`, a therapist thread reopens the list every `every` s. Returns the save
    latencies and the list views' times; with `starts`, each save's start time
    (time.perf_counter) goes there, in the latencies' order."""
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    views: list[float] = []
    lock = threading.Lock()

    def patient(account: Account, seed: int) -> None:
        rng = random.Random(seed)
        time.sleep(rng.random())
        while time.monotonic() < stop:
            started = time.perf_counter()
            services.logbook.check_in(account, account.id, pain_now=rng.randint(0, 10))
            took = time.perf_counter() - started
            with lock:
                latencies.append(took)
                if starts is not None:
                    starts.append(started)
            time.sleep(max(0.0, 1.0 - took) * (0.5 + rng.random()))

    def therapist() -> None:
        assert lister is not None
        while time.monotonic() < stop:
            started = time.perf_counter()
            lister()
            views.append(time.perf_counter() - started)
            time.sleep(every)

    def refresher() -> None:
        while time.monotonic() < stop:
            services.caseload.refresh()
            time.sleep(REFRESH_SECONDS)

    threads = [threading.Thread(target=patient, args=(p, n)) for n, p in enumerate(patients)]
    threads.append(threading.Thread(target=refresher))
    if lister is not None:
        threads.append(threading.Thread(target=therapist))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, views


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=20, help="repeated list views")
    parser.add_argument("--active", type=int, default=25, help="patients saving at once")
    parser.add_argument("--seconds", type=float, default=30, help="per save-latency phase")
    parser.add_argument("--every", type=float, default=2.0,
                        help="seconds between the therapist's list views")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="backtrack-caseload-"))
    try:
        built = build(root, args.patients, args.days)
        started = time.perf_counter()
        services = build_services(settings_for(root))
        opened = time.perf_counter() - started
        try:
            store: Any = services.access.store
            stats = store.stats()
            print(f"Built {args.patients} patients x {args.days} days in {built:.0f} s: "
                  f"{stats['records']} records, {stats['versions']} versions; "
                  f"store opened in {opened:.1f} s")
            taylor = services.accounts.by_email("taylor@example.com")
            assert taylor is not None
            t = time_views(services, taylor, args.repeats)
            print(f"\nThe therapist's list ({t.listed} patients), in-process, ms")
            print(f"  first view after start (every status worked out): list "
                  f"{t.first_view * 1000:.0f}, cards {t.first_cards * 1000:.0f}, "
                  f"versions added {t.first_versions}")
            print(f"  repeated views (n={len(t.views)}): list p50 "
                  f"{statistics.median(t.views) * 1000:.1f} p95 {pct(t.views, .95) * 1000:.1f}"
                  f"; cards p50 {statistics.median(t.cards) * 1000:.1f} p95 "
                  f"{pct(t.cards, .95) * 1000:.1f}; list + cards p95 "
                  f"{pct([a + b for a, b in zip(t.views, t.cards, strict=True)], .95) * 1000:.1f}")
            print(f"  an open list's look for changes every {LIVE_SECONDS:g} s (Caseload.basis, "
                  f"n={len(t.looks)}): p50 {statistics.median(t.looks) * 1000:.1f} p95 "
                  f"{pct(t.looks, .95) * 1000:.1f}")
            print(f"  versions added per repeated view: max {max(t.versions_per_view)}, "
                  f"total {sum(t.versions_per_view)} over {len(t.versions_per_view)} views")

            everyone = [s.patient for s in services.caseload.for_clinician(taylor)]
            active = everyone[: args.active]
            quiet, _ = save_latency(services, active, args.seconds, None, args.every)
            views_before = store.stats()["versions"]
            busy, views = save_latency(services, active, args.seconds,
                                       lambda: services.caseload.for_clinician(taylor),
                                       args.every)
            worked = services.caseload.worked_out
            print(f"\nPatient check-in (Logbook.check_in) latency, {args.active} patients "
                  f"saving about once a second each, {args.seconds:.0f} s per phase, ms")
            print(f"  without list views: n={len(quiet)} p50 "
                  f"{statistics.median(quiet) * 1000:.1f} p95 {pct(quiet, .95) * 1000:.1f} "
                  f"max {max(quiet) * 1000:.1f}")
            print(f"  with the list reopened every {args.every:g} s ({len(views)} views): n="
                  f"{len(busy)} p50 {statistics.median(busy) * 1000:.1f} p95 "
                  f"{pct(busy, .95) * 1000:.1f} max {max(busy) * 1000:.1f}")
            print(f"  list ready meanwhile (for_clinician while they save): p50 "
                  f"{statistics.median(views) * 1000:.1f} p95 {pct(views, .95) * 1000:.1f} "
                  f"max {max(views) * 1000:.1f}")
            added = store.stats()["versions"] - views_before - len(busy)
            print(f"  versions added by those {len(views)} views (beyond the check-ins): "
                  f"{added}; statuses worked out in all (views and the refresh job): {worked}")
            load = os.getloadavg()
            print(f"\nMachine: {os.cpu_count()} CPUs, load average {load[0]:.1f} (1 min) / "
                  f"{load[1]:.1f} (5 min) at the end")
        finally:
            services.close()
    finally:
        if args.keep:
            print(f"Kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
