"""Shared pieces of the UI tests: a chart-page registry on a clock the test moves."""

from __future__ import annotations

import pytest

from app.ui.chart_pages import ChartPages


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def pages() -> ChartPages:
    return ChartPages(ttl_seconds=60, max_pages=3, clock=Clock())
