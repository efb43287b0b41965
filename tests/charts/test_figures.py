"""The progress figures themselves: what is drawn, where, and the empty states.

Texts are looked up in the wording asset rather than repeated here, so the tests follow a
clinician's rewording and still check that the right text is in the right place.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta

import plotly.graph_objects as go
import pytest

from app import paths
from app.charts import theme
from app.charts.figures import (
    ADHERENCE,
    CHART_KEYS,
    FUNCTION,
    PAIN,
    SORENESS,
    FigureCache,
    adherence_figure,
    build_all,
    data_fingerprint,
    function_figure,
    pain_figure,
    soreness_figure,
)
from app.charts.html import (
    CARTESIAN_TRACE_TYPES,
    figure_div,
    full_plotly_js_path,
    plotly_js_path,
    plotly_js_version,
)
from app.domain.entries import CheckIn, Milestone, NeedlingSession, PsfsActivity, SorenessEntry
from app.domain.progress import (
    ProgressRecord,
    ProgressThresholds,
    ResponseSummary,
    SorenessCurve,
    Verdict,
    assess_response,
    parse_thresholds,
    soreness_curves,
)

DAY0 = datetime(2026, 3, 2, 8, 0)  # a Monday


@pytest.fixture(scope="module")
def th() -> ProgressThresholds:
    return parse_thresholds(json.loads(paths.PROGRESS_THRESHOLDS.read_text(encoding="utf-8")))


def make_check_ins(days: int, pain_start: int = 8, with_psfs: bool = True) -> list[CheckIn]:
    out = []
    for d in range(days):
        pain = max(0, pain_start - d // 7)
        psfs = {"a1": min(10, 3 + d // 7), "a2": min(10, 4 + d // 10)} if with_psfs else {}
        out.append(CheckIn(f"c{d}", "p1", DAY0 + timedelta(days=d), pain, min(10, pain + 1),
                           psfs=psfs))
    return out


def make_sessions(n: int) -> list[NeedlingSession]:
    return [NeedlingSession(f"s{i}", "p1", DAY0 + timedelta(days=1 + 7 * i, hours=2),
                            ("lumbar",), "t1") for i in range(n)]


ACTIVITIES = [
    PsfsActivity("a1", "p1", "Bending forward", DAY0),
    PsfsActivity("a2", "p1", "Walking <30 min> & more", DAY0),
]


def summary_for(th: ProgressThresholds, check_ins: list[CheckIn],
                sessions: list[NeedlingSession]) -> ResponseSummary:
    today = max(c.recorded_at for c in check_ins).date() if check_ins else DAY0.date()
    return assess_response(check_ins, sessions, th, today)


def names(fig: go.Figure) -> list[str]:
    return [t.name for t in fig.data]


def trace(fig: go.Figure, name: str) -> go.Scatter:
    return next(t for t in fig.data if t.name == name)


def shape(fig: go.Figure, name: str) -> go.layout.Shape:
    return next(s for s in fig.layout.shapes if s.name == name)


def assert_empty_state(fig: go.Figure, message: str) -> None:
    assert len(fig.data) == 0
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    (note,) = fig.layout.annotations
    assert note.text.replace("<br>", " ") == message


# -- pain ------------------------------------------------------------------------------


def test_pain_figure_traces(th: ProgressThresholds) -> None:
    check_ins, sessions = make_check_ins(30), make_sessions(4)
    fig = pain_figure(check_ins, sessions, summary_for(th, check_ins, sessions), th)
    w = th.wording
    assert names(fig) == [w.chart("pain_now"), w.chart("pain_worst"),
                          w.chart("pain_average", days=7), w.chart("pain_session")]
    assert len(trace(fig, w.chart("pain_now")).y) == 30
    assert len(trace(fig, w.chart("pain_worst")).y) == 30
    assert len(trace(fig, w.chart("pain_average", days=7)).y) == 30  # one per day
    assert trace(fig, w.chart("pain_now")).x[0] == "2026-03-02 08:00"


def test_pain_figure_marks_every_session(th: ProgressThresholds) -> None:
    check_ins, sessions = make_check_ins(30), make_sessions(4)
    fig = pain_figure(check_ins, sessions, summary_for(th, check_ins, sessions), th)
    marks = trace(fig, th.wording.chart("pain_session"))
    segments = [x for x in marks.x if x is not None]
    assert len(segments) == 2 * len(sessions)
    assert set(segments) == {f"{s.performed_at:%Y-%m-%d %H:%M}" for s in sessions}


@pytest.mark.parametrize(("mode", "half_width"), [("points", 2.0), ("either", 2.0),
                                                  ("percent", 2.4)])
def test_pain_figure_draws_the_threshold_band_around_the_baseline(
    th: ProgressThresholds, mode: str, half_width: float
) -> None:
    rules = th.configured(pain_threshold_mode=mode)
    check_ins, sessions = make_check_ins(30), make_sessions(4)  # baseline pain 8
    summary = summary_for(rules, check_ins, sessions)
    assert summary.pain_baseline == 8.0
    fig = pain_figure(check_ins, sessions, summary, rules)
    band = shape(fig, rules.wording.chart("pain_band", points=f"{half_width:.1f}"))
    assert band.type == "rect" and band.yref == "y" and band.xref == "paper"
    assert band.y0 == pytest.approx(8.0 - half_width)
    assert band.y1 == pytest.approx(min(10.0, 8.0 + half_width))
    base = shape(fig, rules.wording.chart("pain_baseline"))
    assert base.y0 == base.y1 == 8.0
    assert band.showlegend and base.showlegend


def test_the_band_widens_to_the_measurement_error_with_few_check_ins(
    th: ProgressThresholds,
) -> None:
    """With 3 check-ins in each window one reading's error (2.7 points) is more than the
    2-point important change: the band shows what would really count, from the summary."""
    check_ins = [CheckIn(f"c{d}", "p1", DAY0 + timedelta(days=d), 5, 6)
                 for d in (0, 1, 2, 20, 21, 22)]
    summary = summary_for(th, check_ins, make_sessions(3))
    assert summary.pain_detectable_change == 2.7 and summary.pain_meaningful_points == 2.7
    fig = pain_figure(check_ins, make_sessions(3), summary, th)
    band = shape(fig, th.wording.chart("pain_band", points="2.7"))
    assert band.y0 == pytest.approx(5.0 - 2.7) and band.y1 == pytest.approx(5.0 + 2.7)


def test_pain_figure_without_a_baseline_has_no_band(th: ProgressThresholds) -> None:
    check_ins = make_check_ins(2)
    fig = pain_figure(check_ins, [], summary_for(th, check_ins, []), th)
    assert len(fig.data) == 3 and not fig.layout.shapes  # no sessions, no band yet


def test_pain_hover_speaks_plainly(th: ProgressThresholds) -> None:
    check_ins = make_check_ins(5)
    fig = pain_figure(check_ins, [], summary_for(th, check_ins, []), th)
    hover = trace(fig, th.wording.chart("pain_now")).hovertemplate
    assert "%{x|%a %-d %b}" in hover and "/10" in hover


@pytest.mark.parametrize(("count", "key"), [(0, "pain_empty"), (1, "pain_one")])
def test_pain_empty_states(th: ProgressThresholds, count: int, key: str) -> None:
    check_ins = make_check_ins(count)
    summary = summary_for(th, check_ins, [])
    assert_empty_state(pain_figure(check_ins, [], summary, th), th.wording.chart(key))


# -- soreness --------------------------------------------------------------------------


def curve(day: int, readings: list[tuple[float, int]], *, not_settling: bool = False,
          rising: bool = False) -> SorenessCurve:
    return SorenessCurve(f"s{day}", DAY0 + timedelta(days=day), ("lumbar",),
                         tuple(readings), not_settling, rising)


def test_soreness_figure_one_line_per_session_and_the_expected_window(
    th: ProgressThresholds,
) -> None:
    curves = [curve(0, [(2, 5), (24, 3), (48, 1)]), curve(7, [(3, 4), (30, 2)])]
    fig = soreness_figure(curves, th)
    assert len(fig.data) == 2
    assert names(fig) == [th.wording.chart("soreness_session", date="Mon 2 Mar"),
                          th.wording.chart("soreness_session", date="Mon 9 Mar")]
    window = shape(fig, th.wording.chart("soreness_window", hours="72"))
    assert (window.x0, window.x1) == (0, 72) and window.yref == "paper"
    assert list(fig.layout.xaxis.range) == [0, 96]


def test_soreness_figure_warns_about_curves_that_do_not_settle_or_rise(
    th: ProgressThresholds,
) -> None:
    curves = [
        curve(0, [(2, 5), (80, 5)], not_settling=True),
        curve(7, [(2, 3), (30, 5)], rising=True),
        curve(14, [(2, 3), (30, 1)]),
    ]
    fig = soreness_figure(curves, th)
    w, warn = th.wording, theme.LIGHT.warning
    stuck = trace(fig, w.chart("soreness_not_settling", date="Mon 2 Mar"))
    rising = trace(fig, w.chart("soreness_rising", date="Mon 9 Mar"))
    fine = trace(fig, w.chart("soreness_session", date="Mon 16 Mar"))
    assert stuck.line.color == warn and stuck.line.dash == "dash"
    assert rising.line.color == warn and rising.line.dash == "dash"
    assert fine.line.color != warn and fine.line.dash == "solid"


def test_soreness_figure_merges_older_sessions(th: ProgressThresholds) -> None:
    shown = theme.RECENT_SESSIONS_SHOWN
    curves = [curve(7 * i, [(2, 4), (30, 2)], not_settling=(i == 0))
              for i in range(shown + 3)]
    fig = soreness_figure(curves, th)
    w = th.wording
    assert names(fig)[:2] == [w.chart("soreness_earlier", count=2),
                              w.chart("soreness_earlier_flagged", count=1)]
    assert len(fig.data) == 2 + shown
    merged = fig.data[0]
    assert sum(1 for x in merged.x if x is None) == 2  # two sessions, separated by gaps


@pytest.mark.parametrize(("readings", "key"), [([], "soreness_empty"),
                                               ([(2, 4)], "soreness_one")])
def test_soreness_empty_states(th: ProgressThresholds, readings: list[tuple[float, int]],
                               key: str) -> None:
    curves = [curve(0, readings)] if readings else []
    assert_empty_state(soreness_figure(curves, th), th.wording.chart(key))


def test_soreness_figure_from_domain_curves(th: ProgressThresholds) -> None:
    s = make_sessions(1)[0]
    entries = [SorenessEntry(f"e{h}", "p1", s.id, s.performed_at + timedelta(hours=h), v)
               for h, v in [(2, 5), (24, 3), (48, 1)]]
    fig = soreness_figure(soreness_curves([s], entries, th), th)
    assert list(fig.data[0].x) == [2.0, 24.0, 48.0] and list(fig.data[0].y) == [5, 3, 1]


# -- function --------------------------------------------------------------------------


def milestones(n: int) -> list[Milestone]:
    return [Milestone(f"m{i}", "p1", DAY0.date() + timedelta(days=3 * i + 2),
                      f"Milestone number {i} <b>bold</b>") for i in range(n)]


def test_function_figure_traces_and_target(th: ProgressThresholds) -> None:
    check_ins = make_check_ins(30)
    fig = function_figure(ACTIVITIES, check_ins, milestones(2), th)
    w = th.wording
    assert names(fig) == ["Bending forward", "Walking &lt;30 min&gt; &amp; more",
                          w.chart("function_mean"), w.chart("function_milestone")]
    mean = trace(fig, w.chart("function_mean"))
    assert mean.line.width == 4 and len(mean.y) == 30
    assert mean.y[0] == 3.5  # (3 + 4) / 2
    # Baseline PSFS mean over the first week: 3.5 → the line sits at 5.5.
    target = shape(fig, w.chart("function_target", target="5.5"))
    assert target.y0 == target.y1 == 3.5 + th.psfs_mean_change_points


def test_function_figure_annotates_milestones(th: ProgressThresholds) -> None:
    fig = function_figure(ACTIVITIES, make_check_ins(30), milestones(7), th)
    marks = trace(fig, th.wording.chart("function_milestone"))
    assert len(marks.x) == 7
    labelled = fig.layout.annotations
    assert len(labelled) == theme.MILESTONE_LABELS_SHOWN
    assert [a.x for a in labelled] == list(marks.x[-theme.MILESTONE_LABELS_SHOWN:])
    assert all(a.y == 10 and a.showarrow for a in labelled)
    assert all("<b>" not in a.hovertext and "&lt;b&gt;" in a.hovertext for a in labelled)
    assert len(labelled[0].text) <= theme.MILESTONE_LABEL_CHARS + len("&lt;b&gt;")


@pytest.mark.parametrize(("days", "psfs", "key"), [(0, True, "function_empty"),
                                                   (5, False, "function_empty"),
                                                   (1, True, "function_one")])
def test_function_empty_states(th: ProgressThresholds, days: int, psfs: bool,
                               key: str) -> None:
    fig = function_figure(ACTIVITIES, make_check_ins(days, with_psfs=psfs), [], th)
    assert_empty_state(fig, th.wording.chart(key))


# -- adherence -------------------------------------------------------------------------


def test_adherence_figure_is_a_week_by_weekday_calendar(th: ProgressThresholds) -> None:
    start = date(2026, 3, 4)  # a Wednesday
    counts = {start + timedelta(days=i): i % 3 for i in range(12)}
    fig = adherence_figure(counts, th)
    (heat,) = fig.data
    assert heat.type == "heatmap"
    assert list(heat.y) == list(th.wording.weekdays)
    assert len(heat.z) == 7 and len(heat.z[0]) == 2  # weeks of 2 Mar and 9 Mar
    assert heat.x[0] == "2026-03-02"
    assert heat.z[0][0] is None and heat.z[1][0] is None  # before the first day
    assert heat.z[2][0] == 0 and heat.z[3][0] == 1 and heat.z[4][0] == 2
    assert heat.customdata[2][0] == "Wed 4 Mar"
    assert heat.showscale is False


def test_adherence_empty_state(th: ProgressThresholds) -> None:
    empty = th.wording.chart("adherence_empty")
    assert_empty_state(adherence_figure({}, th), empty)
    assert_empty_state(adherence_figure({DAY0.date(): 0}, th), empty)


# -- theme, html, all figures, cache ---------------------------------------------------


def record(days: int = 30, today_offset: int = 0) -> ProgressRecord:
    sessions = make_sessions(4)
    soreness = [SorenessEntry(f"e{s.id}{h}", "p1", s.id, s.performed_at + timedelta(hours=h),
                              v) for s in sessions for h, v in [(2, 5), (24, 3), (48, 1)]]
    check_ins = make_check_ins(days)
    return ProgressRecord(
        today=DAY0.date() + timedelta(days=days + today_offset),
        check_ins=check_ins, sessions=sessions, soreness=soreness,
        activities=ACTIVITIES, milestones=milestones(3),
    )


def test_build_all_and_dark_variant(th: ProgressThresholds) -> None:
    data = record()
    summary = assess_response(data.check_ins, data.sessions, th, data.today)
    assert summary.verdict is Verdict.MEANINGFUL_IMPROVEMENT
    light = build_all(data, summary, th)
    dark = build_all(data, summary, th, dark=True)
    assert tuple(light) == CHART_KEYS == (PAIN, SORENESS, FUNCTION, ADHERENCE)
    for key in CHART_KEYS:
        assert len(light[key].data) > 0, key
        lt, dt = light[key].layout.template.layout, dark[key].layout.template.layout
        assert lt.paper_bgcolor != dt.paper_bgcolor
        assert lt.font.color != dt.font.color
    assert light[ADHERENCE].data[0].z[0][0] == 1


def test_theme_is_phone_friendly() -> None:
    layout = theme.template(False).layout
    assert layout.legend.orientation == "h" and layout.legend.yanchor == "bottom"
    assert layout.font.size >= 14
    assert max(layout.margin.l, layout.margin.r) <= 12
    assert list(layout.colorway) == list(theme.LIGHT.series)
    assert theme.template(False) is theme.template(False)


def test_empty_figures_use_the_theme_too(th: ProgressThresholds) -> None:
    data = ProgressRecord(today=DAY0.date())
    summary = assess_response([], [], th, data.today)
    for key, fig in build_all(data, summary, th, dark=True).items():
        assert fig.layout.template.layout.paper_bgcolor == theme.DARK.paper, key
        assert len(fig.data) == 0, key


def test_figures_are_valid_plotly(th: ProgressThresholds) -> None:
    data = record()
    summary = assess_response(data.check_ins, data.sessions, th, data.today)
    for fig in build_all(data, summary, th).values():
        go.Figure(fig.to_dict())  # raises on any property Plotly does not know


def test_figure_div_leaves_plotly_js_out(th: ProgressThresholds) -> None:
    fig = adherence_figure({DAY0.date(): 1}, th)
    div = figure_div(fig, div_id="adherence")
    assert div.startswith("<div") and 'id="adherence"' in div and "Plotly.newPlot" in div
    assert "<script src" not in div and "cdn.plot.ly" not in div and len(div) < 100_000
    assert '"displaylogo": false' in div
    path = plotly_js_path()
    assert path.is_file() and path.stat().st_size > 1_000_000


def test_cache_returns_the_same_figures_until_the_data_changes(th: ProgressThresholds) -> None:
    cache = FigureCache()
    data = record()
    summary = assess_response(data.check_ins, data.sessions, th, data.today)

    def build() -> dict[str, go.Figure]:
        return build_all(data, summary, th)

    print_ = data_fingerprint(data, th)
    first = cache.get("p1", print_, False, build)
    assert cache.get("p1", data_fingerprint(record(), th), False, build) is first
    assert cache.builds == 1
    assert cache.get("p1", print_, True) is None  # dark is cached separately

    corrected = list(data.check_ins)
    corrected[3] = replace(corrected[3], pain_now=corrected[3].pain_now - 1)
    changed = replace(data, check_ins=corrected)
    new_print = data_fingerprint(changed, th)
    assert new_print != print_
    rebuilt = cache.get("p1", new_print, False, build)
    assert rebuilt is not first and cache.builds == 2
    assert cache.get("p1", print_, False) is None  # the old figures are gone


def test_fingerprint_follows_the_day_and_the_clinic_settings(th: ProgressThresholds) -> None:
    base = data_fingerprint(record(), th)
    assert data_fingerprint(record(today_offset=1), th) != base
    assert data_fingerprint(record(), th.configured(pain_threshold_mode="points")) != base


def test_cache_drops_the_least_recent_patient() -> None:
    cache = FigureCache(max_patients=2)
    for patient in ("a", "b", "c"):
        cache.get(patient, "f", False, dict)
    assert cache.get("a", "f", False) is None
    assert cache.get("c", "f", False) == {}
    cache.forget("c")
    assert cache.get("c", "f", False) is None


def test_every_chart_draws_with_the_small_cartesian_plotly_bundle(
        th: ProgressThresholds) -> None:
    data = record()
    summary = assess_response(data.check_ins, data.sessions, th, data.today)
    used = {t.type for fig in build_all(data, summary, th).values() for t in fig.data}
    assert used <= CARTESIAN_TRACE_TYPES, used - CARTESIAN_TRACE_TYPES
    served = plotly_js_path()
    assert served.name.startswith("plotly-cartesian")
    # Figures are generated for the plotly.js the plotly package ships: same version.
    assert plotly_js_version(served) == plotly_js_version(full_plotly_js_path()) != "unknown"
    assert served.stat().st_size < full_plotly_js_path().stat().st_size / 2


def test_chart_wording_is_checked_by_the_charts_and_reported_with_the_rest() -> None:
    """The chart texts' rules moved from the domain to app.charts.wording (issue 11)."""
    import copy
    import json

    from app import paths
    from app.charts.wording import chart_wording_problems
    from app.domain.progress import ThresholdsError, parse_thresholds

    raw = json.loads(paths.PROGRESS_THRESHOLDS.read_text(encoding="utf-8"))
    assert chart_wording_problems(raw["wording"]["charts"]) == []
    bad = copy.deepcopy(raw)
    bad["wording"]["charts"].update(pain_hover_now="plain", pain_band="±{pts}")
    bad["wording"]["charts"].pop("soreness_title")
    bad["thresholds"].pop("trial_days")
    with pytest.raises(ThresholdsError) as caught:
        parse_thresholds(bad, check_charts=chart_wording_problems)
    text = str(caught.value)
    for needle in ("pain_hover_now must be a Plotly hover template", "pain_band uses {pts}",
                   "soreness_title is missing", "thresholds.trial_days is missing"):
        assert needle in text
    charts_only = copy.deepcopy(raw)
    charts_only["wording"]["charts"].update(pain_hover_now="plain")
    parse_thresholds(charts_only)  # the domain alone does not judge what a chart draws
