"""The admin's Accounts actions (app.services.account_admin): every action by every role
(an admin's succeeds and is in the account log, anyone else's is refused and leaves
nothing), deactivation ending live sessions, the last-admin and role rules, and the
reset link an admin gives by hand (once, one hour, ends the other sessions)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import pytest

from app.domain.account_admin import (
    ALREADY_OFF,
    EMAILED,
    LAST_ADMIN,
    NO_MAIL_SERVER,
    NOT_A_STAFF_ROLE,
    PATIENT_ROLE_FIXED,
    SELF_DEACTIVATION,
    SIGN_IN_TURNED_OFF,
    TURNED_OFF,
    AccountChangeRefused,
    AccountSearch,
    Status,
)
from app.domain.account_audit import AccountAction
from app.domain.accounts import Account, Role
from app.domain.errors import NotAllowed
from app.main import Services
from app.services.account_admin import AccountAdmin
from app.services.accounts import SignInFailed
from app.services.notifier import MemoryNotifier
from app.services.password_reset import VALID_FOR, LinkUnusable, PasswordResetService
from tests.conftest import FakeClock

PASSWORD = "backtrack-test-pw"
NEW_PASSWORD = "lantern orchard pebble"


class People:
    def __init__(self, services: Services) -> None:
        make = services.accounts.create
        self.alex = make("alex@example.com", "Alex Morgan", PASSWORD, Role.PATIENT)
        self.taylor = make("taylor@example.com", "Taylor Brooks", PASSWORD, Role.THERAPIST)
        self.jordan = make("jordan@example.com", "Jordan Patel", PASSWORD, Role.CARE_TEAM)
        self.sam = make("sam@example.com", "Sam Admin", PASSWORD, Role.ADMIN)
        self.by_role = {Role.PATIENT: self.alex, Role.THERAPIST: self.taylor,
                        Role.CARE_TEAM: self.jordan, Role.ADMIN: self.sam}
        # Staff sign in with the password alone here (a new clinic requires two-step).
        services.clinic.set_staff_two_step(self.sam, False)


@pytest.fixture
def people(services: Services) -> People:
    return People(services)


@pytest.fixture
def admin(services: Services) -> AccountAdmin:
    return services.screens.account_admin


def token_of(url: str) -> str:
    return parse_qs(urlparse(url).query)["token"][0]


# Each action, done by `actor` to Taylor the therapist: (the call, what the log records).
Action = Callable[[AccountAdmin, Account, Account], object]
ACTIONS: dict[str, tuple[Action, AccountAction | None]] = {
    "search": (lambda s, a, t: s.search(a, AccountSearch(text="taylor")), None),
    "deactivate": (lambda s, a, t: s.deactivate(a, t.id), AccountAction.DEACTIVATED),
    "reactivate": (lambda s, a, t: s.reactivate(a, t.id), AccountAction.REACTIVATED),
    "change_role": (lambda s, a, t: s.change_role(a, t.id, Role.CARE_TEAM),
                    AccountAction.ROLE_CHANGED),
    "give_reset_link": (lambda s, a, t: s.give_reset_link(a, t.id),
                        AccountAction.RESET_LINK_GIVEN),
}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("role", list(Role))
def test_every_action_by_every_role(services: Services, people: People, admin: AccountAdmin,
                                    action: str, role: Role) -> None:
    call, logged = ACTIONS[action]
    actor = people.by_role[role]
    target = people.taylor if role is not Role.THERAPIST else people.jordan
    if action == "reactivate":  # something to reactivate: turned off by Sam first
        admin.deactivate(people.sam, target.id)
    before = services.account_audit.all()
    if role is Role.ADMIN:
        call(admin, actor, target)
        added = [e for e in services.account_audit.all() if e not in before]
        if logged is None:
            assert added == []
        else:
            assert [(e.actor_id, e.action, e.subject) for e in added] == [
                (actor.id, logged, target.id)]
    else:
        with pytest.raises(NotAllowed):
            call(admin, actor, target)
        assert services.account_audit.all() == before


def test_search_by_name_email_role_and_status(people: People, admin: AccountAdmin) -> None:
    sam = people.sam
    assert [a.name for a in admin.search(sam)] == [
        "Alex Morgan", "Jordan Patel", "Sam Admin", "Taylor Brooks"]
    assert [a.email for a in admin.search(sam, AccountSearch(text="TAYLOR"))] == [
        "taylor@example.com"]
    assert [a.name for a in admin.search(sam, AccountSearch(text="patel jordan"))] == [
        "Jordan Patel"]
    assert [a.name for a in admin.search(sam, AccountSearch(role=Role.PATIENT))] == [
        "Alex Morgan"]
    admin.deactivate(sam, people.jordan.id)
    assert [a.name for a in admin.search(sam, AccountSearch(status=Status.DEACTIVATED))] \
        == ["Jordan Patel"]
    # Active first, then by name.
    assert [a.name for a in admin.search(sam)][-1] == "Jordan Patel"
    assert not hasattr(admin.search(sam)[0], "password_hash")


def test_deactivation_ends_live_sessions_keeps_data_and_reactivation_restores(
        services: Services, people: People, admin: AccountAdmin) -> None:
    auth = services.auth
    services.access.grant(people.alex, people.taylor)
    phone = auth.sign_in("taylor@example.com", PASSWORD).token
    desk = auth.sign_in("taylor@example.com", PASSWORD).token
    patient = auth.sign_in("alex@example.com", PASSWORD).token
    admin.deactivate(people.sam, people.taylor.id)
    assert auth.resume(phone) is None and auth.resume(desk) is None
    assert auth.resume(patient) is not None  # only that account's sessions
    with pytest.raises(SignInFailed):
        auth.sign_in("taylor@example.com", PASSWORD)
    assert [c.id for c in services.access.granted_clinicians(people.alex.id)] == [
        people.taylor.id]  # kept
    admin.reactivate(people.sam, people.taylor.id)
    assert auth.sign_in("taylor@example.com", PASSWORD).account.active


def test_an_admin_cannot_deactivate_themself_nor_the_last_active_admin(
        services: Services, people: People, admin: AccountAdmin) -> None:
    sam = people.sam
    with pytest.raises(AccountChangeRefused) as refused:
        admin.deactivate(sam, sam.id)
    assert refused.value.message == SELF_DEACTIVATION
    kim = services.accounts.create("kim@example.com", "Kim Lee", PASSWORD, Role.ADMIN)
    admin.deactivate(sam, kim.id)  # two admins: fine
    with pytest.raises(AccountChangeRefused) as again:
        admin.deactivate(sam, kim.id)
    assert again.value.message == ALREADY_OFF
    admin.reactivate(sam, kim.id)
    admin.deactivate(kim, sam.id)  # Kim turns Sam off: Kim is now the only active admin
    other = services.accounts.create("lee@example.com", "Lee Ray", PASSWORD, Role.ADMIN)
    admin.deactivate(kim, other.id)
    with pytest.raises(AccountChangeRefused) as last:
        admin.change_role(kim, kim.id, Role.THERAPIST)
    assert last.value.message == LAST_ADMIN


def test_the_last_active_admin_is_never_deactivated(services: Services,
                                                    people: People,
                                                    admin: AccountAdmin) -> None:
    kim = services.accounts.create("kim@example.com", "Kim Lee", PASSWORD, Role.ADMIN)
    admin.change_role(kim, people.sam.id, Role.THERAPIST)  # Sam no longer admin
    with pytest.raises(AccountChangeRefused):  # Kim can't be demoted by herself now
        admin.change_role(kim, kim.id, Role.CARE_TEAM)
    with pytest.raises(NotAllowed):  # Sam's open tab: no longer an admin
        admin.deactivate(people.sam, kim.id)
    taylor = services.accounts.get(admin.change_role(kim, people.taylor.id, Role.ADMIN).id)
    admin.deactivate(taylor, kim.id)  # Taylor (now admin) turns Kim off: allowed
    with pytest.raises(AccountChangeRefused) as last:
        # Only Taylor is an active admin (Kim is one, but deactivated).
        admin.change_role(taylor, taylor.id, Role.THERAPIST)
    assert last.value.message == LAST_ADMIN


def test_roles_move_among_staff_only(services: Services, people: People,
                                     admin: AccountAdmin) -> None:
    sam = people.sam
    with pytest.raises(AccountChangeRefused) as patient:
        admin.change_role(sam, people.alex.id, Role.THERAPIST)
    assert patient.value.message == PATIENT_ROLE_FIXED
    with pytest.raises(AccountChangeRefused) as staff:
        admin.change_role(sam, people.taylor.id, Role.PATIENT)
    assert staff.value.message == NOT_A_STAFF_ROLE
    changed = admin.change_role(sam, people.taylor.id, Role.CARE_TEAM)
    assert changed.role is Role.CARE_TEAM
    assert services.accounts.get(people.taylor.id).role is Role.CARE_TEAM
    [event] = [e for e in services.account_audit.all() if e.action is AccountAction.ROLE_CHANGED]
    assert event.detail == "therapist → care_team"
    before = services.account_audit.all()
    admin.change_role(sam, people.taylor.id, Role.CARE_TEAM)  # the same: nothing logged
    assert services.account_audit.all() == before


def test_a_role_change_holds_from_the_next_step(services: Services, people: People,
                                                admin: AccountAdmin) -> None:
    token = services.auth.sign_in("taylor@example.com", PASSWORD).token
    admin.change_role(people.sam, people.taylor.id, Role.ADMIN)
    resumed = services.auth.resume(token)
    assert resumed is not None and resumed.role is Role.ADMIN


def test_a_given_reset_link_works_once_for_an_hour_and_ends_other_sessions(
        services: Services, people: People, admin: AccountAdmin, clock: FakeClock) -> None:
    auth, reset = services.auth, services.password_reset
    session = auth.sign_in("alex@example.com", PASSWORD).token
    given = admin.give_reset_link(people.sam, people.alex.id)
    assert given.expires_at == clock.now + VALID_FOR
    assert given.url.startswith(services.settings.public_url.rstrip("/") + "/reset?token=")
    token = token_of(given.url)
    reset.check(token)
    reset.reset(token, NEW_PASSWORD)
    assert auth.resume(session) is None
    assert auth.sign_in("alex@example.com", NEW_PASSWORD).account.id == people.alex.id
    with pytest.raises(LinkUnusable):
        reset.reset(token, "another long passphrase here")
    events = services.account_audit.all()
    assert [(e.action, e.actor_id, e.subject) for e in events[:2]] == [
        (AccountAction.PASSWORD_RESET, people.alex.id, people.alex.id),
        (AccountAction.RESET_LINK_GIVEN, people.sam.id, people.alex.id)]
    assert all(token not in e.detail for e in events)


def test_a_given_link_expires_after_an_hour(services: Services, people: People,
                                            admin: AccountAdmin, clock: FakeClock) -> None:
    token = token_of(admin.give_reset_link(people.sam, people.taylor.id).url)
    clock.advance(minutes=59)
    services.password_reset.check(token)
    clock.advance(minutes=1)
    with pytest.raises(LinkUnusable):
        services.password_reset.reset(token, NEW_PASSWORD)


def test_a_newer_link_voids_the_older_one(services: Services, people: People,
                                          admin: AccountAdmin) -> None:
    first = token_of(admin.give_reset_link(people.sam, people.taylor.id).url)
    second = token_of(admin.give_reset_link(people.sam, people.taylor.id).url)
    with pytest.raises(LinkUnusable):
        services.password_reset.check(first)
    services.password_reset.check(second)


def test_no_link_for_a_deactivated_account_and_deactivation_kills_an_open_one(
        services: Services, people: People, admin: AccountAdmin) -> None:
    token = token_of(admin.give_reset_link(people.sam, people.taylor.id).url)
    admin.deactivate(people.sam, people.taylor.id)
    with pytest.raises(LinkUnusable):
        services.password_reset.reset(token, NEW_PASSWORD)
    with pytest.raises(AccountChangeRefused) as refused:
        admin.give_reset_link(people.sam, people.taylor.id)
    assert refused.value.message == TURNED_OFF


def test_a_deactivated_account_is_told_so_only_for_its_right_password(
        services: Services, people: People, admin: AccountAdmin) -> None:
    admin.deactivate(people.sam, people.taylor.id)
    with pytest.raises(SignInFailed) as right:
        services.auth.sign_in("taylor@example.com", PASSWORD)
    assert str(right.value) == SIGN_IN_TURNED_OFF
    with pytest.raises(SignInFailed) as wrong:
        services.auth.sign_in("taylor@example.com", "not her password at all")
    assert str(wrong.value) == "That email and password don't match. Please try again."


def test_the_admin_emails_a_reset_link_when_the_clinic_has_a_mail_server(
        services: Services, people: People, clock: FakeClock) -> None:
    outbox = MemoryNotifier()
    mail: list[MemoryNotifier | None] = [None]
    resets = PasswordResetService(services.auth, notifier_source=lambda: mail[0],
                                  clinic_name=lambda: "Harbour Physio",
                                  base_url="https://clinic.example", clock=clock,
                                  dispatch=lambda send: send())
    admin = AccountAdmin(services.accounts, services.auth, resets, services.account_audit)
    with pytest.raises(AccountChangeRefused) as refused:
        admin.email_reset_link(people.sam, people.alex.id)
    assert refused.value.message == NO_MAIL_SERVER
    mail[0] = outbox
    assert admin.email_reset_link(people.sam, people.alex.id) == "alex@example.com"
    [sent] = outbox.sent
    assert sent.to == "alex@example.com"
    resets.reset(token_of(sent.link), NEW_PASSWORD)
    assert services.auth.sign_in("alex@example.com", NEW_PASSWORD).account.id == people.alex.id
    given = [e for e in services.account_audit.all()
             if e.action is AccountAction.RESET_LINK_GIVEN]
    assert [(e.actor_id, e.subject, e.detail) for e in given] == [
        (people.sam.id, people.alex.id, EMAILED)]
    logged = services.account_audit.all()
    for role in (Role.PATIENT, Role.THERAPIST, Role.CARE_TEAM):  # nobody else may
        with pytest.raises(NotAllowed):
            admin.email_reset_link(people.by_role[role], people.alex.id)
    assert len(outbox.sent) == 1 and services.account_audit.all() == logged
