"""Progress charts: plain domain data → Plotly figures. Never imports flet or the store.

- `pain_figure`, `soreness_figure`, `function_figure`, `adherence_figure` build one chart
  each; with nothing (or a single point) to draw they return an empty-state figure: a
  hint saying what to log, and no axes.
- `build_all` builds the four for one patient; app.charts.cache keeps them per patient and
  colour scheme until the data fingerprint changes (`FigureCache` and `data_fingerprint`
  are re-exported here for the callers that import them from this module).

Every text comes from the thresholds asset's wording, in the words for who is looking
(`Audience`: the patient, or a clinician they share with; user-typed names are escaped:
Plotly renders a subset of HTML). Every clinical number comes from ProgressThresholds.

Speed: a figure is built from whole lists in one `go.Figure(...)` call; x values are
passed as ISO strings (Plotly deep-copies its input, and copying datetimes dominates
otherwise); needling sessions are one trace of vertical segments rather than one shape
each. bench/charts.py measures this against the obvious way.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final

import plotly.graph_objects as go

from app.charts import theme
from app.charts.cache import FigureCache as FigureCache  # its older home; see cache.py
from app.charts.cache import data_fingerprint as data_fingerprint
from app.charts.wording import Audience, ChartWords
from app.domain.entries import CheckIn, Milestone, NeedlingSession, PsfsActivity
from app.domain.progress import (
    ProgressRecord,
    ProgressThresholds,
    ResponseSummary,
    SorenessCurve,
    adherence,
    day_label,
    meaningful_pain_change,
    psfs_mean,
    psfs_window_mean,
    rolling_daily_mean,
    soreness_curves,
    split_windows,
)
from app.domain.scales import NRS_MAX, NRS_MIN, PSFS_MAX

PAIN: Final = "pain"
SORENESS: Final = "soreness"
FUNCTION: Final = "function"
ADHERENCE: Final = "adherence"
CHART_KEYS: Final = (PAIN, SORENESS, FUNCTION, ADHERENCE)

Figures = dict[str, go.Figure]

_NO_EXTRA: Final = "<extra></extra>"  # hide the trace-name box next to the hover text
_WRAP_CHARS: Final = 34  # an empty-state hint wraps to fit a 360 px phone


# -- shared helpers ---------------------------------------------------------------------


def _x(moment: datetime | date) -> str:
    """ISO text Plotly reads as a date; wall-clock time as given (no offset)."""
    if isinstance(moment, datetime):
        return f"{moment:%Y-%m-%d %H:%M}"
    return moment.isoformat()


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _hover(template: str) -> str:
    return template + _NO_EXTRA


def _figure(data: list[dict[str, Any]], layout: dict[str, Any]) -> go.Figure:
    return go.Figure(data=data, layout=layout)


def _empty(message: str, title: str, dark: bool) -> go.Figure:
    wrapped = "<br>".join(textwrap.wrap(_escape(message), _WRAP_CHARS)) or _escape(message)
    return go.Figure(layout=theme.empty_layout(wrapped, title, dark))


def _score_axis(title: str, span: tuple[float, float] = theme.SCORE_AXIS_RANGE) -> dict[str, Any]:
    ticks = list(range(NRS_MIN, NRS_MAX + 1, 2))
    return {"title": {"text": title}, "range": list(span), "tickvals": ticks, "zeroline": False}


# -- pain -------------------------------------------------------------------------------


def pain_figure(
    check_ins: Sequence[CheckIn],
    sessions: Sequence[NeedlingSession],
    summary: ResponseSummary,
    thresholds: ProgressThresholds,
    dark: bool = False,
    audience: Audience = Audience.PATIENT,
) -> go.Figure:
    """Pain now and worst in 24 h, a rolling average, needling sessions, and the start
    level with the band inside which a change is not yet meaningful."""
    words = ChartWords(thresholds.wording, audience)
    title = words.chart("pain_title")
    if len(check_ins) < 2:
        key = "pain_empty" if not check_ins else "pain_one"
        return _empty(words.chart(key), title, dark)
    p = theme.palette(dark)
    ordered = sorted(check_ins, key=lambda c: c.recorded_at)
    xs = [_x(c.recorded_at) for c in ordered]
    worst = [c for c in ordered if c.worst_24h is not None]
    days = thresholds.current_window_days
    average = rolling_daily_mean([(c.recorded_at, float(c.pain_now)) for c in ordered], days)
    dense = len(ordered) > theme.DENSE_POINTS
    size = theme.DENSE_MARKER_SIZE if dense else theme.MARKER_SIZE

    data: list[dict[str, Any]] = [
        {
            "type": "scatter", "mode": "markers", "name": words.chart("pain_now"),
            "x": xs, "y": [c.pain_now for c in ordered],
            "marker": {"color": p.series[0], "size": size, "symbol": "circle"},
            "hovertemplate": _hover(words.chart("pain_hover_now")),
        },
        {
            "type": "scatter", "mode": "markers", "name": words.chart("pain_worst"),
            "x": [_x(c.recorded_at) for c in worst], "y": [c.worst_24h for c in worst],
            "marker": {"color": p.series[1], "size": size, "symbol": "triangle-up"},
            "hovertemplate": _hover(words.chart("pain_hover_worst")),
        },
        {
            "type": "scatter", "mode": "lines", "name": words.chart("pain_average", days=days),
            "x": [_x(d) for d, _ in average], "y": [round(v, 2) for _, v in average],
            "line": {"color": p.emphasis, "width": 3, "shape": "spline", "smoothing": 0.6},
            "hovertemplate": _hover(words.chart("pain_hover_average")),
        },
    ]
    shown = [s for s in sessions if ordered[0].recorded_at.date() - timedelta(days=days)
             <= s.performed_at.date()]
    if shown:
        # One trace of vertical segments separated by gaps: one legend entry, one object.
        seg_x: list[str | None] = []
        seg_y: list[float | None] = []
        for s in shown:
            at = _x(s.performed_at)
            seg_x += [at, at, None]
            seg_y += [NRS_MIN, NRS_MAX, None]
        data.append({
            "type": "scatter", "mode": "lines", "name": words.chart("pain_session"),
            "x": seg_x, "y": seg_y,
            "line": {"color": p.sessions, "width": 1 if dense else 1.5, "dash": "dot"},
            "opacity": 0.5 if dense else 1.0,
            "hovertemplate": _hover(words.chart("pain_hover_session")),
        })

    shapes: list[dict[str, Any]] = []
    if summary.pain_baseline is not None:
        base = summary.pain_baseline
        # The domain's band: the important change or the measurement error, if larger.
        change = (summary.pain_meaningful_points if summary.pain_meaningful_points is not None
                  else meaningful_pain_change(base, thresholds))
        shapes.append({
            "type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
            "y0": max(NRS_MIN, base - change), "y1": min(NRS_MAX, base + change),
            "fillcolor": p.band, "line": {"width": 0}, "layer": "below",
            "name": words.chart("pain_band", points=f"{change:.1f}"), "showlegend": True,
        })
        shapes.append({
            "type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
            "y0": base, "y1": base, "layer": "below",
            "line": {"color": p.muted, "width": 2, "dash": "dash"},
            "name": words.chart("pain_baseline"), "showlegend": True,
        })
    layout = {
        "template": theme.template(dark),
        "title": {"text": title},
        "xaxis": {"type": "date"},
        "yaxis": _score_axis(words.chart("pain_axis")),
        "shapes": shapes,
    }
    return _figure(data, layout)


# -- soreness after needling ------------------------------------------------------------


def soreness_figure(
    curves: Sequence[SorenessCurve], thresholds: ProgressThresholds, dark: bool = False,
    audience: Audience = Audience.PATIENT,
) -> go.Figure:
    """Soreness against hours since each session, with the expected settling window.

    The most recent sessions get a line each; older ones are merged into one faint line
    (and one warning line for those flagged) so the legend stays readable on a phone.
    """
    words = ChartWords(thresholds.wording, audience)
    title = words.chart("soreness_title")
    total_points = sum(len(c.points) for c in curves)
    if total_points < 2:
        key = "soreness_empty" if total_points == 0 else "soreness_one"
        return _empty(words.chart(key), title, dark)
    p = theme.palette(dark)
    settle = thresholds.soreness_settle_hours
    hover = _hover(words.chart("soreness_hover"))
    ordered = sorted(curves, key=lambda c: c.performed_at)
    recent = ordered[-theme.RECENT_SESSIONS_SHOWN:]
    older = ordered[: len(ordered) - len(recent)]

    data: list[dict[str, Any]] = []
    for group, flagged in ((older, False), (older, True)):
        chosen = [c for c in group if c.flagged == flagged]
        if not chosen:
            continue
        xs: list[float | None] = []
        ys: list[int | None] = []
        for c in chosen:
            xs += [round(h, 2) for h, _ in c.points] + [None]
            ys += [s for _, s in c.points] + [None]
        key = "soreness_earlier_flagged" if flagged else "soreness_earlier"
        data.append({
            "type": "scatter", "mode": "lines", "name": words.chart(key, count=len(chosen)),
            "x": xs, "y": ys, "connectgaps": False, "hovertemplate": hover,
            "line": {"color": p.warning if flagged else p.muted, "width": 1,
                     "dash": "dash" if flagged else "solid"},
            "opacity": 0.8 if flagged else 0.45,
        })
    for index, c in enumerate(recent):
        when = day_label(c.performed_at)
        if c.not_settling:
            name = words.chart("soreness_not_settling", date=when)
        elif c.rising:
            name = words.chart("soreness_rising", date=when)
        else:
            name = words.chart("soreness_session", date=when)
        colour = p.warning if c.flagged else p.series[index % len(p.series)]
        data.append({
            "type": "scatter", "mode": "lines+markers", "name": name,
            "x": [round(h, 2) for h, _ in c.points], "y": [s for _, s in c.points],
            "line": {"color": colour, "width": 3 if c.flagged else 2,
                     "dash": "dash" if c.flagged else "solid"},
            "marker": {"size": 7, "symbol": "diamond" if c.flagged else "circle"},
            "hovertemplate": hover,
        })
    span = max(theme.SORENESS_AXIS_HOURS, settle + theme.SORENESS_AXIS_MARGIN_HOURS)
    layout = {
        "template": theme.template(dark),
        "title": {"text": title},
        "xaxis": {"title": {"text": words.chart("soreness_axis_x")}, "range": [0, span],
                  "dtick": 24, "zeroline": False},
        "yaxis": _score_axis(words.chart("soreness_axis_y")),
        "shapes": [{
            "type": "rect", "xref": "x", "x0": 0, "x1": settle, "yref": "paper", "y0": 0,
            "y1": 1, "fillcolor": p.window, "line": {"width": 0}, "layer": "below",
            "name": words.chart("soreness_window", hours=f"{settle:g}"), "showlegend": True,
        }],
    }
    return _figure(data, layout)


# -- function: PSFS activities and milestones -------------------------------------------


def function_figure(
    activities: Sequence[PsfsActivity],
    check_ins: Sequence[CheckIn],
    milestones: Sequence[Milestone],
    thresholds: ProgressThresholds,
    dark: bool = False,
    audience: Audience = Audience.PATIENT,
) -> go.Figure:
    """Each PSFS activity over time, their mean in bold, the meaningful-change target
    (starting mean + the PSFS threshold) and milestones as labelled stars."""
    words = ChartWords(thresholds.wording, audience)
    title = words.chart("function_title")
    ordered = sorted(check_ins, key=lambda c: c.recorded_at)
    rated = [c for c in ordered if c.psfs]
    if not activities or len(rated) < 2:
        key = "function_empty" if not activities or not rated else "function_one"
        return _empty(words.chart(key), title, dark)
    p = theme.palette(dark)
    data: list[dict[str, Any]] = []
    hover = _hover(words.chart("function_hover"))
    for index, activity in enumerate(activities):
        points = [(c.recorded_at, c.psfs[activity.id]) for c in rated if activity.id in c.psfs]
        if not points:
            continue
        data.append({
            "type": "scatter", "mode": "lines+markers", "name": _escape(activity.name),
            "x": [_x(t) for t, _ in points], "y": [v for _, v in points],
            "line": {"color": p.series[index % len(p.series)], "width": 1.5},
            "marker": {"size": 5}, "opacity": 0.85, "hovertemplate": hover,
        })
    means = [(c.recorded_at, psfs_mean(c)) for c in rated]
    data.append({
        "type": "scatter", "mode": "lines", "name": words.chart("function_mean"),
        "x": [_x(t) for t, _ in means], "y": [None if m is None else round(m, 2) for _, m in means],
        "line": {"color": p.emphasis, "width": 4},
        "hovertemplate": _hover(words.chart("function_hover_mean")),
    })

    shapes: list[dict[str, Any]] = []
    windows = split_windows(ordered, thresholds)
    start = (
        psfs_window_mean(windows.baseline)
        if len(windows.baseline) >= thresholds.window_min_entries else None
    )
    if start is not None:
        target = min(PSFS_MAX, round(start, 1) + thresholds.psfs_mean_change_points)
        shapes.append({
            "type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
            "y0": target, "y1": target, "layer": "below",
            "line": {"color": p.target, "width": 2, "dash": "dash"},
            "name": words.chart("function_target", target=f"{target:.1f}"), "showlegend": True,
        })

    annotations: list[dict[str, Any]] = []
    if milestones:
        marks = sorted(milestones, key=lambda m: m.achieved_on)
        data.append({
            "type": "scatter", "mode": "markers", "name": words.chart("function_milestone"),
            "x": [_x(m.achieved_on) for m in marks], "y": [PSFS_MAX] * len(marks),
            "text": [_escape(m.text) for m in marks],
            "marker": {"symbol": "star", "size": 14, "color": p.milestone,
                       "line": {"color": p.emphasis, "width": 1}},
            "hovertemplate": "%{x|%a %-d %b}: %{text}" + _NO_EXTRA,
        })
        for index, m in enumerate(marks[-theme.MILESTONE_LABELS_SHOWN:]):
            annotations.append({
                "x": _x(m.achieved_on), "y": PSFS_MAX, "xref": "x", "yref": "y",
                "text": _escape(textwrap.shorten(m.text, theme.MILESTONE_LABEL_CHARS,
                                                 placeholder="…")),
                "hovertext": _escape(m.text),
                "showarrow": True, "arrowhead": 0, "arrowcolor": p.muted,
                "ax": 0, "ay": -16 if index % 2 == 0 else -34,
                "font": {"size": theme.FONT_SIZE - 2}, "bgcolor": p.paper,
            })
    layout = {
        "template": theme.template(dark),
        "title": {"text": title},
        "xaxis": {"type": "date"},
        "yaxis": _score_axis(words.chart("function_axis"), theme.FUNCTION_AXIS_RANGE),
        "shapes": shapes,
        "annotations": annotations,
    }
    return _figure(data, layout)


# -- adherence --------------------------------------------------------------------------


def adherence_figure(
    adherence_map: Mapping[date, int], thresholds: ProgressThresholds, dark: bool = False,
    audience: Audience = Audience.PATIENT,
) -> go.Figure:
    """A calendar: one column per week (Monday first), one row per weekday. Each cell's
    hover text is built here ("Thu 5 Mar: 1 check-in"): a Plotly template cannot pick
    the singular."""
    words = ChartWords(thresholds.wording, audience)
    title = words.chart("adherence_title")
    if not adherence_map or not any(adherence_map.values()):
        return _empty(words.chart("adherence_empty"), title, dark)
    p = theme.palette(dark)
    first, last = min(adherence_map), max(adherence_map)
    week0 = first - timedelta(days=first.weekday())
    weeks = (last - week0).days // 7 + 1
    z: list[list[int | None]] = [[None] * weeks for _ in range(7)]
    labels: list[list[str]] = [[""] * weeks for _ in range(7)]
    hovers: list[list[str]] = [[""] * weeks for _ in range(7)]
    for day, count in adherence_map.items():
        column = (day - week0).days // 7
        z[day.weekday()][column] = count
        labels[day.weekday()][column] = day_label(day)
        hovers[day.weekday()][column] = _logged(words, day_label(day), count)
    top = max(2, max(adherence_map.values()))
    data = [{
        "type": "heatmap",
        "x": [_x(week0 + timedelta(weeks=w)) for w in range(weeks)],
        "y": list(words.weekdays),
        "z": z, "customdata": labels, "text": hovers, "zmin": 0, "zmax": top,
        "colorscale": [[0.0, p.empty_cell], [1.0 / top, p.heat[0]], [1.0, p.heat[1]]],
        "xgap": 2, "ygap": 2, "showscale": False, "hoverongaps": False,
        "name": words.chart("adherence_scale"),
        "hovertemplate": _hover(words.chart("adherence_hover")),
    }]
    layout = {
        "template": theme.template(dark),
        "title": {"text": title},
        "xaxis": {"type": "date", "showgrid": False},
        "yaxis": {"autorange": "reversed", "showgrid": False},
        "showlegend": False,
    }
    return _figure(data, layout)


def _logged(words: ChartWords, day: str, count: int) -> str:
    if count == 0:
        return words.chart("adherence_day_none", date=day)
    if count == 1:
        return words.chart("adherence_day_one", date=day)
    return words.chart("adherence_day_many", date=day, count=count)


# -- all of one patient's charts -------------------------------------------------------


def build_all(
    record: ProgressRecord,
    summary: ResponseSummary,
    thresholds: ProgressThresholds,
    dark: bool = False,
    audience: Audience = Audience.PATIENT,
) -> Figures:
    """The four progress charts of one patient, keyed by CHART_KEYS, in the words for
    `audience`."""
    curves = soreness_curves(record.sessions, record.soreness, thresholds)
    if record.check_ins:
        start = min(c.recorded_at for c in record.check_ins).date()
        logged = adherence(record.check_ins, start, max(start, record.today))
    else:
        logged = {}
    return {
        PAIN: pain_figure(record.check_ins, record.sessions, summary, thresholds, dark,
                          audience),
        SORENESS: soreness_figure(curves, thresholds, dark, audience),
        FUNCTION: function_figure(record.activities, record.check_ins, record.milestones,
                                  thresholds, dark, audience),
        ADHERENCE: adherence_figure(logged, thresholds, dark, audience),
    }
