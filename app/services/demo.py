"""The demo clinic: about eight weeks of realistic, varied data for three patients.

- alex@example.com   improves meaningfully (pain and function)
- blair@example.com  no meaningful change after a reasonable trial
- casey@example.com  had an upper-back session the day before yesterday and, yesterday,
                     reported a warning symptom (an emergency answer Today follows up)

Every patient shares with the therapist (taylor@, "Everything") and the care team
(jordan@). Blair and Casey keep the care team's default, "Reminders and logging only";
Alex chose "Everything" for the care team too, so both kinds of grant are there to see.
Demo passwords exist only here and only for demo accounts.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.accounts import Account, Role, Scope
from app.domain.entries import hours_since
from app.domain.guidance import parse_report
from app.services.access import AccessService
from app.services.accounts import AccountService
from app.services.clinic import ClinicService
from app.services.guidance import GuidanceService
from app.services.logbook import Logbook

DEMO_PASSWORD = "backtrack-demo"
DEMO_ACCOUNTS: tuple[tuple[str, str, Role], ...] = (
    ("alex@example.com", "Alex Morgan", Role.PATIENT),
    ("blair@example.com", "Blair Chen", Role.PATIENT),
    ("casey@example.com", "Casey Rivera", Role.PATIENT),
    ("taylor@example.com", "Taylor Brooks", Role.THERAPIST),
    ("jordan@example.com", "Jordan Patel", Role.CARE_TEAM),
    ("admin@example.com", "Sam Admin", Role.ADMIN),
)

# The patients who chose "Everything" for the care team (the rest keep its default).
CARE_TEAM_SEES_EVERYTHING = frozenset({"alex@example.com"})

# Casey asked "Is this normal?" this long after her last session (the next day).
CASEY_ASKED_AFTER = timedelta(hours=20)


@dataclass(frozen=True)
class Trajectory:
    """How a demo patient's pain and function move over the weeks."""

    days: int
    pain_start: float
    pain_end: float
    psfs_start: float
    psfs_end: float
    session_every_days: int
    regions: tuple[str, ...]
    log_probability: float


TRAJECTORIES = {
    "alex@example.com": Trajectory(56, 6.8, 2.6, 3.0, 7.6, 7, ("lumbar", "gluteal"), 0.9),
    "blair@example.com": Trajectory(56, 5.8, 5.4, 4.0, 4.4, 7, ("lumbar", "hip"), 0.75),
    "casey@example.com": Trajectory(24, 5.0, 4.2, 4.5, 5.2, 7, ("thoracic", "shoulder"), 0.85),
}
ACTIVITIES = {
    "alex@example.com": ["Getting out of bed", "Deadlift 60 kg", "Sitting for an hour",
                         "Running"],
    "blair@example.com": ["Bending forward", "Walking", "A full work shift"],
    "casey@example.com": ["Rotating / turning", "Lifting my kids", "Sitting for an hour"],
}
MILESTONES = {
    "alex@example.com": [(20, "Got out of bed without the grab"), (34, "Sat through a whole "
                         "meeting"), (48, "Deadlift 60 kg pain-free")],
    "blair@example.com": [(30, "Walked 30 minutes")],
    "casey@example.com": [],
}


def seed_demo(accounts: AccountService, access: AccessService, logbook: Logbook,
              clinic: ClinicService, guidance: GuidanceService, now: datetime,
              progress: Callable[[str], None] = lambda _: None) -> dict[str, Account]:
    """Create the demo clinic. Call on an empty store only."""
    made = {email: accounts.create(email, name, DEMO_PASSWORD, role)
            for email, name, role in DEMO_ACCOUNTS}
    clinic.update(made["admin@example.com"], name="Riverside Physio (demo)",
                  phone="+1 555 0100", emergency_number="911")
    clinic.set_staff_two_step(made["admin@example.com"], False)  # README: password alone
    therapist, care_team = made["taylor@example.com"], made["jordan@example.com"]
    for email, trajectory in TRAJECTORIES.items():
        progress(f"Filling in {made[email].name} …")
        patient = made[email]
        access.grant(patient, therapist)
        access.grant(patient, care_team,
                     Scope.FULL if email in CARE_TEAM_SEES_EVERYTHING else None)
        _fill_patient(logbook, patient, therapist, trajectory, now,
                      random.Random(email))
    _casey_reports_a_warning_sign(logbook, guidance, made["casey@example.com"], now)
    return made


def _casey_reports_a_warning_sign(logbook: Logbook, guidance: GuidanceService,
                                  casey: Account, now: datetime) -> None:
    """Casey felt short of breath the day after an upper-back session and asked the app.

    Her last session is the day before yesterday, late afternoon (see `_session_day`), so
    20 h later is yesterday early afternoon, whatever the hour the demo is seeded: her
    Today screen follows the answer up "the next day" (issue 12) within its 72 h window."""
    data = logbook.load(casey, casey.id)
    session = data.last_session
    if session is None:
        return
    at = session.performed_at + CASEY_ASKED_AFTER
    if at >= now:  # never a moment in the future
        return
    report = parse_report({
        "hours_since_needling": round(hours_since(session, at), 1),
        "needled_regions": list(session.regions),
        "soreness_now": 4, "soreness_trend": "same", "pain_now": 4, "pain_usual": 4,
        "symptoms": ["shortness_of_breath"],
    })
    guidance.assess(casey, casey.id, report, assessed_at=at)


def _session_day(email: str, t: Trajectory, day: int) -> bool:
    """Weekly sessions; Casey's last one is the day before yesterday (her story above)."""
    if email.startswith("casey"):
        return (day % t.session_every_days == 1 and day <= t.days - 2) or day == t.days - 2
    return day % t.session_every_days == 1


def _fill_patient(logbook: Logbook, patient: Account, therapist: Account,
                  t: Trajectory, now: datetime, rng: random.Random) -> None:
    start = (now - timedelta(days=t.days)).replace(hour=8, minute=0, second=0, microsecond=0)
    clock = logbook.clock
    logbook.clock = lambda: now  # entries are back-dated against the real "now"
    try:
        activities = logbook.set_activities(patient, patient.id, ACTIVITIES[patient.email])
        sessions: list[tuple[datetime, str]] = []
        for day in range(t.days + 1):
            frac = day / t.days
            morning = start + timedelta(days=day)
            if _session_day(patient.email, t, day):
                when = morning + timedelta(hours=9 + rng.random())
                if when < now:
                    s = logbook.log_session(therapist, patient.id, regions=t.regions,
                                            performed_at=when)
                    sessions.append((when, s.value.id))
            if rng.random() > t.log_probability:
                continue
            pain = _around(t.pain_start + (t.pain_end - t.pain_start) * frac, rng, 0, 10)
            psfs = {a.id: _around(t.psfs_start + (t.psfs_end - t.psfs_start) * frac
                                  + i * 0.5 - 0.5, rng, 0, 10)
                    for i, a in enumerate(activities)}
            at = morning + timedelta(hours=1 + rng.random() * 12)
            if at >= now:
                continue
            logbook.check_in(patient, patient.id, pain_now=pain,
                             worst_24h=min(10, pain + rng.randint(0, 2)),
                             regions=["lower_back"] + (["buttock_left"] if pain > 4 else []),
                             psfs=psfs, recorded_at=at,
                             note=rng.choice(["", "", "", "Stiff in the morning",
                                              "Long drive today", "Did my exercises"]))
        for when, session_id in sessions:
            peak = rng.randint(3, 5)
            for hours, fade in ((4, 1.0), (24, 0.7), (48, 0.4), (72, 0.15)):
                at = when + timedelta(hours=hours + rng.random())
                if at < now:
                    logbook.log_soreness(patient, patient.id, session_id=session_id,
                                         soreness=max(0, round(peak * fade)), recorded_at=at)
        for day, text in MILESTONES[patient.email]:
            logbook.add_milestone(patient, patient.id, text=text,
                                  achieved_on=(start + timedelta(days=day)).date())
    finally:
        logbook.clock = clock


def _around(centre: float, rng: random.Random, low: int, high: int) -> int:
    return max(low, min(high, round(rng.gauss(centre, 0.8))))
