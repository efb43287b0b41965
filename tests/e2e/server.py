"""Start the real BackTrack server (or any server command) in a subprocess for browser
tests, benchmarks and screenshots, and stop it afterwards. One implementation for all."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEST_ENV = {"BACKTRACK_FAST_HASH": "1", "BACKTRACK_NO_BROWSER": "1", "PYTHONUNBUFFERED": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(argv: list[str], log: Path, port: int,
            env: dict[str, str] | None = None, scheme: str = "http") -> Iterator[str]:
    """Run a server subprocess until the block ends; yield its URL once it listens."""
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=REPO, env=env or {**os.environ, **TEST_ENV},
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{argv} exited early:\n{log.read_text()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{argv} did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield f"{scheme}://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def demo_server(data_dir: Path | None = None, env: dict[str, str] | None = None,
                args: Sequence[str] = (), scheme: str = "http") -> Iterator[str]:
    """`python -m app run --demo` on a free port with its own store (temporary unless
    `data_dir` is given), with `env` added to the test environment and `args` to the
    command (e.g. --certfile/--keyfile, then `scheme` "https"); yields the URL."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = data_dir or Path(scratch)
        port = free_port()
        argv = [sys.executable, "-m", "app", "run", "--demo", "--no-browser",
                "--data-dir", str(folder), "--port", str(port), *args]
        with serving(argv, folder / "server.log", port,
                     {**os.environ, **TEST_ENV, **(env or {})}, scheme) as url:
            yield url


@contextmanager
def impatient_demo_server(idle_minutes: float) -> Iterator[str]:
    """A demo server (its own temporary store) whose sign-ins end after `idle_minutes`
    without activity; yields the URL."""
    with tempfile.TemporaryDirectory() as folder, demo_server(
            Path(folder), env={"BACKTRACK_SESSION_IDLE_MINUTES": str(idle_minutes)}) as url:
        yield url
