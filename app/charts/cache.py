"""One patient's built charts, kept until anything drawn could change.

`FigureCache` holds the four figures (app.charts.figures.build_all) per patient, colour
scheme and audience; `data_fingerprint` says when they are stale. Split from figures.py
(which re-exports both for its older callers): building a chart and deciding when to
build it again are separate reasons to change.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.charts.wording import Audience
from app.domain.progress import ProgressRecord, ProgressThresholds

if TYPE_CHECKING:  # figures.py re-exports this module's names: no import back at run time
    from app.charts.figures import Figures


def data_fingerprint(record: ProgressRecord, thresholds: ProgressThresholds) -> str:
    """A short digest that changes whenever anything drawn could change: any entry (a
    correction too), the day, or the clinic's thresholds."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(record).encode())
    digest.update(repr(thresholds.key()).encode())
    return digest.hexdigest()


class FigureCache:
    """Built figures per (patient, colour scheme, audience), kept while the fingerprint
    holds.

    One entry per patient, scheme and audience: a new fingerprint replaces the old figures. The
    least recently used patients are dropped beyond `max_patients`. Thread-safe: Flet runs
    blocking work on threads.

    The figures returned are shared: treat them as read-only.
    """

    def __init__(self, max_patients: int = 64) -> None:
        self._max = max_patients
        self._entries: OrderedDict[tuple[str, bool, Audience], tuple[str, Figures]] = (
            OrderedDict())
        self._lock = threading.Lock()
        self.builds = 0  # how many times a builder ran (for tests and diagnostics)

    def get(
        self, patient_id: str, fingerprint: str, dark: bool,
        build: Callable[[], Figures] | None = None,
        audience: Audience = Audience.PATIENT,
    ) -> Figures | None:
        """The cached figures for this fingerprint; on a miss, build and keep them (or
        return None when no builder is given). `build` must draw for `audience`."""
        key = (patient_id, dark, audience)
        with self._lock:
            held = self._entries.get(key)
            if held is not None and held[0] == fingerprint:
                self._entries.move_to_end(key)
                return held[1]
        if build is None:
            return None
        figures = build()  # outside the lock: building takes tens of milliseconds
        with self._lock:
            self.builds += 1
            self._entries[key] = (fingerprint, figures)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return figures

    def forget(self, patient_id: str) -> None:
        """Drop a patient's figures (e.g. after their data is deleted)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == patient_id]:
                del self._entries[key]
