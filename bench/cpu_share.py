"""Who used the CPU during a benchmark window: the BackTrack server (its event loop thread
apart from its other threads, such as the reminders scheduler), this process (e.g. an SMTP
server in a thread), the other processes this one started (Chromium, Playwright's
driver), and the whole machine. Read from /proc (Linux) every half second, so a
latency number can be set beside how crowded the cores were when it was taken.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(stat_path: Path) -> float:
    """utime + stime of a process or thread from its /proc stat file (0 if it is gone)."""
    try:
        fields = stat_path.read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # fields 14 and 15 of stat(5)


def _parents() -> dict[int, int]:
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                out[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1]
                                           .split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return out


def _descendants(root: int) -> set[int]:
    parents = _parents()
    found: set[int] = set()
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if pid not in found and (parent == root or parent in found):
                found.add(pid)
                changed = True
    return found


def _machine() -> tuple[float, float]:
    """(busy, total) CPU seconds of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / TICK, sum(values) / TICK


@dataclass(frozen=True)
class Sample:
    at: float  # time.time()
    server_loop: float  # the server's main thread (Flet's event loop: the screens)
    server_other: float  # the server's other threads (reminders scheduler, compaction, ...)
    bench: float  # this process, all threads
    children: float  # processes this one started, but the server (Chromium, Playwright)
    machine_busy: float
    machine_total: float


class CpuShare:
    """Samples in a daemon thread from `start()` until `stop()`."""

    def __init__(self, server_pid: int, every: float = 0.5) -> None:
        self.server_pid = server_pid
        self.every = every
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._last: dict[int, float] = {}  # a child's CPU when last seen (it may exit)
        self._thread = threading.Thread(target=self._run, name="cpu-share", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        children: set[int] = set()
        while not self._stop.is_set():
            children = (_descendants(os.getpid()) | children) - {self.server_pid}
            self.samples.append(self._sample(children))
            self._stop.wait(self.every)

    def _sample(self, children: set[int]) -> Sample:
        proc = Path(f"/proc/{self.server_pid}")
        whole = _cpu_seconds(proc / "stat")
        loop = _cpu_seconds(proc / "task" / str(self.server_pid) / "stat")
        mine = os.times()
        busy, total = _machine()
        return Sample(time.time(), loop, whole - loop, mine.user + mine.system,
                      self._children_cpu(children), busy, total)

    def _children_cpu(self, children: set[int]) -> float:
        for pid in children:
            self._last[pid] = max(self._last.get(pid, 0.0),
                                  _cpu_seconds(Path(f"/proc/{pid}/stat")))
        return sum(self._last.values())

    def cores(self, start: float, end: float) -> dict[str, float] | None:
        """Average cores used between two moments (None if the window holds < 2 samples)."""
        inside = [s for s in self.samples if start <= s.at <= end]
        if len(inside) < 2:
            return None
        a, b = inside[0], inside[-1]
        wall = b.at - a.at
        cores_total = (b.machine_total - a.machine_total) / wall
        return {
            "server event loop": (b.server_loop - a.server_loop) / wall,
            "server other threads (scheduler...)": (b.server_other - a.server_other) / wall,
            "bench process (SMTP server, Playwright)": (b.bench - a.bench) / wall,
            "Chromium and Playwright's driver": (b.children - a.children) / wall,
            f"whole machine (of {cores_total:.0f})": (b.machine_busy - a.machine_busy) / wall,
        }


def server_pid(marker: str) -> int | None:
    """The pid of the `python -m app run` process whose command line contains `marker`."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"app" in argv and b"run" in argv and any(marker.encode() in a for a in argv):
            return int(entry.name)
    return None
