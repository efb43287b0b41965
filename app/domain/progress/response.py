"""Response to treatment: is the patient meaningfully better, the same, or worse?

Every number a screen, the report or an export shows about the response is worked out
here, once, and put on the ResponseSummary; elsewhere it is only formatted.

Rules, in clinic words (the thresholds asset states each number and its source):

- Baseline = check-ins in the first `baseline_window_days` days from the first check-in,
  widened to the first `window_min_entries` check-ins when there are fewer.
- Current = check-ins after the baseline within `current_window_days` days up to the latest
  check-in, widened back to the last `window_min_entries` non-baseline check-ins.
- Pain level of a window = mean of `pain_now`; PSFS level = mean of each check-in's mean
  activity rating. Changes are rounded as they are shown (0.1 point, whole percent)
  *before* they are judged, so what the patient reads is what was judged.
- A pain change is **meaningful** only when it is both
  * clinically important (`pain_rules_met`: >= `pain_change_points`, or >=
    `pain_change_percent` % of the baseline, or either, by `pain_threshold_mode`; a
    baseline of 0 has no percentage and the points rule decides), and
  * beyond measurement error (`pain_detectable_change`): single readings vary by up to
    `pain_single_reading_error_points`; the error of a difference of two window means
    shrinks with the number of readings, as sqrt((1/n_baseline + 1/n_current) / 2).
- PSFS: a mean change >= `psfs_mean_change_points` (Stratford: both the detectable and the
  important change); one activity >= `psfs_activity_change_points`.
- Oswestry (ODI), when answered at the start (on or before the end of the baseline window)
  and again later: a fall of >= `odi_change_points` or >= `odi_change_percent` % that is
  also >= `odi_detectable_change_points`.
- Worse = a meaningful rise in pain (also every one of the last `window_min_entries`
  check-ins above the starting average: sustained, not one bad day), or a meaningful fall
  in PSFS or rise in ODI. Reported **as soon as it is real**, trial or not; it wins over
  improvement (the more cautious reading).
- Improvement may be reported before the trial is over (with a note that it is early).
- Anything else is too_early before the trial is over (`trial_sessions` sessions or
  `trial_days` days) and no_meaningful_change after it, described as "small" when pain
  moved by `pain_small_change_points` or more, "about the same" otherwise.
- `rests_on` names the measures the verdict rests on (pain, psfs, odi).

Datetimes are compared as given: the caller passes them in the patient's local time (the
service converts), so `.date()` is the patient's calendar day.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta

from app.domain.entries import CheckIn, NeedlingSession, OdiAnswer, PgicAnswer
from app.domain.progress.summary import ResponseSummary, Verdict, Windows
from app.domain.progress.summary import round_half_up as _round
from app.domain.progress.thresholds import ProgressThresholds
from app.domain.progress.verdict import judge


def split_windows(check_ins: Sequence[CheckIn], thresholds: ProgressThresholds) -> Windows:
    """Baseline and current windows (see the module docstring); inputs in any order."""
    ordered = sorted(check_ins, key=lambda c: c.recorded_at)
    if not ordered:
        return Windows((), ())
    minimum = thresholds.window_min_entries
    first_day = ordered[0].recorded_at.date()
    baseline = [
        c for c in ordered
        if (c.recorded_at.date() - first_day).days < thresholds.baseline_window_days
    ]
    if len(baseline) < minimum:
        baseline = ordered[:minimum]
    rest = ordered[len(baseline):]
    if not rest:
        return Windows(tuple(baseline), ())
    last_day = rest[-1].recorded_at.date()
    current = [
        c for c in rest
        if (last_day - c.recorded_at.date()).days < thresholds.current_window_days
    ]
    if len(current) < minimum:
        current = rest[-minimum:]
    return Windows(tuple(baseline), tuple(current))


def pain_rules_met(
    move_points: float, move_percent: float | None, thresholds: ProgressThresholds
) -> tuple[str, ...]:
    """The one pain rule: which of "pain_points" / "pain_percent" a move meets (positive =
    in the direction asked), under the clinic's mode. A baseline of 0 has no percentage:
    the points rule decides then."""
    mode = thresholds.pain_threshold_mode
    if mode == "percent" and move_percent is None:
        mode = "points"
    met: list[str] = []
    if mode in ("points", "either") and move_points >= thresholds.pain_change_points:
        met.append("pain_points")
    if (mode in ("percent", "either") and move_percent is not None
            and move_percent >= thresholds.pain_change_percent):
        met.append("pain_percent")
    return tuple(met)


def meaningful_pain_change(baseline: float, thresholds: ProgressThresholds) -> float:
    """The smallest move from `baseline` that pain_rules_met accepts (for drawing the band
    on the pain chart; a test holds the two together)."""
    points = thresholds.pain_change_points
    if baseline <= 0 or thresholds.pain_threshold_mode == "points":
        return points
    share = thresholds.pain_change_percent / 100.0 * baseline
    return share if thresholds.pain_threshold_mode == "percent" else min(points, share)


def pain_detectable_change(
    baseline_entries: int, current_entries: int, thresholds: ProgressThresholds
) -> float:
    """The smallest change in average pain that is beyond measurement error for windows of
    these sizes (see the module docstring)."""
    if baseline_entries < 1 or current_entries < 1:
        return math.inf
    spread = math.sqrt((1 / baseline_entries + 1 / current_entries) / 2)
    return thresholds.pain_single_reading_error_points * spread


def baseline_levels(
    windows: Windows, thresholds: ProgressThresholds
) -> tuple[float | None, float | None]:
    """The starting pain and PSFS levels, rounded as shown (None until the baseline window
    holds `window_min_entries` check-ins, or for PSFS when no activity was rated)."""
    if len(windows.baseline) < thresholds.window_min_entries:
        return None, None
    pain = _round(_mean([c.pain_now for c in windows.baseline]), 1)
    psfs = psfs_window_mean(windows.baseline)
    return pain, None if psfs is None else _round(psfs, 1)


def psfs_mean(check_in: CheckIn) -> float | None:
    """The mean of the activity ratings in one check-in (None when none were rated)."""
    return sum(check_in.psfs.values()) / len(check_in.psfs) if check_in.psfs else None


def psfs_window_mean(check_ins: Iterable[CheckIn]) -> float | None:
    means = [m for m in (psfs_mean(c) for c in check_ins) if m is not None]
    return sum(means) / len(means) if means else None


def assess_response(
    check_ins: Sequence[CheckIn],
    sessions: Sequence[NeedlingSession],
    thresholds: ProgressThresholds,
    today: date,
    pgic: Sequence[PgicAnswer] = (),
    odi: Sequence[OdiAnswer] = (),
) -> ResponseSummary:
    """Compare now with the start and say, in plain words, what it means."""
    words = thresholds.wording
    minimum = thresholds.window_min_entries
    if not check_ins:
        return ResponseSummary(
            Verdict.TOO_EARLY,
            words.say("no_data_headline"),
            words.say("no_data_detail"),
            still_needed=(words.count("need_baseline_check_ins", minimum),),
            sessions=sum(1 for s in sessions if s.performed_at.date() <= today),
            pgic_improved=_pgic_improved(pgic, thresholds),
        )

    windows = split_windows(check_ins, thresholds)
    first_day = windows.baseline[0].recorded_at.date()
    days = max(0, (today - first_day).days)
    session_count = sum(1 for s in sessions if first_day <= s.performed_at.date() <= today)
    trial_complete = (
        session_count >= thresholds.trial_sessions or days >= thresholds.trial_days
    )
    still_needed: list[str] = []
    if len(windows.baseline) < minimum:
        still_needed.append(
            words.count("need_baseline_check_ins", minimum - len(windows.baseline)))
    if len(windows.current) < minimum:
        still_needed.append(
            words.count("need_current_check_ins", minimum - len(windows.current)))
    if not trial_complete:
        still_needed.append(words.say(
            "need_trial",
            sessions_left=words.count("more_sessions", thresholds.trial_sessions - session_count),
            days_left=words.count("more_days", thresholds.trial_days - days),
        ))
    pain_start, psfs_start = baseline_levels(windows, thresholds)
    too_early = ResponseSummary(
        Verdict.TOO_EARLY,
        words.say("too_early_headline"),
        words.say("too_early_detail", needs=words.say("list_and").join(still_needed)),
        sessions=session_count,
        days_since_first_entry=days,
        trial_complete=trial_complete,
        still_needed=tuple(still_needed),
        pgic_improved=_pgic_improved(pgic, thresholds),
        pain_baseline=pain_start,
        pain_meaningful_points=None if pain_start is None else _round(
            meaningful_pain_change(pain_start, thresholds), 1),
        psfs_baseline=psfs_start,
        baseline_entries=len(windows.baseline),
        current_entries=len(windows.current),
    )
    if len(windows.baseline) < minimum or len(windows.current) < minimum:
        return too_early
    baseline_end = first_day + timedelta(days=thresholds.baseline_window_days - 1)
    measured = _measure(windows, too_early, thresholds, _odi_pair(odi, baseline_end))
    return judge(measured, thresholds)


def _odi_pair(odi: Sequence[OdiAnswer], baseline_end: date) -> tuple[float, float] | None:
    """(start, latest) Oswestry percentages: the first answer on or before the end of the
    baseline window and the latest answer after it; None unless both exist."""
    ordered = sorted(odi, key=lambda a: a.recorded_at)
    start = [a for a in ordered if a.recorded_at.date() <= baseline_end]
    later = [a for a in ordered if a.recorded_at.date() > baseline_end]
    if not start or not later:
        return None
    return start[0].percent, later[-1].percent


def _measure(
    windows: Windows,
    summary: ResponseSummary,
    thresholds: ProgressThresholds,
    odi: tuple[float, float] | None,
) -> ResponseSummary:
    """Fill in the numbers (levels, changes, which rules were met); the verdict comes later."""
    pain_base = _mean([c.pain_now for c in windows.baseline])
    pain_now = _mean([c.pain_now for c in windows.current])
    pain_change = _round(pain_now - pain_base, 1)
    pain_percent = (
        _round((pain_now - pain_base) / pain_base * 100.0, 0) if pain_base > 0 else None
    )
    detectable = pain_detectable_change(len(windows.baseline), len(windows.current), thresholds)
    beyond_error = abs(pain_change) >= _round(detectable, 1)
    improved_by: list[str] = []
    worse_by: list[str] = []
    if beyond_error:
        improved_by += pain_rules_met(
            -pain_change, None if pain_percent is None else -pain_percent, thresholds)
        if _sustained_rise(windows, pain_base, thresholds):
            worse_by += pain_rules_met(pain_change, pain_percent, thresholds)
    psfs_base = psfs_window_mean(windows.baseline)
    psfs_now = psfs_window_mean(windows.current)
    psfs_change = (
        _round(psfs_now - psfs_base, 1)
        if psfs_base is not None and psfs_now is not None else None
    )
    if psfs_change is not None and psfs_change >= thresholds.psfs_mean_change_points:
        improved_by.append("psfs_mean")
    if psfs_change is not None and -psfs_change >= thresholds.psfs_mean_change_points:
        worse_by.append("psfs_mean")
    odi_start = odi_now = odi_change = None
    if odi is not None:
        odi_start, odi_now = _round(odi[0], 0), _round(odi[1], 0)
        odi_change = odi_now - odi_start
        if _odi_meaningful(-odi_change, odi_start, thresholds):
            improved_by.append("odi")
        if _odi_meaningful(odi_change, odi_start, thresholds):
            worse_by.append("odi")
    levels = _activity_levels(windows)
    activity_changes = {a: _round(now - start, 1) for a, (start, now) in levels.items()}
    return replace(
        summary,
        pain_baseline=_round(pain_base, 1),
        pain_current=_round(pain_now, 1),
        pain_change_points=pain_change,
        pain_change_percent=pain_percent,
        pain_detectable_change=_round(detectable, 1),
        pain_meaningful_points=_round(
            max(meaningful_pain_change(_round(pain_base, 1), thresholds), detectable), 1),
        psfs_baseline=None if psfs_base is None else _round(psfs_base, 1),
        psfs_current=None if psfs_now is None else _round(psfs_now, 1),
        psfs_change=psfs_change,
        psfs_activity_changes=activity_changes,
        psfs_activity_levels={a: (_round(start, 1), _round(now, 1))
                              for a, (start, now) in levels.items()},
        activities_meaningfully_better=tuple(
            a for a, change in activity_changes.items()
            if change >= thresholds.psfs_activity_change_points
        ),
        odi_baseline=odi_start,
        odi_current=odi_now,
        odi_change=odi_change,
        improved_by=tuple(improved_by),
        worse_by=tuple(worse_by),
    )


def _sustained_rise(windows: Windows, pain_base: float, thresholds: ProgressThresholds) -> bool:
    """Every one of the latest `window_min_entries` check-ins is above the starting
    average: a rise that holds, not one bad day."""
    latest = sorted(windows.current, key=lambda c: c.recorded_at)
    latest = latest[-thresholds.window_min_entries:]
    return bool(latest) and all(c.pain_now > pain_base for c in latest)


def _odi_meaningful(move: float, start: float, thresholds: ProgressThresholds) -> bool:
    important = move >= thresholds.odi_change_points or (
        start > 0 and move / start * 100.0 >= thresholds.odi_change_percent)
    return important and move >= thresholds.odi_detectable_change_points


def _activity_levels(windows: Windows) -> dict[str, tuple[float, float]]:
    """Each activity rated in both windows: (start mean, current mean), unrounded."""
    def per_activity(entries: Iterable[CheckIn]) -> dict[str, float]:
        ratings: dict[str, list[int]] = defaultdict(list)
        for c in entries:
            for activity_id, rating in c.psfs.items():
                ratings[activity_id].append(rating)
        return {a: sum(r) / len(r) for a, r in ratings.items()}

    before = per_activity(windows.baseline)
    after = per_activity(windows.current)
    return {a: (before[a], after[a]) for a in before if a in after}


def _pgic_improved(pgic: Sequence[PgicAnswer], thresholds: ProgressThresholds) -> bool | None:
    if not pgic:
        return None
    latest = max(pgic, key=lambda p: p.recorded_at)
    return latest.rating <= thresholds.pgic_improved_max


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)
