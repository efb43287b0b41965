"""Soreness after each needling session against the expected fading window: one curve per
session, flagged when it is not settling or rises again (for the soreness chart and the
clinician's "soreness not settling" flag). Pure; numbers from ProgressThresholds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from app.domain.entries import NeedlingSession, SorenessEntry
from app.domain.progress.thresholds import ProgressThresholds


@dataclass(frozen=True)
class SorenessCurve:
    """Soreness readings after one session, as (hours since the session, soreness)."""

    session_id: str
    performed_at: datetime
    regions: tuple[str, ...]
    points: tuple[tuple[float, int], ...]
    not_settling: bool
    rising: bool

    @property
    def flagged(self) -> bool:
        return self.not_settling or self.rising


def soreness_curves(
    sessions: Sequence[NeedlingSession],
    soreness: Sequence[SorenessEntry],
    thresholds: ProgressThresholds,
) -> list[SorenessCurve]:
    """One curve per session that has soreness readings, oldest session first.

    not_settling: the latest reading beyond `soreness_settle_hours` is above 0 and not
    lower than the first reading. rising: a reading taken after
    `soreness_rising_after_hours` is higher than the reading before it.
    """
    by_session: dict[str, list[SorenessEntry]] = defaultdict(list)
    for entry in soreness:
        by_session[entry.session_id].append(entry)
    curves: list[SorenessCurve] = []
    for session in sorted(sessions, key=lambda s: s.performed_at):
        readings = sorted(by_session.get(session.id, ()), key=lambda e: e.recorded_at)
        if not readings:
            continue
        points = tuple(
            (max(0.0, (r.recorded_at - session.performed_at).total_seconds() / 3600.0),
             r.soreness)
            for r in readings
        )
        curves.append(SorenessCurve(
            session_id=session.id,
            performed_at=session.performed_at,
            regions=session.regions,
            points=points,
            not_settling=_not_settling(points, thresholds.soreness_settle_hours),
            rising=_rising(points, thresholds.soreness_rising_after_hours),
        ))
    return curves


def _not_settling(points: Sequence[tuple[float, int]], settle_hours: float) -> bool:
    beyond = [p for p in points if p[0] > settle_hours]
    if not beyond:
        return False
    latest = beyond[-1][1]
    return latest > 0 and latest >= points[0][1]


def _rising(points: Sequence[tuple[float, int]], after_hours: float) -> bool:
    return any(
        later[0] > after_hours and later[1] > earlier[1]
        for earlier, later in pairwise(points)
    )
