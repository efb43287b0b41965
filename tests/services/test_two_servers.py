"""Two app servers on one PostgreSQL database (issue 17): two `Services`, built as two
`python -m app run` processes build theirs, on a real database (tests/postgres.py). What
one does with sign-ins, lockouts, links and the reminders' lease holds on the other."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyotp
import pytest

from app.domain.account_admin import AccountChangeRefused
from app.domain.accounts import Account, Role
from app.domain.errors import InvalidInput
from app.domain.tokens import token_digest
from app.main import BACKUP_LEASE, Services, background_jobs, build_services
from app.services.access import LIST_COUNT_EVERY, LIST_VIEW
from app.services.accounts import Ended, SignedIn, SignInFailed
from app.services.backups import BACKUP_JOB
from app.services.delivery import LEASE_NAME, DeliveryLease
from app.services.first_run import SetupClosed
from app.services.shared_pages import PageHolder
from app.store.postgres.shared_state import PostgresSharedState
from app.store.postgres.store import PostgresStore
from app.ui.chart_pages import ChartPages, DataState
from tests.conftest import FAST_SETTINGS, FakeClock
from tests.services.test_access import PASSWORD, People, sign_up_people


@dataclass
class Two:
    a: Services
    b: Services
    people: People


@pytest.fixture
def two(pg_url: str, clock: FakeClock) -> Iterator[Two]:
    a = build_services(FAST_SETTINGS, PostgresStore.open(pg_url), clock=clock)
    b = build_services(FAST_SETTINGS, PostgresStore.open(pg_url), clock=clock)
    people = sign_up_people(a)
    a.clinic.set_staff_two_step(people.admin, False)  # a password alone opens a session
    yield Two(a, b, people)
    a.close()
    b.close()


def signed_in(services: Services, email: str) -> str:
    step = services.auth.password_step(email, PASSWORD)
    assert isinstance(step, SignedIn)
    return step.token


def test_both_servers_keep_their_state_in_the_database(two: Two) -> None:
    assert isinstance(two.a.shared, PostgresSharedState)
    assert isinstance(two.b.shared, PostgresSharedState)
    assert two.a.shared is not two.b.shared


def test_a_sign_in_on_one_server_is_resumed_on_the_other(two: Two) -> None:
    token = signed_in(two.a, two.people.patient.email)
    resumed = two.b.auth.resume(token)
    assert resumed is not None and resumed.id == two.people.patient.id


def test_signing_out_on_one_server_ends_the_session_and_tells_the_other(two: Two) -> None:
    token = signed_in(two.a, two.people.patient.email)
    heard: list[str] = []
    arrived = threading.Event()

    def on_signed_out(digest: str) -> None:
        heard.append(digest)
        arrived.set()

    two.b.auth.watch_sign_outs(on_signed_out)
    two.a.auth.sign_out(token)
    assert two.b.auth.resume(token) is None
    assert arrived.wait(10)
    assert heard == [token_digest(token)]


def test_deactivating_on_one_server_ends_the_session_on_the_other(two: Two) -> None:
    token = signed_in(two.a, two.people.therapist.email)
    two.b.account_admin.deactivate(two.people.admin, two.people.therapist.id)
    assert two.a.auth.resume(token) is None
    assert two.a.auth.ended_because(token) is Ended.TURNED_OFF


def test_idle_timeout_and_its_reason_hold_on_both(two: Two, clock: FakeClock) -> None:
    token = signed_in(two.a, two.people.patient.email)
    clock.advance(minutes=FAST_SETTINGS.session_idle_minutes - 1)
    assert two.b.auth.resume(token) is not None  # activity on b counts for a too
    clock.advance(minutes=FAST_SETTINGS.session_idle_minutes - 1)
    assert two.a.auth.resume(token) is not None
    clock.advance(minutes=FAST_SETTINGS.session_idle_minutes, seconds=1)
    assert two.b.auth.resume(token) is None
    assert two.a.auth.ended_because(token) is Ended.INACTIVITY


def test_wrong_passwords_on_both_servers_count_towards_one_pause(two: Two) -> None:
    email = two.people.patient.email
    for n in range(FAST_SETTINGS.max_failed_sign_ins):
        server = two.a if n % 2 == 0 else two.b
        with pytest.raises(SignInFailed):
            server.auth.sign_in(email, "wrong-password", "203.0.113.7")
    for server in (two.a, two.b):
        with pytest.raises(SignInFailed, match="paused"):
            server.auth.sign_in(email, PASSWORD, "203.0.113.7")


def test_a_reset_link_made_on_one_server_works_once_on_the_other(two: Two) -> None:
    given = two.a.password_reset.give_link(two.people.patient)
    token = given.url.split("token=", 1)[1]
    two.b.password_reset.check(token)
    two.b.password_reset.reset(token, "plum-harbour-lantern-42")
    from app.services.password_reset import LinkUnusable

    with pytest.raises(LinkUnusable):
        two.a.password_reset.check(token)


def test_one_server_at_a_time_runs_the_reminders(two: Two, clock: FakeClock) -> None:
    on_a = DeliveryLease(two.a.shared, clock, holder="server-a")
    on_b = DeliveryLease(two.b.shared, clock, holder="server-b")
    ran_on_b: list[object] = []
    inside = threading.Event()
    leave = threading.Event()

    class Slow:
        """A delivery run that lasts until the test lets it finish."""

        def run_due(self, heartbeat: object = None) -> str:
            inside.set()
            leave.wait(10)
            return "ran on a"

    result: list[object] = []
    runner = threading.Thread(target=lambda: result.append(on_a.run_delivery(Slow())))  # type: ignore[arg-type]
    runner.start()
    assert inside.wait(10)
    ran_on_b.append(on_b.run_delivery(two.b.reminders.delivery))  # a is running: b does nothing
    leave.set()
    runner.join(10)
    assert result == ["ran on a"]
    assert ran_on_b == [None]
    assert on_b.run_delivery(two.b.reminders.delivery) is not None  # a finished: b's turn
    # A server that died holding the lease: the other takes over once it expires.
    assert two.a.shared.try_lease(LEASE_NAME, "server-a", on_a.ttl, clock())
    assert on_b.run_delivery(two.b.reminders.delivery) is None
    clock.advance(seconds=on_a.ttl.total_seconds())
    assert on_b.run_delivery(two.b.reminders.delivery) is not None


def test_a_long_run_renews_its_lease(two: Two, clock: FakeClock) -> None:
    ticks = [0.0]
    on_a = DeliveryLease(two.a.shared, clock, holder="server-a", ticks=lambda: ticks[0])
    on_b = DeliveryLease(two.b.shared, clock, holder="server-b")
    seen: list[object] = []

    class Long:
        """A run of two minutes, twice the lease's time to live."""

        def run_due(self, heartbeat: Callable[[], None]) -> str:
            for _ in range(3):
                clock.advance(seconds=40)
                ticks[0] += 40
                heartbeat()
            seen.append(on_b.run_delivery(two.b.reminders.delivery))
            return "done"

    assert on_a.run_delivery(Long()) == "done"  # type: ignore[arg-type]
    assert seen == [None]  # still a's, 120 s in


def test_the_role_given_on_one_server_is_what_the_other_sees(two: Two) -> None:
    """No per-process cache of accounts: a change on one is read on the other."""
    token = signed_in(two.a, two.people.care_team.email)
    two.b.account_admin.change_role(two.people.admin, two.people.care_team.id,
                                    Role.THERAPIST)
    resumed = two.a.auth.resume(token)
    assert resumed is not None and resumed.role is Role.THERAPIST


def test_a_chart_page_registered_on_one_server_is_served_by_the_other(two: Two,
                                                                     clock: FakeClock) -> None:
    on_a, on_b = ChartPages(), ChartPages()
    on_a.share(two.a.screens.chart_pages)
    on_b.share(two.b.screens.chart_pages)
    patient = two.people.patient
    session = signed_in(two.a, patient.email)
    token = on_a.open("<html>frame</html>", holder=PageHolder(session, patient, patient.id))
    assert on_b.get(token) == b"<html>frame</html>"
    assert on_b.data(token) == (DataState.PENDING, b"")
    on_a.fill(token, b'{"charts": []}')
    assert on_b.data(token) == (DataState.READY, b'{"charts": []}')
    assert two.a.shared.page(token, clock()) is None  # kept under its digest only
    assert two.a.shared.page(token_digest(token), clock()) is not None
    two.a.auth.sign_out(session)  # the registering session ended: no longer served
    assert on_b.get(token) is None
    assert on_b.data(token) == (DataState.MISSING, b"")


def test_a_shared_chart_page_keeps_its_checks(two: Two, clock: FakeClock) -> None:
    on_a, on_b = ChartPages(), ChartPages()
    on_a.share(two.a.screens.chart_pages)
    on_b.share(two.b.screens.chart_pages)
    patient, therapist = two.people.patient, two.people.therapist
    session = signed_in(two.a, therapist.email)
    # A therapist the patient does not share with: nothing, wherever it is asked.
    stranger = on_a.add("<html>x</html>", holder=PageHolder(session, therapist, patient.id))
    assert on_b.get(stranger) is None
    # Someone else's session can't be named as the holder.
    other = signed_in(two.a, patient.email)
    forged = on_a.add("<html>y</html>", holder=PageHolder(other, therapist, therapist.id))
    assert on_b.get(forged) is None
    # Young pages only (the screens' 10 minutes).
    own = on_a.add("<html>z</html>", holder=PageHolder(other, patient, patient.id))
    assert on_b.get(own) == b"<html>z</html>"
    clock.advance(minutes=10)
    assert on_b.get(own) is None
    # A page registered without a holder stays with its process.
    local = on_a.add("<html>local</html>")
    assert on_b.get(local) is None
    assert on_a.get(local) == b"<html>local</html>"


def test_with_one_process_pages_stay_in_its_memory(services: Services) -> None:
    pages = ChartPages()
    pages.share(services.screens.chart_pages)
    assert not services.screens.chart_pages.across_servers
    patient = services.accounts.create("solo@example.com", "Solo", PASSWORD, Role.PATIENT)
    session = signed_in(services, patient.email)
    token = pages.add("<html>solo</html>", holder=PageHolder(session, patient, patient.id))
    assert pages.get(token) == b"<html>solo</html>"
    assert services.shared.page(token_digest(token), services.accounts.clock()) is None


def test_list_views_counted_on_both_servers_add_up(two: Two, clock: FakeClock) -> None:
    """The day's "seen in a list" entry counts every server's views (issue 17): each
    server writes its count expecting the version it saw, and merges on a conflict."""
    patient, therapist = two.people.patient, two.people.therapist
    two.a.access.grant(patient, therapist)
    for server, views in ((two.a, 2), (two.b, 3), (two.a, 1)):
        for _ in range(views):
            server.caseload.for_clinician(therapist)
    clock.advance(seconds=LIST_COUNT_EVERY.total_seconds())
    two.b.caseload.for_clinician(therapist)  # written at most once an hour: now
    two.a.caseload.for_clinician(therapist)
    (entry,) = [e for e in two.a.access.audit_trail(patient, patient.id)
                if e.action == LIST_VIEW]
    assert entry.count == 8


def test_one_account_per_email_when_both_servers_create_it_at_once(two: Two) -> None:
    """Joining by two invitations (or an admin and the command line) on two servers at
    the same moment: one account, the other is told it exists."""
    start = threading.Barrier(6)

    def create(n: int) -> str:
        server = two.a if n % 2 == 0 else two.b
        start.wait()
        try:
            server.accounts.create("kim@example.com", "Kim", PASSWORD, Role.PATIENT)
        except InvalidInput:
            return "refused"
        return "made"

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(create, range(6)))
    assert sorted(outcomes) == ["made"] + ["refused"] * 5
    assert len(two.b.accounts.accounts.find(email="kim@example.com")) == 1


def test_two_admins_turning_each_other_off_on_two_servers_leave_one(two: Two) -> None:
    """The last-admin rule counts admins and then writes: on two servers at once, one of
    the two must be refused, or the clinic has no admin left."""
    sam = two.people.admin
    robin = two.a.accounts.create("robin@example.com", "Robin", PASSWORD, Role.ADMIN)
    start = threading.Barrier(2)

    def turn_off(server: Services, admin: Account, other: Account) -> str:
        start.wait()
        try:
            server.account_admin.deactivate(admin, other.id)
        except AccountChangeRefused:
            return "refused"
        return "done"

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(turn_off, (two.a, two.b), (sam, robin), (robin, sam)))
    assert sorted(outcomes) == ["done", "refused"]
    assert sum(1 for a in two.a.accounts.with_role(Role.ADMIN) if a.active) == 1


def test_one_first_admin_when_two_servers_are_set_up_at_once(pg_url: str,
                                                            clock: FakeClock) -> None:
    """Each server prints its own setup link; used on both at the same moment, one
    clinic admin is made and the other link finds the clinic set up."""
    a = build_services(FAST_SETTINGS, PostgresStore.open(pg_url), clock=clock)
    b = build_services(FAST_SETTINGS, PostgresStore.open(pg_url), clock=clock)
    start = threading.Barrier(2)

    def set_up(server: Services, email: str) -> str:
        start.wait()
        try:
            server.first_run.create_first_admin(
                server.first_run.code, clinic_name="Harbour Physio", phone="+1 555 0100",
                emergency_number="911", name="Sam", email=email, password=PASSWORD)
        except SetupClosed:
            return "closed"
        return "made"

    try:
        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(set_up, (a, b), ("sam@example.com", "kit@example.com")))
        assert sorted(outcomes) == ["closed", "made"]
        assert len(b.accounts.with_role(Role.ADMIN)) == 1
    finally:
        a.close()
        b.close()


def test_a_code_typed_on_two_servers_at_once_works_once(two: Two, clock: FakeClock) -> None:
    """The same code from the app (or recovery code) sent to both servers at the same
    moment: one accepts it, the others refuse it (no error from the race)."""
    alex = two.people.patient
    enrolment = two.a.two_step.start_enrolment(alex)
    recovery = two.a.two_step.confirm_enrolment(alex, pyotp.TOTP(enrolment.secret).at(
        clock.now))
    clock.advance(seconds=60)
    for typed in (pyotp.TOTP(enrolment.secret).at(clock.now), recovery[0]):
        start = threading.Barrier(6)

        def check(n: int, typed: str = typed, start: threading.Barrier = start) -> bool:
            server = two.a if n % 2 == 0 else two.b
            start.wait()
            return server.two_step.check_code(alex, typed)

        with ThreadPoolExecutor(6) as pool:
            assert sorted(pool.map(check, range(6))) == [False] * 5 + [True]


def test_the_backup_job_runs_on_one_server_at_a_time(services: Services,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr(services.backups, "run_due", lambda: asked.append("asked"))
    job = background_jobs(services)._jobs[BACKUP_JOB]
    now = services.accounts.clock()
    assert services.shared.try_lease(BACKUP_JOB, "another server", BACKUP_LEASE, now)
    job.work()
    assert asked == []  # the other server is at it
    services.shared.release_lease(BACKUP_JOB, "another server")
    job.work()
    assert asked == ["asked"]
