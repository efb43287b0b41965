"""What a patient (or their therapist) logs: check-ins, needling sessions, soreness,
PSFS activities and ratings, milestones, ODI and PGIC answers.

Each entry is a frozen dataclass; `new_*` functions validate raw input and build one, or
raise InvalidInput listing every problem. Entries never change: a correction is a new
version of the same id, kept by the store. No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from app.domain.regions import NEEDLING_REGIONS, PAIN_REGIONS
from app.domain.scales import (
    NAME_MAX_CHARS,
    NRS_MAX,
    NRS_MIN,
    ODI_SECTION_MAX,
    ODI_SECTIONS,
    PGIC_LABELS,
    PSFS_MAX,
    PSFS_MAX_ACTIVITIES,
    PSFS_MIN,
    PSFS_MIN_ACTIVITIES,
)
from app.domain.validation import Problems

MILESTONE_SUGGESTIONS: tuple[str, ...] = (
    "Got out of bed without the grab",
    "Bent down to tie my shoes",
    "Sat through a whole meal or meeting",
    "Walked 30 minutes",
    "Turned to look behind me without bracing",
    "Picked up my kids",
    "Squatted to the floor",
    "Went for a run",
    "Worked a full shift",
    "Trained without fearing a flare-up",
)

PSFS_SUGGESTIONS: tuple[str, ...] = (
    "Bending forward",
    "Getting out of bed",
    "Sitting for an hour",
    "Walking",
    "Rotating / turning",
    "Lifting my kids",
    "Squatting",
    "Running",
    "A full work shift",
)


@dataclass(frozen=True)
class CheckIn:
    """A daily check-in: pain now, worst in 24 h, where, PSFS ability, a note."""

    id: str
    patient_id: str
    recorded_at: datetime
    pain_now: int
    worst_24h: int | None = None
    regions: tuple[str, ...] = ()
    psfs: dict[str, int] = field(default_factory=dict)  # activity id → 0–10
    note: str = ""


@dataclass(frozen=True)
class NeedlingSession:
    id: str
    patient_id: str
    performed_at: datetime
    regions: tuple[str, ...]
    recorded_by: str  # account id of whoever logged it
    note: str = ""


@dataclass(frozen=True)
class SorenessEntry:
    id: str
    patient_id: str
    session_id: str
    recorded_at: datetime
    soreness: int
    note: str = ""


@dataclass(frozen=True)
class PsfsActivity:
    id: str
    patient_id: str
    name: str
    created_at: datetime
    retired: bool = False


@dataclass(frozen=True)
class Milestone:
    id: str
    patient_id: str
    achieved_on: date
    text: str
    note: str = ""


@dataclass(frozen=True)
class OdiAnswer:
    id: str
    patient_id: str
    recorded_at: datetime
    sections: tuple[int | None, ...]  # 10 sections 0–5; None = skipped

    @property
    def percent(self) -> float:
        answered = [s for s in self.sections if s is not None]
        return 100.0 * sum(answered) / (ODI_SECTION_MAX * len(answered)) if answered else 0.0


@dataclass(frozen=True)
class PgicAnswer:
    id: str
    patient_id: str
    recorded_at: datetime
    rating: int  # 1 very much improved … 7 very much worse


def new_check_in(
    *,
    id: str,
    patient_id: str,
    recorded_at: datetime,
    now: datetime,
    pain_now: object,
    worst_24h: object = None,
    regions: Sequence[str] = (),
    psfs: Mapping[str, object] | None = None,
    activity_ids: Sequence[str] = (),
    note: str | None = "",
) -> CheckIn:
    p = Problems()
    pain = p.score("pain_now", pain_now, NRS_MIN, NRS_MAX, "pain now")
    worst = p.optional_score("worst_24h", worst_24h, NRS_MIN, NRS_MAX, "worst pain")
    if worst is not None and not p.has("pain_now") and worst < pain:
        p.add("worst_24h", "Worst pain in the last 24 hours can't be lower than pain now.")
    ratings: dict[str, int] = {}
    for activity_id, value in (psfs or {}).items():
        if activity_id not in activity_ids:
            p.add(f"psfs.{activity_id}", "This activity is not one of your activities.")
            continue
        if value is not None:
            ratings[activity_id] = p.score(
                f"psfs.{activity_id}", value, PSFS_MIN, PSFS_MAX, "your ability"
            )
    entry = CheckIn(
        id=id,
        patient_id=patient_id,
        recorded_at=p.when("recorded_at", recorded_at, now),
        pain_now=pain,
        worst_24h=worst,
        regions=p.choices("regions", regions, PAIN_REGIONS, "body region"),
        psfs=ratings,
        note=p.note("note", note),
    )
    p.raise_if_any()
    return entry


def new_needling_session(
    *,
    id: str,
    patient_id: str,
    performed_at: datetime,
    now: datetime,
    regions: Sequence[str],
    recorded_by: str,
    note: str | None = "",
) -> NeedlingSession:
    p = Problems()
    picked = p.choices("regions", regions, NEEDLING_REGIONS, "needling region")
    if not picked:
        p.add("regions", "Pick at least one region that was needled.")
    session = NeedlingSession(
        id=id,
        patient_id=patient_id,
        performed_at=p.when("performed_at", performed_at, now, "The session time"),
        regions=picked,
        recorded_by=recorded_by,
        note=p.note("note", note),
    )
    p.raise_if_any()
    return session


def new_soreness_entry(
    *,
    id: str,
    patient_id: str,
    session: NeedlingSession,
    recorded_at: datetime,
    now: datetime,
    soreness: object,
    note: str | None = "",
) -> SorenessEntry:
    p = Problems()
    if session.patient_id != patient_id:
        p.add("session_id", "That session belongs to someone else.")
    when = p.when("recorded_at", recorded_at, now)
    if when.tzinfo is not None and when < session.performed_at:
        p.add("recorded_at", "Soreness can only be logged after the session it belongs to.")
    entry = SorenessEntry(
        id=id,
        patient_id=patient_id,
        session_id=session.id,
        recorded_at=when,
        soreness=p.score("soreness", soreness, NRS_MIN, NRS_MAX, "soreness"),
        note=p.note("note", note),
    )
    p.raise_if_any()
    return entry


def hours_since(session: NeedlingSession, at: datetime) -> float:
    """Hours between a session and a moment: computed, never typed by the patient."""
    return max(0.0, (at - session.performed_at).total_seconds() / 3600.0)


def check_psfs_plan(names: Sequence[str]) -> tuple[str, ...]:
    """Validate a patient's set of 3–5 PSFS activity names (clean, distinct)."""
    p = Problems()
    cleaned: list[str] = []
    for index, raw in enumerate(names):
        name = p.name(f"activity.{index}", raw, NAME_MAX_CHARS, "an activity name")
        if name and name.casefold() in (c.casefold() for c in cleaned):
            p.add(f"activity.{index}", "You already have this activity.")
        cleaned.append(name)
    if not PSFS_MIN_ACTIVITIES <= len(cleaned) <= PSFS_MAX_ACTIVITIES:
        p.add(
            "activities",
            f"Choose {PSFS_MIN_ACTIVITIES} to {PSFS_MAX_ACTIVITIES} activities; "
            f"you have {len(cleaned)}.",
        )
    p.raise_if_any()
    return tuple(cleaned)


def new_milestone(
    *, id: str, patient_id: str, achieved_on: date, today: date, text: str | None,
    note: str | None = "",
) -> Milestone:
    p = Problems()
    milestone = Milestone(
        id=id,
        patient_id=patient_id,
        achieved_on=p.day("achieved_on", achieved_on, today),
        text=p.name("text", text, 200, "what you achieved"),
        note=p.note("note", note),
    )
    p.raise_if_any()
    return milestone


def new_odi_answer(
    *, id: str, patient_id: str, recorded_at: datetime, now: datetime,
    sections: Sequence[object],
) -> OdiAnswer:
    p = Problems()
    if len(sections) != ODI_SECTIONS:
        p.add("sections", f"The questionnaire has {ODI_SECTIONS} sections.")
    scores = tuple(
        p.optional_score(f"sections.{i}", s, 0, ODI_SECTION_MAX, "an answer")
        for i, s in enumerate(sections)
    )
    if sections and all(s is None for s in scores):
        p.add("sections", "Answer at least one section.")
    answer = OdiAnswer(id, patient_id, p.when("recorded_at", recorded_at, now), scores)
    p.raise_if_any()
    return answer


def new_pgic_answer(
    *, id: str, patient_id: str, recorded_at: datetime, now: datetime, rating: object
) -> PgicAnswer:
    p = Problems()
    low, high = min(PGIC_LABELS), max(PGIC_LABELS)
    answer = PgicAnswer(
        id,
        patient_id,
        p.when("recorded_at", recorded_at, now),
        p.score("rating", rating, low, high, "how you have changed"),
    )
    p.raise_if_any()
    return answer


Entry = CheckIn | NeedlingSession | SorenessEntry | PsfsActivity | Milestone | OdiAnswer | \
    PgicAnswer


def recheck(entry: Entry) -> None:
    """Check an entry that arrives already built (an import): the same ranges and limits
    as when it was first typed. Times are not compared with "now" here."""
    p = Problems()
    if isinstance(entry, CheckIn):
        p.score("pain_now", entry.pain_now, NRS_MIN, NRS_MAX, "pain now")
        p.optional_score("worst_24h", entry.worst_24h, NRS_MIN, NRS_MAX, "worst pain")
        p.choices("regions", entry.regions, PAIN_REGIONS, "body region")
        for key, value in entry.psfs.items():
            p.score(f"psfs.{key}", value, PSFS_MIN, PSFS_MAX, "your ability")
        p.note("note", entry.note)
    elif isinstance(entry, NeedlingSession):
        p.choices("regions", entry.regions, NEEDLING_REGIONS, "needling region")
        p.note("note", entry.note)
    elif isinstance(entry, SorenessEntry):
        p.score("soreness", entry.soreness, NRS_MIN, NRS_MAX, "soreness")
        p.note("note", entry.note)
    elif isinstance(entry, PsfsActivity):
        p.name("name", entry.name, NAME_MAX_CHARS, "an activity name")
    elif isinstance(entry, Milestone):
        p.name("text", entry.text, 200, "what you achieved")
        p.note("note", entry.note)
    elif isinstance(entry, OdiAnswer):
        for i, section in enumerate(entry.sections):
            p.optional_score(f"sections.{i}", section, 0, ODI_SECTION_MAX, "an answer")
    else:
        p.score("rating", entry.rating, min(PGIC_LABELS), max(PGIC_LABELS), "the rating")
    p.raise_if_any()
