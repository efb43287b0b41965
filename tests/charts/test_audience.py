"""Chart words for who is looking: a clinician's charts name the patient's data plainly
("Starting level", "Activities"), never "your"; and the logging calendar's hover text
counts check-ins with the right plural."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import plotly.graph_objects as go
import pytest

from app import paths
from app.charts.figures import (
    ADHERENCE,
    FUNCTION,
    PAIN,
    FigureCache,
    adherence_figure,
    build_all,
)
from app.charts.wording import CLINICIAN_SUFFIX, Audience, chart_wording_problems
from app.domain.entries import CheckIn
from app.domain.progress import ProgressRecord, ProgressThresholds, assess_response
from tests.charts.test_figures import DAY0, record, th  # noqa: F401  (fixture)

_YOU = re.compile(r"\byou(r|rs|rself)?\b", re.IGNORECASE)


def words_drawn(fig: go.Figure) -> list[str]:
    """Every text a figure can show: titles, legend names, hover texts, notes."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("text", "name", "hovertemplate", "hovertext") and isinstance(
                        value, str):
                    found.append(value)
                elif key == "text" and isinstance(value, list):
                    found.extend(str(v) for v in value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    layout = fig.to_plotly_json()["layout"]
    layout.pop("template", None)
    walk(layout)
    walk(fig.to_plotly_json()["data"])
    return found


def clinician_figures(th: ProgressThresholds) -> list[go.Figure]:  # noqa: F811
    """Full charts, charts with one entry, and empty charts, as a clinician sees them."""
    full = record()
    one = ProgressRecord(today=DAY0.date(), check_ins=full.check_ins[:1],
                         sessions=full.sessions[:1], soreness=full.soreness[:1],
                         activities=full.activities)
    empty = ProgressRecord(today=DAY0.date())
    figures: list[go.Figure] = []
    for data in (full, one, empty):
        summary = assess_response(data.check_ins, data.sessions, th, data.today)
        figures += build_all(data, summary, th, audience=Audience.CLINICIAN).values()
    return figures


def test_figures_built_for_a_clinician_never_say_you(th: ProgressThresholds) -> None:  # noqa: F811
    for fig in clinician_figures(th):
        for text in words_drawn(fig):
            assert not _YOU.search(text), text


def test_a_clinician_reads_starting_level_and_activities(th: ProgressThresholds) -> None:  # noqa: F811
    data = record()
    summary = assess_response(data.check_ins, data.sessions, th, data.today)
    theirs = build_all(data, summary, th, audience=Audience.CLINICIAN)
    own = build_all(data, summary, th)
    assert "Starting level" in [s.name for s in theirs[PAIN].layout.shapes]
    assert "Your starting level" in [s.name for s in own[PAIN].layout.shapes]
    assert theirs[FUNCTION].layout.title.text == "Activities"
    assert own[FUNCTION].layout.title.text == "Your activities"


def test_every_chart_text_that_says_you_has_a_clinician_version() -> None:
    charts = json.loads(paths.PROGRESS_THRESHOLDS.read_text(encoding="utf-8"))[
        "wording"]["charts"]
    assert chart_wording_problems(charts) == []
    for key, text in charts.items():
        if key.endswith(CLINICIAN_SUFFIX):
            assert not _YOU.search(text), key
        elif _YOU.search(text):
            assert key + CLINICIAN_SUFFIX in charts, key
    # The check itself refuses a clinician text for a key the charts do not draw.
    assert chart_wording_problems({**charts, "nonsense_clinician": "x"}) == [
        "wording.charts.nonsense_clinician is not a chart text the app knows"]


def test_the_cache_keeps_a_clinicians_figures_apart(th: ProgressThresholds) -> None:  # noqa: F811
    cache = FigureCache()
    patients = cache.get("p1", "f", False, lambda: {"who": go.Figure()})
    clinicians = cache.get("p1", "f", False, lambda: {"who": go.Figure()},
                           audience=Audience.CLINICIAN)
    assert clinicians is not patients and cache.builds == 2
    assert cache.get("p1", "f", False) is patients
    assert cache.get("p1", "f", False, audience=Audience.CLINICIAN) is clinicians
    cache.forget("p1")
    assert cache.get("p1", "f", False, audience=Audience.CLINICIAN) is None


# -- the logging calendar's hover ------------------------------------------------------


@pytest.mark.parametrize("audience", list(Audience))
def test_the_logging_calendar_counts_check_ins_in_words(th: ProgressThresholds,  # noqa: F811
                                                        audience: Audience) -> None:
    start = date(2026, 3, 4)  # a Wednesday
    counts = {start: 0, start + timedelta(days=1): 1, start + timedelta(days=2): 2}
    (heat,) = adherence_figure(counts, th, audience=audience).data
    assert "%{z}" not in heat.hovertemplate
    assert heat.text[2][0] == "Wed 4 Mar: no check-ins"
    assert heat.text[3][0] == "Thu 5 Mar: 1 check-in"
    assert heat.text[4][0] == "Fri 6 Mar: 2 check-ins"
    assert heat.text[0][0] == ""  # a day before the first: no hover (a gap)


def test_build_all_hovers_a_day_with_one_check_in_in_the_singular(
        th: ProgressThresholds) -> None:  # noqa: F811
    data = ProgressRecord(today=DAY0.date() + timedelta(days=1), check_ins=[
        CheckIn("c0", "p1", DAY0, 5, 6), CheckIn("c1", "p1", DAY0 + timedelta(days=1), 5, 6)])
    summary = assess_response(data.check_ins, data.sessions, th, data.today)
    (heat,) = build_all(data, summary, th)[ADHERENCE].data
    assert heat.text[0][0].endswith(": 1 check-in")
