"""What the app already knows for "Is this normal?": hours since the last session, the
regions needled, the soreness series and its trend, and the patient's usual pain.
The patient confirms or changes these before the engine runs.

`symptom_report` is the one place a screen's answers and these facts become the engine's
input (the guidance screen used to build it twice, in two slightly different ways)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from app.domain.entries import NeedlingSession, hours_since
from app.domain.guidance import SymptomReport, parse_report
from app.services.logbook import PatientData

# How far back "usual pain" looks, and how fresh a reading must be to count as "now".
USUAL_PAIN_WINDOW = timedelta(days=14)
FRESH_READING = timedelta(hours=12)


@dataclass(frozen=True)
class Prefill:
    session: NeedlingSession | None
    hours_since_needling: float | None
    needled_regions: tuple[str, ...] | None
    soreness_now: int | None
    soreness_trend: str | None  # "better" | "same" | "worse" | None
    pain_now: int | None
    pain_usual: int | None


def prefill(data: PatientData, now: datetime, session_id: str | None = None) -> Prefill:
    session = data.session(session_id) if session_id else data.last_session
    hours = hours_since(session, now) if session else None
    series = [s.value for s in data.soreness if session and s.value.session_id == session.id]
    soreness_now = (series[-1].soreness if series and now - series[-1].recorded_at
                    <= FRESH_READING else None)
    return Prefill(
        session=session,
        hours_since_needling=round(hours, 1) if hours is not None else None,
        needled_regions=session.regions if session else None,
        soreness_now=soreness_now,
        soreness_trend=soreness_trend([s.soreness for s in series]),
        pain_now=_pain_now(data, now),
        pain_usual=_pain_usual(data, session.performed_at if session else now),
    )


def soreness_trend(readings: list[int]) -> str | None:
    """Compare the last reading with the one before; unknown with fewer than two."""
    if len(readings) < 2:
        return None
    last, before = readings[-1], readings[-2]
    return "better" if last < before else "worse" if last > before else "same"


def _pain_now(data: PatientData, now: datetime) -> int | None:
    recent = [c.value for c in data.check_ins if now - c.value.recorded_at <= FRESH_READING]
    return recent[-1].pain_now if recent else None


def _pain_usual(data: PatientData, before: datetime) -> int | None:
    window = [c.value.pain_now for c in data.check_ins
              if before - USUAL_PAIN_WINDOW <= c.value.recorded_at < before]
    return round(median(window)) if window else None


def symptom_report(
    known: Prefill,
    *,
    soreness_now: int | None,
    soreness_trend: str | None,
    pain_now: int | None,
    symptoms: list[str],
    risk_factors: tuple[str, ...] = (),
    temperature_c: float | None = None,
) -> SymptomReport:
    """The engine's input from what the app knows plus the patient's answers.

    With no session logged the regions are [] ("nothing needled"), so breathing trouble is
    not blamed on needling; the screen says so and offers to log a session first. Raises
    ReportError (an InvalidInput) naming the answer at fault.
    """
    regions: list[str] | None = []
    if known.session is not None:  # a session without regions: "not recorded"
        regions = list(known.needled_regions) if known.needled_regions else None
    return parse_report({
        "hours_since_needling": known.hours_since_needling,
        "needled_regions": regions,
        "soreness_now": soreness_now,
        "soreness_trend": soreness_trend,
        "pain_now": pain_now,
        "pain_usual": known.pain_usual,
        "symptoms": symptoms,
        "risk_factors": list(risk_factors),
        "temperature_c": temperature_c,
    })
