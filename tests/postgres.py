"""A real, throw-away PostgreSQL server for the tests (issue 17): Debian's own binaries,
one cluster per test run in a temporary folder, on loopback, run as an unprivileged user
when the tests run as root (PostgreSQL refuses to run as root, and CI runs as root).

`PostgresServer.start()` initialises and starts the cluster; `fresh_database()` creates an
empty database and returns its `postgresql://` URL, so every test starts from nothing;
`kill()` / `restart()` let the crash tests stop the server the hard way. The binaries come
from `.ci/bootstrap` (package postgresql); a missing one fails with the command to run,
never a skip: a store test that did not run is not a passed one.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

SUPERUSER = "backtrack"
_INSTALL_HINT = "bash .ci/bootstrap --browser (it installs Debian's postgresql package)"


def postgres_bindir() -> Path:
    """The newest installed server's bin folder (/usr/lib/postgresql/<major>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                   else 0)
    if not found:
        raise RuntimeError(f"No PostgreSQL server is installed; run {_INSTALL_HINT}.")
    return found[-1].parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unprivileged() -> tuple[int, int] | None:
    """(uid, gid) to run the server as when we are root; None when we are not."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
    raise RuntimeError("Running as root with no 'postgres' or 'nobody' user to run PostgreSQL.")


class PostgresServer:
    def __init__(self) -> None:
        self.bindir = postgres_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="backtrack-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self._as = _unprivileged()
        self._names = itertools.count(1)

    # -- life cycle -----------------------------------------------------------------------

    def _run(self, *args: str) -> None:
        demote: Callable[[], None] | None = None
        if self._as is not None:
            uid, gid = self._as

            def demote() -> None:
                os.setgid(gid)
                os.setuid(uid)

        done = subprocess.run([str(self.bindir / args[0]), *args[1:]], preexec_fn=demote,
                              capture_output=True, text=True, timeout=120, cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): "
                               f"{done.stderr.strip() or done.stdout.strip()}\n"
                               f"{self._log_tail()}")

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return "server log:\n" + "\n".join(self.log.read_text().splitlines()[-20:])
        return ""

    def start(self) -> PostgresServer:
        self.sockets.mkdir()
        if self._as is not None:
            for path in (self.root, self.sockets):
                os.chown(path, *self._as)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                  "-E", "UTF8", "--no-locale", "--no-sync")
        self._start()
        return self

    def _start(self) -> None:
        # fsync stays on (the default): the crash tests kill the server and count on it.
        options = (f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
                   f"-c max_connections=200 -c shared_buffers=32MB")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "60", "start")

    def kill(self) -> None:
        """kill -9 the postmaster (and so its backends): a crash, not a shutdown."""
        pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
        backends = self._backends(pid)
        for victim in (pid, *backends):
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{p}").exists() and not self._zombie(p) for p in (pid, *backends)):
            if time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not die on SIGKILL within 30 s")
            time.sleep(0.02)

    @staticmethod
    def _zombie(pid: int) -> bool:
        with contextlib.suppress(OSError, IndexError):
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        return False

    @staticmethod
    def _backends(postmaster: int) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                    children.append(int(stat.parent.name))
        return children

    def restart(self) -> None:
        """Start again after `kill` (PostgreSQL replays its WAL: crash recovery)."""
        for stale in (self.data / "postmaster.pid", *self.sockets.glob(".s.PGSQL.*")):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
        self._start()

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    # -- databases ------------------------------------------------------------------------

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def fresh_database(self) -> str:
        """An empty database of its own; its URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
