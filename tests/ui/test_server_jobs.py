"""Background work has one home (issue 11): building the web app starts no thread of its
own; its warm-ups are jobs on the composition root's `Jobs`, beside the reminders
scheduler, started and stopped by the command that serves."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from app.jobs import Jobs
from app.main import Services, background_jobs
from app.reminders_wiring import DELIVERY_JOB
from app.services.backups import BACKUP_JOB
from app.services.caseload import CASELOAD_JOB
from app.ui.server import WARM_CHARTS_JOB, asgi_app
from app.ui.web import PLOTLY_JS_JOB


@pytest.fixture
def thread_starts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    started: list[str] = []
    real_start = threading.Thread.start

    def start(self: threading.Thread, *args: Any, **kwargs: Any) -> None:
        started.append(self.name)
        real_start(self, *args, **kwargs)

    monkeypatch.setattr(threading.Thread, "start", start)
    return started


def test_building_the_web_app_starts_no_thread(services: Services,
                                               thread_starts: list[str]) -> None:
    jobs = Jobs()
    asgi_app(services.screens, jobs=jobs)
    assert thread_starts == []
    assert jobs.stats(PLOTLY_JS_JOB) == (0, 0)  # registered, to run when the jobs start


def test_the_roots_jobs_hold_the_scheduler_and_run_the_warm_ups(
        services: Services, thread_starts: list[str]) -> None:
    jobs = background_jobs(services)
    assert jobs.stats(DELIVERY_JOB) == (0, 0)
    jobs.once(WARM_CHARTS_JOB, lambda: None)
    asgi_app(services.screens, jobs=jobs)
    assert thread_starts == []
    jobs.start()
    jobs.stop()
    assert sorted(thread_starts) == sorted(
        f"job-{name}" for name in (DELIVERY_JOB, CASELOAD_JOB, BACKUP_JOB, WARM_CHARTS_JOB,
                                   PLOTLY_JS_JOB))
    assert jobs.stats(PLOTLY_JS_JOB) == (1, 0)
