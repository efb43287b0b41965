"""Two app servers, one PostgreSQL database, nginx in front with the block docs/deploy.md
gives for several servers (issue 17). In a real browser, through the proxy:

- a patient's tab is served by one server and the therapist's by the other (checked from
  the servers' own established connections, not assumed), and what the patient saves on
  the first is on the therapist's screen on the second;
- killing the patient's server (SIGKILL: no goodbye) leaves the therapist's tab as it was,
  while the patient's tab reconnects through nginx to the other server and is still
  signed in there — the session lives in the database, not in the dead process;
- `/healthz` through each server says whether its database answers.

The database is a throw-away PostgreSQL cluster (tests/postgres.py), the demo clinic is
seeded into it with `python -m app seed-demo --database-url`, and each server is exactly
`python -m app run --database-url …`.
"""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.flutter import DESKTOP, PHONE, fresh_page, shots_folder
from tests.e2e.pixels import assert_no_error_box
from tests.e2e.server import REPO, TEST_ENV, free_port, serving
from tests.e2e.test_patient_app import go
from tests.e2e.test_sign_in import sign_in
from tests.postgres import PostgresServer

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


def established(port: int) -> int:
    """How many TCP connections to local `port` are established (from /proc/net/tcp)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state = fields[1], fields[3]
        if int(local.rsplit(":", 1)[1], 16) == port and state == "01":
            count += 1
    return count


def wait_until(what: str, condition: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not callable(condition) or not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.2)


@dataclass
class Front:
    url: str  # nginx
    ports: tuple[int, int]  # the two app servers
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
                    f"events {{ worker_connections 256; }}\n"
                    f"http {{\naccess_log off;\n{temp}\n{block}\n}}\n")
    argv = [NGINX, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log"),
            "-g", "daemon off;"]
    with serving(argv, folder / "nginx.out", port) as url:
        yield url


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory,
          postgres_server: PostgresServer) -> Iterator[Front]:
    if not Path(NGINX).exists():
        pytest.fail(f"nginx not found at {NGINX}: run `bash .ci/bootstrap --browser`")
    folder = tmp_path_factory.mktemp("two-servers")
    database = postgres_server.fresh_database()
    seeded = subprocess.run(
        [sys.executable, "-m", "app", "seed-demo", "--database-url", database,
         "--data-dir", str(folder / "seed")],
        cwd=REPO, env={**os.environ, **TEST_ENV}, capture_output=True, text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    ports = (free_port(), free_port())
    with ExitStack() as running:
        running.enter_context(app_server(database, folder / "a", ports[0]))
        running.enter_context(app_server(database, folder / "b", ports[1]))
        url = running.enter_context(nginx(folder / "nginx", ports))
        yield Front(url, ports, _servers_on(ports))


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


def health(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=60) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def _open_progress(page: Page, name: str) -> None:
    page.get_by_role("button", name=f"Open {name}'s progress").click()
    expect(page.get_by_role("button", name="Back")).to_be_visible(timeout=WAIT)


def test_two_servers_share_the_database_and_a_killed_one_loses_no_one(
        browser: Browser, front: Front, postgres_server: PostgresServer) -> None:
    first, second = front.ports
    assert health(f"http://127.0.0.1:{first}") == (200, "ok\n")
    assert health(f"http://127.0.0.1:{second}") == (200, "ok\n")
    with fresh_page(browser, front.url, PHONE) as patient:
        wait_until("the patient's tab holds one websocket",
                   lambda: established(first) + established(second) == 1)
        mine = first if established(first) == 1 else second
        other = second if mine == first else first
        sign_in(patient, "alex@example.com")
        expect(patient.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)
        with fresh_page(browser, front.url, DESKTOP) as therapist:
            # least_conn: the second tab goes to the server without one.
            wait_until("the therapist's tab is on the other server",
                       lambda: established(other) == 1)
            assert established(mine) == 1
            sign_in(therapist, "taylor@example.com")
            expect(therapist.get_by_text("Hello, Taylor")).to_be_visible(timeout=WAIT)
            _open_progress(therapist, "Alex")
            expect(therapist.get_by_text("Acknowledge the flag")).to_have_count(0)
            therapist.get_by_role("button", name="Back").click()

            # The patient, on their server, reports a warning sign ...
            patient.get_by_role("button", name="Is this normal?").click()
            patient.get_by_role("checkbox", name="Short of breath or hard to breathe").click()
            patient.get_by_role("button", name="Check my symptoms").click()
            # (after Alex's lower-back session: "Contact the clinic today")
            expect(patient.get_by_text("Contact the clinic today")).to_be_visible(timeout=WAIT)
            patient.get_by_role("button", name="Back to today").click()
            expect(patient.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)
            # ... and the therapist, on the other server, sees it to acknowledge.
            _open_progress(therapist, "Alex")
            expect(therapist.get_by_text("Acknowledge the flag")).to_be_visible(timeout=WAIT)
            therapist.get_by_role("button", name="Back").click()
            expect(therapist.get_by_text("Hello, Taylor")).to_be_visible(timeout=WAIT)

            # The patient's server dies without a word.
            os.kill(front.pids[front.ports.index(mine)], signal.SIGKILL)
            wait_until("the patient's tab reconnected to the other server",
                       lambda: established(other) == 2, seconds=60)
            # Still signed in there: the next step is answered by the live server.
            go(patient, "History")  # its filters exist only once the server drew History
            expect(patient.get_by_role("checkbox", name="Answers")).to_be_visible(timeout=WAIT)
            expect(patient.get_by_role("button", name="Sign in")).to_have_count(0)
            # The therapist's tab on the live server carried on as it was.
            _open_progress(therapist, "Alex")
            expect(therapist.get_by_text("Acknowledge the flag")).to_be_visible(timeout=WAIT)
            assert_no_error_box(patient, "patient after reconnecting to the other server")
            patient.screenshot(path=str(shots_folder() / "two-servers-reconnected-phone.png"))
            therapist.screenshot(path=str(shots_folder() / "two-servers-therapist-desktop.png"))

    # /healthz says when a server's database does not answer, and when it is back.
    postgres_server.kill()
    try:
        assert health(f"http://127.0.0.1:{other}")[0] == 503
    finally:
        postgres_server.restart()
    wait_until("the live server's database answers again",
               lambda: health(f"http://127.0.0.1:{other}")[0] == 200)
