"""The background jobs runner: runs at start, on request, keeps going after a failure
(logged without its message), stops cleanly."""

from __future__ import annotations

import logging
import threading

import pytest

from app.jobs import Jobs

WAIT = 10.0  # generous: only a bound for a broken runner, never a timing assertion


class Counter:
    def __init__(self, fail_first: int = 0) -> None:
        self.calls = 0
        self.fail_first = fail_first
        self.reached: dict[int, threading.Event] = {n: threading.Event() for n in range(1, 6)}

    def __call__(self) -> None:
        self.calls += 1
        if self.calls in self.reached:
            self.reached[self.calls].set()
        if self.calls <= self.fail_first:
            raise RuntimeError("pain score 9 for patient alex")  # must never reach the log


def test_a_job_runs_at_start_again_on_request_and_not_after_stop() -> None:
    jobs = Jobs()
    work = Counter()
    jobs.every("reminders", 3600, work)
    jobs.start()
    assert work.reached[1].wait(WAIT)
    jobs.run_now("reminders")
    assert work.reached[2].wait(WAIT)
    jobs.stop()
    calls = work.calls
    jobs.run_now("reminders")
    assert work.calls == calls == 2
    assert jobs.stats("reminders") == (2, 0)


def test_a_failing_job_is_logged_without_its_message_and_runs_again(
        caplog: pytest.LogCaptureFixture) -> None:
    jobs = Jobs()
    work = Counter(fail_first=1)
    once = threading.Event()
    jobs.every("reminders", 3600, work)
    jobs.once("warm-up", once.set)
    with caplog.at_level(logging.ERROR, logger="backtrack.jobs"):
        jobs.start()
        assert work.reached[1].wait(WAIT) and once.wait(WAIT)
        jobs.run_now("reminders")
        assert work.reached[2].wait(WAIT)
        jobs.stop()
    assert jobs.stats("reminders") == (2, 1)
    assert "reminders failed (RuntimeError)" in caplog.text
    assert "pain" not in caplog.text and "alex" not in caplog.text


def test_registering_wrongly_is_refused_and_a_late_job_starts_at_once() -> None:
    jobs = Jobs()
    jobs.every("a", 1, lambda: None)
    with pytest.raises(ValueError):
        jobs.every("a", 1, lambda: None)
    with pytest.raises(ValueError):
        jobs.every("b", 0, lambda: None)
    jobs.start()
    late = threading.Event()
    jobs.once("warm-up", late.set)
    assert late.wait(WAIT)
    with pytest.raises(RuntimeError):
        jobs.start()
    jobs.stop()
    with pytest.raises(RuntimeError):
        jobs.once("too-late", lambda: None)
