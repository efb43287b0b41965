"""Static chart pictures: the cache, the pause after a failure, and a real picture drawn
by kaleido in the Chromium the browser tests use."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from app.charts.html import plotly_js_path
from app.charts.static import (
    MAX_SIDE_PX,
    MIN_SIDE_PX,
    EngineUnavailable,
    KaleidoEngine,
    StaticCharts,
)

FIGURE: dict[str, Any] = {
    "data": [{"type": "scatter", "mode": "lines+markers", "x": [1, 2, 3], "y": [6, 4, 3],
              "name": "Pain now"}],
    "layout": {"title": {"text": "Pain over time"}},
}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Recording:
    """An engine that answers from a script of results (bytes) or failures."""

    def __init__(self, *results: bytes | Exception) -> None:
        self.results = list(results)
        self.calls: list[tuple[int, int]] = []

    def __call__(self, figure: dict[str, Any], width: int, height: int) -> bytes:
        self.calls.append((width, height))
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result


def test_a_picture_is_drawn_once_and_then_served_from_the_cache() -> None:
    engine = Recording(b"<svg>1</svg>")
    pictures = StaticCharts(engine)
    assert pictures.render(FIGURE, 400, 300) == b"<svg>1</svg>"
    assert pictures.render(json.loads(json.dumps(FIGURE)), 400, 300) == b"<svg>1</svg>"
    assert engine.calls == [(400, 300)]


def test_sizes_are_clamped_and_part_of_the_cache_key() -> None:
    engine = Recording(b"<svg>small</svg>", b"<svg>big</svg>")
    pictures = StaticCharts(engine)
    assert pictures.render(FIGURE, 5, 5) == b"<svg>small</svg>"
    assert pictures.render(FIGURE, 10**6, 10**6) == b"<svg>big</svg>"
    assert engine.calls == [(MIN_SIDE_PX, MIN_SIDE_PX), (MAX_SIDE_PX, MAX_SIDE_PX)]


def test_when_the_engine_is_unavailable_pictures_pause_then_are_tried_again(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    unavailable = EngineUnavailable("kaleido did not start")
    unavailable.__cause__ = RuntimeError("no Chromium at /usr/bin/chromium for Pain now")
    engine = Recording(unavailable, b"<svg>back</svg>")
    pictures = StaticCharts(engine, retry_after_seconds=60, clock=clock)
    assert pictures.render(FIGURE, 400, 300) is None
    clock.now += 59
    assert pictures.render(FIGURE, 400, 300) is None
    assert len(engine.calls) == 1  # not tried during the pause
    clock.now += 2
    assert pictures.render(FIGURE, 400, 300) == b"<svg>back</svg>"
    # The log names the kind of failure, never the figure or the message that may carry it.
    assert "RuntimeError" in caplog.text
    assert "Pain now" not in caplog.text


def test_a_picture_that_fails_fails_only_that_request(
        caplog: pytest.LogCaptureFixture) -> None:
    """Issue 9: one odd request (e.g. ?w=0&h=0 before sizes were checked) made every
    user's pictures answer 503 for five minutes."""
    engine = Recording(ValueError("width must be positive for Pain now"), b"<svg>ok</svg>")
    pictures = StaticCharts(engine, retry_after_seconds=300, clock=Clock())
    assert pictures.render(FIGURE, 400, 300) is None
    assert pictures.render(FIGURE, 400, 300) == b"<svg>ok</svg>"
    assert "ValueError" in caplog.text
    assert "Pain now" not in caplog.text


def test_the_cache_is_bounded() -> None:
    engine = Recording(*[f"<svg>{n}</svg>".encode() for n in range(4)])
    pictures = StaticCharts(engine, cache_size=2)
    for width in (300, 301, 302):
        pictures.render(FIGURE, width, 300)
    pictures.render(FIGURE, 300, 300)  # pushed out: drawn again
    assert len(engine.calls) == 4


@pytest.fixture(scope="module")
def kaleido_engine() -> Iterator[KaleidoEngine]:
    engine = KaleidoEngine(plotly_js_path())
    yield engine
    engine.close()


def test_kaleido_draws_a_real_svg_offline_with_the_apps_plotly_js(
        kaleido_engine: KaleidoEngine) -> None:
    svg = kaleido_engine(dict(FIGURE), 420, 320).decode("utf-8")
    assert svg.startswith("<svg")
    assert 'width="420"' in svg and 'height="320"' in svg
    assert "Pain over time" in svg
    assert "scatterlayer" in svg
