"""One place for background work (issue 11): named jobs the composition root registers,
starts with the server and stops on shutdown. The reminders scheduler is one of them;
one-off warm-ups (plotly.js, chart rendering) belong here too, as `once` jobs, instead of
ad-hoc daemon threads in the UI modules.

A job that raises is logged by name and exception type only (a message could carry a
patient's data) and runs again at its next turn; one failing job never stops the others.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("backtrack.jobs")


@dataclass
class Job:
    name: str
    work: Callable[[], object]
    interval_seconds: float | None  # None: run once at start
    runs: int = 0
    failures: int = 0
    wake: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


class Jobs:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._stopping = threading.Event()
        self._started = False

    def every(self, name: str, interval_seconds: float, work: Callable[[], object]) -> None:
        """Run `work` at start, then every `interval_seconds` (measured from the end of
        one run to the start of the next, so a slow run never overlaps itself)."""
        if interval_seconds <= 0:
            raise ValueError("A job's interval must be positive.")
        self._add(Job(name, work, interval_seconds))

    def once(self, name: str, work: Callable[[], object]) -> None:
        """Run `work` once, in the background, when the jobs start."""
        self._add(Job(name, work, None))

    def _add(self, job: Job) -> None:
        """A job added after `start` starts at once (the web server adds its warm-ups
        when it builds the app, after the composition root started the scheduler)."""
        if self._stopping.is_set():
            raise RuntimeError("The jobs were stopped.")
        if job.name in self._jobs:
            raise ValueError(f"There is already a job called {job.name}.")
        self._jobs[job.name] = job
        if self._started:
            self._launch(job)

    def start(self) -> None:
        if self._started:
            raise RuntimeError("The jobs are already running.")
        self._started = True
        for job in self._jobs.values():
            self._launch(job)

    def _launch(self, job: Job) -> None:
        job.thread = threading.Thread(target=self._loop, args=(job,),
                                      name=f"job-{job.name}", daemon=True)
        job.thread.start()

    def run_now(self, name: str) -> None:
        """Wake a repeating job before its interval is up (e.g. right after a reminder was
        scheduled for now)."""
        self._jobs[name].wake.set()

    def stop(self, timeout_seconds: float = 10.0) -> None:
        """Ask every job to stop and wait for the running ones to finish their turn."""
        self._stopping.set()
        for job in self._jobs.values():
            job.wake.set()
        for job in self._jobs.values():
            if job.thread is not None:
                job.thread.join(timeout_seconds)

    def stats(self, name: str) -> tuple[int, int]:
        """(runs, failures) of a job so far."""
        job = self._jobs[name]
        return job.runs, job.failures

    def _loop(self, job: Job) -> None:
        self._run(job)
        if job.interval_seconds is None:
            return
        while not self._stopping.is_set():
            job.wake.wait(job.interval_seconds)
            job.wake.clear()
            if self._stopping.is_set():
                return
            self._run(job)

    @staticmethod
    def _run(job: Job) -> None:
        try:
            job.work()
        except Exception as exc:  # one failing job must not stop the others
            job.failures += 1
            log.error("Background job %s failed (%s)", job.name, type(exc).__name__)
        finally:
            job.runs += 1
