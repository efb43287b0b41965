"""Charts as static SVG pictures, for a browser whose chart frame cannot run plotly.js.

The same figure is drawn by the same plotly.js, in a headless Chromium on the server,
through kaleido (the Plotly project's image exporter). Rarely needed, so nothing starts
until the first picture is asked for; then one Chromium stays, ~0.2 s a picture
(~2.5 s for the first). Optional by design: where the server has no Chromium (an app-only
install may have none) or a picture fails, `render` answers None for a while and the
chart page says the chart could not load — the report still has it.

Two kinds of failure, kept apart so that one odd request cannot take pictures away from
everyone (issue 9): `EngineUnavailable` (no browser, it would not start) pauses pictures
for a while, since trying again at once would only fail again, slowly; any other failure
(one figure or size the engine could not draw) fails that request only.

Nothing here logs figure content: a failure logs its exception type only.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, Protocol

log = logging.getLogger(__name__)

START_TIMEOUT_SECONDS: Final = 30.0
RENDER_TIMEOUT_SECONDS: Final = 20.0
RETRY_AFTER_SECONDS: Final = 300.0  # after a failure, don't try again for this long
CACHE_SIZE: Final = 32
MIN_SIDE_PX: Final = 200
MAX_SIDE_PX: Final = 2000


class EngineUnavailable(Exception):
    """The engine cannot draw anything just now (e.g. no browser to draw with)."""


class Engine(Protocol):
    """Draws one figure (Plotly JSON as a dict) to SVG bytes, or raises
    (`EngineUnavailable` when it cannot draw at all)."""

    def __call__(self, figure: dict[str, Any], width: int, height: int) -> bytes: ...


def clamp_side(value: int) -> int:
    return max(MIN_SIDE_PX, min(MAX_SIDE_PX, value))


class StaticCharts:
    """Figures to SVG through an `Engine`, one at a time, with a small cache and a pause
    after a failure. Thread-safe."""

    def __init__(self, engine: Engine, *, retry_after_seconds: float = RETRY_AFTER_SECONDS,
                 cache_size: int = CACHE_SIZE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._retry_after = retry_after_seconds
        self._cache_size = cache_size
        self._clock = clock
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._down_until = float("-inf")
        self._lock = threading.Lock()

    def render(self, figure: Mapping[str, Any], width: int, height: int) -> bytes | None:
        """The figure as SVG at `width` × `height` px (clamped), or None when pictures
        are unavailable just now."""
        width, height = clamp_side(width), clamp_side(height)
        key = hashlib.sha256(json.dumps([figure, width, height], sort_keys=True,
                                        default=str).encode()).hexdigest()
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            if self._clock() < self._down_until:
                return None
            try:
                svg = self._engine(dict(figure), width, height)
            except EngineUnavailable as exc:
                log.warning("static chart pictures unavailable for now (%s)",
                            type(exc.__cause__ or exc).__name__)
                self._down_until = self._clock() + self._retry_after
                return None
            except Exception as exc:  # this picture only: never crash a request
                log.warning("a static chart picture failed (%s)", type(exc).__name__)
                return None
            self._cache[key] = svg
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return svg


class KaleidoEngine:
    """kaleido in a thread of its own with its own event loop, started on first use and
    kept (one headless Chromium). Every wait has a timeout, so a missing or stuck browser
    fails a request instead of hanging it."""

    def __init__(self, plotly_js: Path) -> None:
        self.plotly_js = plotly_js
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido: Any = None

    def __call__(self, figure: dict[str, Any], width: int, height: int) -> bytes:
        if self._kaleido is None:
            try:
                self._start()
            except Exception as exc:
                raise EngineUnavailable("kaleido did not start") from exc
        assert self._loop is not None
        job = self._kaleido.calc_fig(figure, opts={"format": "svg", "width": width,
                                                   "height": height})
        result = asyncio.run_coroutine_threadsafe(job, self._loop).result(
            timeout=RENDER_TIMEOUT_SECONDS)
        return bytes(result)

    def _start(self) -> None:
        import kaleido  # a few hundred ms of imports: only when a picture is needed

        if self._loop is None:  # kept when a start fails: the next try reuses it
            self._loop = asyncio.new_event_loop()
            threading.Thread(target=self._loop.run_forever, name="static-charts",
                             daemon=True).start()
        # Offline: the app's own plotly.js, no MathJax (kaleido would fetch it from a CDN).
        browser = kaleido.Kaleido(plotlyjs=str(self.plotly_js), mathjax=False)
        asyncio.run_coroutine_threadsafe(browser.open(), self._loop).result(
            timeout=START_TIMEOUT_SECONDS)
        self._kaleido = browser
        atexit.register(self.close)

    def close(self) -> None:
        if self._kaleido is not None and self._loop is not None:
            try:
                asyncio.run_coroutine_threadsafe(self._kaleido.close(), self._loop).result(
                    timeout=START_TIMEOUT_SECONDS)
            finally:
                self._kaleido = None
