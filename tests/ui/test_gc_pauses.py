"""The server freezes what start-up built out of the garbage collector's full passes
(issue 15: no stop-the-world pause over ~50 ms; bench/pauses.py measures the pauses)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from app.gc_pauses import SERVER_THRESHOLDS, settle_after_start_up
from app.jobs import Jobs
from app.main import Services
from app.ui import server
from app.ui.server import SETTLE_JOB, serve


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Start and end with nothing frozen (a store's open freezes too)."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def _tracked(thing: object) -> bool:
    return any(o is thing for o in gc.get_objects())


def test_the_servers_start_up_job_freezes_the_caseloads_first_statuses(
        services: Services, unfrozen: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server._Server, "run", lambda self, sockets=None: None)
    refreshed: list[bool] = []
    real_refresh = services.caseload.refresh

    def refresh() -> None:
        real_refresh()
        refreshed.append(True)

    monkeypatch.setattr(services.caseload, "refresh", refresh)
    jobs = Jobs()
    assert serve(services.screens, jobs, host="127.0.0.1", port=0, open_browser=False) == 0
    assert gc.get_freeze_count() == 0  # registered only: it runs when the jobs start
    jobs.start()
    jobs.stop(timeout_seconds=60)
    assert jobs.stats(SETTLE_JOB) == (1, 0)
    assert refreshed == [True]  # the caseload's statuses first, so they are frozen too
    assert gc.get_freeze_count() > 0
    assert not _tracked(services.caseload)  # start-up's objects: out of every full pass


def test_settling_collects_start_ups_garbage_before_freezing(unfrozen: None) -> None:
    class Node:
        other: object = None

    kept, lost_a, lost_b = Node(), Node(), Node()
    lost_a.other, lost_b.other = lost_b, lost_a  # a cycle nothing refers to any more
    del lost_a, lost_b
    made: list[object] = []
    assert settle_after_start_up(lambda: made.append(Node())) > 0
    assert len(made) == 1 and not _tracked(made[0]) and not _tracked(kept)
    # The cycle was collected, not frozen for the life of the process.
    assert not any(isinstance(o, Node) for o in gc.get_objects())
    gc.unfreeze()
    assert sum(isinstance(o, Node) for o in gc.get_objects()) == 2  # kept and made[0]


def test_settling_sets_the_servers_thresholds(unfrozen: None) -> None:
    """A server full of sessions collects its young objects after 10,000 new ones and
    rarely walks everything (app.gc_pauses: full passes of 200-430 ms at 200 patients
    with CPython's defaults)."""
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        settle_after_start_up()
        assert gc.get_threshold() == SERVER_THRESHOLDS == (10_000, 3, 100)
    finally:
        gc.set_threshold(*before)
