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

Then the collector's thresholds are set for a server full of sessions
(`SERVER_THRESHOLDS`). Each open tab holds its screen's control tree (about 2,000 tracked
objects a session), so 200 patients checking in keep ~420,000 objects the collector walks,
and they churn: a route change discards one screen and builds the next. With CPython's
defaults (700, 10, 10) such trees reached the oldest generation within milliseconds, and
its full passes over all of them took 200–430 ms every ten seconds or so: the p95 of a
save went to 400–640 ms at 200 patients while the server used 37% of a core
(bench/capacity.py, issue 17). Collecting the youngest generation after 10,000 new
objects instead of 700 lets most of a discarded screen die young, three young passes per
middle one keeps the middle generation small, and a full pass only after 100 middle ones
(and, as always, only when a quarter more objects survived since the last) makes them rare.
Measured at 200 patients, one process: save p95 30.8 ms, max 74 ms, the longest pass 72 ms
(defaults: 399–636 ms, 640–934 ms, 430 ms). Memory of cyclic garbage waits longer for a
full pass; a young pass walks at most ~30,000 objects.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

# (young, middle, old) collection thresholds for the server; see the module's docstring.
SERVER_THRESHOLDS = (10_000, 3, 100)


def settle_after_start_up(*first: Callable[[], object]) -> int:
    """Run `first` (start-up work whose results stay), collect start-up's garbage, then
    freeze what is left and set the server's thresholds; returns how many objects the
    collector skips from now on."""
    for work in first:
        work()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVER_THRESHOLDS)
    return gc.get_freeze_count()
