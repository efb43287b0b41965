"""The plain data of a response assessment: the verdict names, the record it is built
from, the two windows, and the ResponseSummary that carries every derived number (so
screens, the report and exports only format them). Also the one rounding rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from app.domain.entries import (
    CheckIn,
    Milestone,
    NeedlingSession,
    OdiAnswer,
    PgicAnswer,
    PsfsActivity,
    SorenessEntry,
)


class Verdict(StrEnum):
    TOO_EARLY = "too_early"
    MEANINGFUL_IMPROVEMENT = "meaningful_improvement"
    NO_MEANINGFUL_CHANGE = "no_meaningful_change"
    WORSE = "worse"


MEASURES = ("pain", "psfs", "odi")


@dataclass(frozen=True)
class ProgressRecord:
    """One patient's plain entries, oldest first, as of `today` (the patient's local day).

    What the charts and the summary are built from; the service fills it from the logbook.
    """

    today: date
    check_ins: Sequence[CheckIn] = ()
    sessions: Sequence[NeedlingSession] = ()
    soreness: Sequence[SorenessEntry] = ()
    activities: Sequence[PsfsActivity] = ()
    milestones: Sequence[Milestone] = ()
    pgic: Sequence[PgicAnswer] = ()
    odi: Sequence[OdiAnswer] = ()


@dataclass(frozen=True)
class Windows:
    """The check-ins that set the starting level and those that give the current one."""

    baseline: tuple[CheckIn, ...]
    current: tuple[CheckIn, ...]


@dataclass(frozen=True)
class ResponseSummary:
    """How the patient is responding, with every number behind the verdict.

    Sign conventions: `pain_change_points`, `pain_change_percent`, `odi_change` are
    current − baseline (negative = better); `psfs_change` and the activity changes are
    current − baseline (positive = easier). All are rounded as shown.
    """

    verdict: Verdict
    headline: str
    detail: str
    pain_baseline: float | None = None
    pain_current: float | None = None
    pain_change_points: float | None = None
    pain_change_percent: float | None = None
    pain_detectable_change: float | None = None  # measurement error for these windows
    # How far average pain must move from the start to count (the larger of the important
    # change and the measurement error): the band the pain chart draws.
    pain_meaningful_points: float | None = None
    psfs_baseline: float | None = None
    psfs_current: float | None = None
    psfs_change: float | None = None
    psfs_activity_changes: Mapping[str, float] = field(default_factory=dict)
    # activity id → (start mean, current mean), rounded as shown
    psfs_activity_levels: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    activities_meaningfully_better: tuple[str, ...] = ()
    odi_baseline: float | None = None
    odi_current: float | None = None
    odi_change: float | None = None
    sessions: int = 0
    days_since_first_entry: int | None = None
    trial_complete: bool = False
    still_needed: tuple[str, ...] = ()
    # "pain_points", "pain_percent", "psfs_mean", "odi"
    improved_by: tuple[str, ...] = ()
    worse_by: tuple[str, ...] = ()
    rests_on: tuple[str, ...] = ()  # of MEASURES
    pgic_improved: bool | None = None
    baseline_entries: int = 0
    current_entries: int = 0

    @property
    def worse(self) -> bool:
        """Getting worse, for real (sustained and beyond measurement error)."""
        return self.verdict is Verdict.WORSE

    @property
    def needs_reassessment(self) -> bool:
        """The therapist's "reassess" flag: worse, or no meaningful response after a fair
        trial."""
        return self.verdict in (Verdict.NO_MEANINGFUL_CHANGE, Verdict.WORSE)

    def activity_meaningfully_better(self, activity_id: str) -> bool:
        return activity_id in self.activities_meaningfully_better


def round_half_up(value: float, places: int) -> float:
    """Round half away from zero, as people round (Python's round() goes to even)."""
    quantum = Decimal(1).scaleb(-places)
    exact = Decimal(repr(round(value, 9)))
    return float(exact.quantize(quantum, rounding=ROUND_HALF_UP))


def one_decimal(value: float | None) -> str:
    assert value is not None
    return f"{round_half_up(value, 1):.1f}"


def whole(value: float) -> str:
    return f"{round_half_up(value, 0):.0f}"
