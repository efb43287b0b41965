"""The registry of chart pages (found by a live token only, bounded, ended with the
session) and the HTML of the pages (plotly.js from the app's route, data fetched by token,
pictures or words where plotly.js cannot run)."""

from __future__ import annotations

import json

import pytest

from app.ui.chart_pages import (
    PLOTLY_JS_ROUTE,
    ChartPages,
    ChartSpec,
    DataState,
    chart_base_url,
    chart_frame,
    chart_page,
    date_window,
    page_height,
)
from tests.ui.conftest import Clock


def test_a_page_is_found_by_its_token_only(pages: ChartPages) -> None:
    token = pages.add("<p>chart</p>")
    assert len(token) >= 40
    assert pages.get(token) == b"<p>chart</p>"
    assert pages.get(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert pages.add("<p>chart</p>") != token


def test_pages_expire(pages: ChartPages) -> None:
    clock = pages.clock
    assert isinstance(clock, Clock)
    token = pages.add("x")
    clock.now += 59
    assert pages.get(token) == b"x"
    clock.now += 2
    assert pages.get(token) is None
    assert len(pages) == 0


def test_a_page_ends_with_the_session_that_made_it(pages: ChartPages) -> None:
    signed_in = {"yes": True}
    token = pages.add("x", still_valid=lambda: signed_in["yes"])
    assert pages.get(token) == b"x"
    signed_in["yes"] = False
    assert pages.get(token) is None
    signed_in["yes"] = True
    assert pages.get(token) is None  # forgotten, not merely hidden


def test_the_registry_is_bounded(pages: ChartPages) -> None:
    tokens = [pages.add(str(n)) for n in range(5)]
    assert len(pages) == 3
    assert [pages.get(t) for t in tokens] == [None, None, b"2", b"3", b"4"]


def test_chart_page_loads_the_served_library_and_no_copy_of_it() -> None:
    figure = json.dumps({"data": [{"type": "scatter", "x": [1], "y": [2]}],
                         "layout": {"title": {"text": "Pain"}}})
    page = chart_page([ChartSpec(figure, ("2025-01-01 00:00", "2025-01-28 23:59")),
                       ChartSpec(figure)], dark=True, height_px=300, columns=2)
    assert page.count(f'<script src="{PLOTLY_JS_ROUTE}">') == 1
    assert len(page) < 20_000
    assert page.count('class="chart"') == 2
    assert '["2025-01-01 00:00", "2025-01-28 23:59"]' in page
    assert "repeat(2, minmax(0, 1fr))" in page


def test_page_height_fits_the_grid() -> None:
    assert page_height(4, height_px=400, columns=1, gap_px=16) == 4 * 400 + 3 * 16
    assert page_height(4, height_px=400, columns=2, gap_px=16) == 2 * 400 + 16
    assert page_height(3, height_px=100, columns=2, gap_px=10) == 210


def test_date_window_covers_whole_days() -> None:
    from datetime import date

    assert date_window(date(2025, 1, 1), date(2025, 1, 28)) == (
        "2025-01-01 00:00", "2025-01-28 23:59")


@pytest.mark.parametrize(("page_url", "base"), [
    ("ws://127.0.0.1:8550", "http://127.0.0.1:8550"),
    ("wss://clinic.example.org/ws", "https://clinic.example.org"),
    ("http://localhost:8000", "http://localhost:8000"),
    ("tcp://127.0.0.1:1234", None),
    ("", None),
    (None, None),
])
def test_chart_base_url(page_url: str | None, base: str | None) -> None:
    assert chart_base_url(page_url) == base


def test_an_opened_page_gets_its_data_later(pages: ChartPages) -> None:
    token = pages.open("<p>frame</p>")
    assert pages.get(token) == b"<p>frame</p>"
    assert pages.data(token) == (DataState.PENDING, b"")
    pages.fill(token, b'{"charts": []}')
    assert pages.data(token) == (DataState.READY, b'{"charts": []}')
    pages.fail(token)  # too late: the data stays
    assert pages.data(token)[0] is DataState.READY
    assert pages.data(pages.add("x"))[0] is DataState.MISSING
    assert pages.data("not-a-token")[0] is DataState.MISSING


def test_opened_data_ends_with_the_session(pages: ChartPages) -> None:
    signed_in = {"yes": True}
    token = pages.open("x", still_valid=lambda: signed_in["yes"])
    pages.fill(token, b"{}")
    signed_in["yes"] = False
    assert pages.data(token)[0] is DataState.MISSING
    assert pages.get(token) is None


def test_a_chart_frame_fetches_its_data_and_holds_none() -> None:
    page = chart_frame(4, dark=False, height_px=300, columns=2)
    assert page.count('class="chart"') == 4
    assert "location.pathname + '/data'" in page
    # The data request starts before plotly.js, so the two overlap.
    assert page.index("location.pathname") < page.index(f'<script src="{PLOTLY_JS_ROUTE}">')
    assert '"figure"' not in page


def test_the_chart_page_falls_back_to_pictures_it_may_load() -> None:
    page = chart_frame(1, dark=False)
    assert "if (!window.Plotly)" in page
    assert "'/static/' + index + '.svg?w='" in page
    assert "img.onerror" in page  # and to words when pictures fail too
