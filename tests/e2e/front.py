"""Several app servers on one PostgreSQL database with nginx in front, configured by the
block docs/deploy.md gives for several servers (issue 17): for the browser test of that
set-up (tests/e2e/test_two_servers.py) and the capacity bench's second target
(bench/capacity.py). Each app server is exactly `python -m app run --database-url …`.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.server import REPO, TEST_ENV, free_port, serving

NGINX = "/usr/sbin/nginx"
DEPLOY = REPO / "docs" / "deploy.md"
MARK = "# several app servers\n"
WAIT = 30_000


def documented_block() -> str:
    """The ```nginx block of docs/deploy.md that starts with the several-servers mark."""
    text = DEPLOY.read_text()
    start = text.index("```nginx\n" + MARK) + len("```nginx\n")
    return text[start:text.index("```", start)]


def _replaced(text: str, old: str, new: str) -> str:
    assert old in text, f"docs/deploy.md's several-servers block no longer has {old!r}"
    return text.replace(old, new)


@dataclass
class Front:
    url: str  # nginx
    ports: tuple[int, int]  # the two app servers, in the upstream's order
    pids: tuple[int, int]


@contextmanager
def app_server(database_url: str, folder: Path, port: int) -> Iterator[str]:
    folder.mkdir()
    argv = [sys.executable, "-m", "app", "run", "--no-browser", "--database-url",
            database_url, "--data-dir", str(folder), "--port", str(port)]
    with serving(argv, folder / "server.log", port) as url:
        yield url


@contextmanager
def nginx(folder: Path, ports: tuple[int, int]) -> Iterator[str]:
    """nginx (Debian's) with the documented block; only the listening address and the app
    servers' ports are changed, and TLS is left out (test_https.py covers the certificate
    part of the same configuration)."""
    folder.mkdir()
    port = free_port()
    block = documented_block()
    for old, new in (("listen 443 ssl;", f"listen 127.0.0.1:{port};"),
                     ("listen [::]:443 ssl;", ""),
                     ("ssl_certificate     /etc/ssl/backtrack/fullchain.pem;", ""),
                     ("ssl_certificate_key /etc/ssl/backtrack/privkey.pem;", ""),
                     ("ssl_protocols       TLSv1.2 TLSv1.3;", ""),
                     ("server 127.0.0.1:8551 ", f"server 127.0.0.1:{ports[0]} "),
                     ("server 127.0.0.1:8552 ", f"server 127.0.0.1:{ports[1]} ")):
        block = _replaced(block, old, new)
    temp = " ".join(f"{kind}_temp_path {folder / kind};"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = folder / "nginx.conf"
    # Workers run as this user (as root nginx would switch them to nobody, who cannot
    # reach pytest's private temporary folder).
    user = pwd.getpwuid(os.getuid()).pw_name
    conf.write_text(f"user {user};\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
                    f"events {{ worker_connections 4096; }}\n"
                    f"http {{\naccess_log off;\n{temp}\n{block}\n}}\n")
    argv = [NGINX, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log"),
            "-g", "daemon off;"]
    with serving(argv, folder / "nginx.out", port) as url:
        yield url


def _servers_on(ports: tuple[int, int]) -> tuple[int, int]:
    """The app server processes, found by their --port argument (serving() owns them)."""
    found = []
    for port in ports:
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                argv = cmdline.read_bytes().split(b"\0")
            except OSError:
                continue
            if b"app" in argv and b"run" in argv and str(port).encode() in argv:
                found.append(int(cmdline.parent.name))
                break
    assert len(found) == 2, f"app servers not found on {ports}"
    return found[0], found[1]




def seed_demo(database_url: str, folder: Path) -> None:
    """The demo clinic, seeded into the database by the command an operator would run."""
    seeded = subprocess.run(
        [sys.executable, "-m", "app", "seed-demo", "--database-url", database_url,
         "--data-dir", str(folder)],
        cwd=REPO, env={**os.environ, **TEST_ENV}, capture_output=True, text=True, timeout=300)
    if seeded.returncode != 0:
        raise RuntimeError(f"seed-demo failed:\n{seeded.stdout}{seeded.stderr}")


@contextmanager
def two_servers(database_url: str, folder: Path) -> Iterator[Front]:
    """Two app servers on `database_url` and nginx in front of them, until the block ends."""
    if not Path(NGINX).exists():
        raise RuntimeError(f"nginx not found at {NGINX}: run `bash .ci/bootstrap --browser`")
    ports = (free_port(), free_port())
    with ExitStack() as running:
        running.enter_context(app_server(database_url, folder / "a", ports[0]))
        running.enter_context(app_server(database_url, folder / "b", ports[1]))
        url = running.enter_context(nginx(folder / "nginx", ports))
        yield Front(url, ports, _servers_on(ports))
