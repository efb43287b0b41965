"""Two years of realistic data for one patient, written through the real services.

Used by bench/ui_load.py. The demo clinic is seeded first (so the store also holds the
other demo patients, the therapist and the care team), then one extra patient gets
`DAYS` days of check-ins (1–2 a day, with PSFS ratings), a weekly needling session with
soreness readings at 4/24/48/72 h, an activity change after a year, a few corrections
and milestones. Entries are back-dated the way app/services/demo.py does it: the
logbook's clock is pinned to the real "now" and `recorded_at` is set in the past.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from app.domain.accounts import Role
from app.main import Services, build_services, seed_demo_if_empty
from app.settings import Settings

EMAIL = "robin@example.com"
NAME = "Robin Hale"
PASSWORD = "backtrack-bench"
DAYS = 730

ACTIVITIES_YEAR_1 = ["Getting out of bed", "Sitting for an hour", "Walking 30 minutes",
                     "Lifting the laundry basket"]
ACTIVITIES_YEAR_2 = ["Getting out of bed", "Sitting for an hour", "Running 5 km",
                     "Lifting the laundry basket", "Gardening"]
NOTES = ["", "", "", "", "Stiff in the morning", "Long drive today", "Did my exercises",
         "Slept badly", "Good day", "Flare-up after lifting"]
MILESTONES = [(40, "Got out of bed without the grab"), (95, "Sat through a whole film"),
              (180, "Walked 30 minutes without stopping"), (300, "Back at work full time"),
              (420, "First 5 km run"), (560, "Lifted the laundry basket pain-free"),
              (700, "A whole month without a flare-up")]


@dataclass(frozen=True)
class HistoryStats:
    check_ins: int
    corrections: int
    sessions: int
    soreness: int
    milestones: int
    seconds: float


def settings_for(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, argon2_memory_kib=1024, argon2_time_cost=1,
                    open_browser=False)


def build_history(data_dir: Path, *, days: int = DAYS, seed: int = 2024) -> HistoryStats:
    """Fill `data_dir` (empty) with the demo clinic plus `days` days for EMAIL, then close
    the store (which writes the snapshot)."""
    started = time.perf_counter()
    services = build_services(settings_for(data_dir))
    try:
        seed_demo_if_empty(services, progress=lambda _: None)
        counts = _fill(services, days, random.Random(seed))
    finally:
        services.close()
    return HistoryStats(*counts, seconds=time.perf_counter() - started)


def _fill(services: Services, days: int, rng: random.Random) -> tuple[int, int, int, int, int]:
    accounts, logbook = services.accounts, services.logbook
    patient = accounts.create(EMAIL, NAME, PASSWORD, Role.PATIENT)
    therapist = accounts.by_email("taylor@example.com")
    care_team = accounts.by_email("jordan@example.com")
    assert therapist is not None and care_team is not None
    services.access.grant(patient, therapist)
    services.access.grant(patient, care_team)

    now = accounts.clock()
    # Day 0 is `days` days ago; the last day is yesterday, so "today" is still to do.
    start = (now - timedelta(days=days)).replace(hour=7, minute=0, second=0, microsecond=0)
    saved_clock = logbook.clock
    check_ins = corrections = sessions = soreness = 0
    try:
        logbook.clock = _fixed(start)  # activities are created at the start
        activities = logbook.set_activities(patient, patient.id, ACTIVITIES_YEAR_1)
        logbook.clock = _fixed(now)  # entries are back-dated against the real "now"
        session_times: list[tuple[datetime, str]] = []
        for day in range(days):
            morning = start + timedelta(days=day)
            if day == 365:
                logbook.clock = _fixed(morning)
                activities = logbook.set_activities(patient, patient.id, ACTIVITIES_YEAR_2)
                logbook.clock = _fixed(now)
            if day % 7 == 2:  # weekly needling session, mid-morning
                when = morning + timedelta(hours=3 + rng.random())
                made = logbook.log_session(therapist, patient.id,
                                           regions=("lumbar", "gluteal"), performed_at=when)
                session_times.append((when, made.value.id))
                sessions += 1
            pain_centre = _trend(day / days, 7.0, 2.2) + (1.5 if day % 60 < 4 else 0.0)
            psfs_centre = _trend(day / days, 2.5, 8.0)
            for slot in range(1 if rng.random() < 0.55 else 2):
                if rng.random() < 0.08:  # a missed check-in now and then
                    continue
                pain = _around(pain_centre, rng)
                at = morning + timedelta(hours=slot * 10 + 1 + rng.random() * 3,
                                         minutes=rng.randint(0, 59))
                psfs = {a.id: _around(psfs_centre + i * 0.4 - 0.6, rng)
                        for i, a in enumerate(activities)}
                made_in = logbook.check_in(
                    patient, patient.id, pain_now=pain,
                    worst_24h=min(10, pain + rng.randint(0, 2)),
                    regions=["lower_back"] + (["buttock_left"] if pain > 4 else []),
                    psfs=psfs, recorded_at=at, note=rng.choice(NOTES))
                check_ins += 1
                if rng.random() < 0.02:  # a typo fixed later: a second version
                    logbook.correct_check_in(
                        patient, made_in.value.id, expected_version=1,
                        pain_now=max(0, pain - 1), worst_24h=min(10, pain + 1),
                        regions=["lower_back"], psfs=psfs, note="Corrected")
                    corrections += 1
        for when, session_id in session_times:
            peak = rng.randint(2, 5)
            for hours, fade in ((4, 1.0), (24, 0.7), (48, 0.4), (72, 0.15)):
                at = when + timedelta(hours=hours + rng.random())
                if at >= now:
                    continue
                logbook.log_soreness(patient, patient.id, session_id=session_id,
                                     soreness=max(0, round(peak * fade)), recorded_at=at)
                soreness += 1
        for day, text in MILESTONES:
            if day < days:
                logbook.add_milestone(patient, patient.id, text=text,
                                      achieved_on=(start + timedelta(days=day)).date())
    finally:
        logbook.clock = saved_clock
    milestones = sum(1 for day, _ in MILESTONES if day < days)
    return check_ins, corrections, sessions, soreness, milestones


def _fixed(when: datetime) -> Callable[[], datetime]:
    return lambda: when


def _trend(frac: float, begin: float, end: float) -> float:
    """Fast early improvement that levels off (a realistic recovery curve)."""
    eased = 1 - (1 - frac) ** 2
    return begin + (end - begin) * eased


def _around(centre: float, rng: random.Random) -> int:
    return max(0, min(10, round(rng.gauss(centre, 0.9))))


if __name__ == "__main__":
    import sys
    import tempfile

    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    print(folder, build_history(folder))
