"""Keep the cyclic garbage collector's full passes short (issue 15: no stop-the-world pause
over ~50 ms).

A full collection walks every object the collector tracks while holding the GIL, so every
session and save waits for it. Most of those objects are built once at start-up and live
as long as the server: the store's index (frozen by JournalStore.open), the services and
their caches, Flet, FastAPI and uvicorn's modules and classes. Measured with
bench/pauses.py at 100,000 versions: 334,000 tracked objects after start-up, full passes
of 146–169 ms under the capacity load.

`settle_after_start_up` runs as a server job once the web app is built (app/ui/server.py):
it first does the start-up work whose results live on (the caseload's first statuses: the
patients' decoded records, two thirds of those objects), collects what start-up threw away
(so no garbage is frozen with it), then moves everything left into the permanent
generation, which collections skip. Frozen objects are still freed by reference
counting when nothing refers to them; only a cycle among them would stay (start-up's
objects live as long as the process anyway).
"""

from __future__ import annotations

import gc
from collections.abc import Callable


def settle_after_start_up(*first: Callable[[], object]) -> int:
    """Run `first` (start-up work whose results stay), collect start-up's garbage, then
    freeze what is left; returns how many objects the collector skips from now on."""
    for work in first:
        work()
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
