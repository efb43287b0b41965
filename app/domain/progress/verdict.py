"""Naming the verdict and writing the patient's headline and detail from the measured
numbers (the rules are in app.domain.progress.response's docstring; the words come from
the thresholds asset)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from app.domain.progress.summary import (
    MEASURES,
    ResponseSummary,
    Verdict,
    one_decimal,
    whole,
)
from app.domain.progress.thresholds import ProgressThresholds, ProgressWording


def judge(m: ResponseSummary, thresholds: ProgressThresholds) -> ResponseSummary:
    """Name the verdict and write the patient's headline and detail from measured numbers."""
    words = thresholds.wording
    assert m.pain_baseline is not None and m.pain_current is not None
    assert m.pain_change_points is not None
    context = {
        "pain_baseline": one_decimal(m.pain_baseline),
        "pain_current": one_decimal(m.pain_current),
        "sessions": words.count("sessions", m.sessions),
        "days": words.count("days", m.days_since_first_entry or 0),
    }
    lines = []
    if m.psfs_baseline is not None and m.psfs_current is not None:
        lines.append(words.say("psfs_line", psfs_baseline=one_decimal(m.psfs_baseline),
                               psfs_current=one_decimal(m.psfs_current)))
    if m.odi_baseline is not None and m.odi_current is not None:
        lines.append(words.say("odi_line", odi_baseline=whole(m.odi_baseline),
                               odi_current=whole(m.odi_current)))

    if m.worse_by:
        rests_on = _measures(m.worse_by)
        headline = _headline(words, m, rests_on[0], better=False)
        detail = _join([words.say("worse_detail", **context), *lines,
                        _rests_on_line(words, rests_on)])
        return replace(m, verdict=Verdict.WORSE, headline=headline, detail=detail,
                       still_needed=(), rests_on=rests_on)

    if m.improved_by:
        rests_on = _measures(m.improved_by)
        parts = [words.say("improved_detail", **context), *lines,
                 _rests_on_line(words, rests_on)]
        if m.pgic_improved:
            parts.append(words.say("pgic_improved_line"))
        if not m.trial_complete:
            parts.append(words.say("improved_early_note"))
        return replace(m, verdict=Verdict.MEANINGFUL_IMPROVEMENT,
                       headline=_headline(words, m, rests_on[0], better=True),
                       detail=_join(parts), still_needed=(), rests_on=rests_on)

    if not m.trial_complete:
        return m  # still too early: keeps the too_early wording and what is still needed

    rests_on = tuple(
        measure for measure, known in (("pain", True), ("psfs", m.psfs_change is not None),
                                       ("odi", m.odi_change is not None)) if known)
    small = abs(m.pain_change_points) >= thresholds.pain_small_change_points
    if small and m.pain_change_points < 0:
        headline = words.say("small_better_headline",
                             pain_drop=one_decimal(-m.pain_change_points))
    elif small:
        headline = words.say("small_worse_headline", pain_rise=one_decimal(m.pain_change_points))
    else:
        headline = words.say("no_change_headline")
    first = (words.say("small_change_detail", **context,
                       detectable=one_decimal(m.pain_detectable_change))
             if small else words.say("no_change_detail", **context))
    detail = _join([first, *lines, _rests_on_line(words, rests_on)])
    return replace(m, verdict=Verdict.NO_MEANINGFUL_CHANGE, headline=headline, detail=detail,
                   still_needed=(), rests_on=rests_on)


def _measures(reasons: Iterable[str]) -> tuple[str, ...]:
    named = {reason.split("_")[0] for reason in reasons}
    return tuple(m for m in MEASURES if m in named)


def _headline(words: ProgressWording, m: ResponseSummary, measure: str, *, better: bool) -> str:
    if measure == "pain":
        assert m.pain_change_points is not None
        if better:
            return words.say("improved_pain_headline",
                             pain_drop=one_decimal(-m.pain_change_points),
                             pain_drop_percent=whole(-(m.pain_change_percent or 0.0)))
        return words.say("worse_pain_headline", pain_rise=one_decimal(m.pain_change_points))
    if measure == "psfs":
        change = m.psfs_change or 0.0
        if better:
            return words.say("improved_psfs_headline", psfs_gain=one_decimal(change))
        return words.say("worse_psfs_headline", psfs_drop=one_decimal(-change))
    change = m.odi_change or 0.0
    if better:
        return words.say("improved_odi_headline", odi_drop=whole(-change))
    return words.say("worse_odi_headline", odi_rise=whole(change))


def _rests_on_line(words: ProgressWording, measures: Sequence[str]) -> str:
    names = [words.say(f"measure_{m}") for m in measures]
    return words.say("rests_on_line", measures=words.say("list_and").join(names))


def _join(parts: Sequence[str]) -> str:
    return " ".join(p for p in parts if p)
