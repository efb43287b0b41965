"""Two app servers, one PostgreSQL database, nginx in front with the block docs/deploy.md
gives for several servers (issue 17). In a real browser, through the proxy:

- a patient's tab is served by one server and the therapist's by the other (checked from
  the servers' own established connections, not assumed), and what the patient saves on
  the first is on the therapist's screen on the second, the open list drawn again on its
  own;
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
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.flutter import DESKTOP, PHONE, fresh_page, shots_folder
from tests.e2e.front import Front, seed_demo, two_servers
from tests.e2e.pixels import assert_no_error_box
from tests.e2e.test_patient_app import go
from tests.e2e.test_sign_in import sign_in
from tests.postgres import PostgresServer

WAIT = 30_000


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


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory,
          postgres_server: PostgresServer) -> Iterator[Front]:
    folder = tmp_path_factory.mktemp("two-servers")
    database = postgres_server.fresh_database()
    seed_demo(database, folder / "seed")
    with two_servers(database, folder) as running:
        yield running


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
            # ... and the therapist's open list, on the other server, shows it on its own
            # (the owner stamp crosses by NOTIFY; the list looks every LIVE_SECONDS) ...
            expect(therapist.get_by_text("Asked to contact the clinic", exact=True)
                   ).to_have_count(1, timeout=WAIT)
            # ... and there it is to acknowledge.
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
