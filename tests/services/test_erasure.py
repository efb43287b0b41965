"""A patient deletes their account and data (issue 14, app.services.erasure): only the
patient, every kind they owned gone from the store, its files and a backup made after,
sessions ended, sign-in refused, other patients untouched, clinicians told, the trail of
who looked kept without health data."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain import kinds
from app.domain.accounts import Account, Role
from app.domain.errors import InvalidInput, NotAllowed, NotFound
from app.domain.guidance import parse_report
from app.main import Services, build_services, seed_demo_if_empty
from app.services.accounts import SignInFailed
from app.services.erasure import DELETED_ACTION
from app.store.backup import backup
from app.store.interfaces import Query
from app.store.journal import JournalStore
from tests.conftest import FAST_SETTINGS, FakeClock

NOTE = "zebra-kumquat-blair-note"  # a string only Blair ever wrote
SESSION_NOTE = "okapi-session-blair"
EXTRA = "narwhal-extra-blair"  # in a record of each kind the demo did not give her
REPORT = parse_report({"hours_since_needling": 30, "needled_regions": ["lumbar"],
                       "soreness_now": 3, "soreness_trend": "better", "pain_now": 4,
                       "pain_usual": 4, "symptoms": []})


@pytest.fixture
def clinic(tmp_path: Path, clock: FakeClock) -> Iterator[Services]:
    store = JournalStore.open(tmp_path / "store", compact_on_close=False)
    built = build_services(FAST_SETTINGS, store, clock=clock)
    seed_demo_if_empty(built, progress=lambda _: None)
    yield built
    built.close()


def blair_with_everything(services: Services) -> Account:
    """Blair from the demo, with a unique note and a record of every patient kind."""
    blair = services.accounts.by_email("blair@example.com")
    assert blair is not None
    services.logbook.check_in(blair, blair.id, pain_now=4, note=NOTE)
    services.logbook.log_session(blair, blair.id, regions=["lumbar"], note=SESSION_NOTE)
    services.access.create_invite(blair)
    services.guidance.assess(blair, blair.id, REPORT)
    taylor = services.accounts.by_email("taylor@example.com")
    assert taylor is not None
    services.progress.summary(taylor, blair.id)  # a read: audited on Blair's record
    # Raw records last: the services above would not decode them.
    store = services.store
    for kind in kinds.KINDS:
        if kind.patient_record and not store.find(Query(kind.name, owner=blair.id)):
            store.save(kind.name, f"extra-{kind.name}", {"marker": EXTRA}, owner=blair.id)
    return blair


def store_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def backup_bytes(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return b"".join(z.read(name) for name in z.namelist())


def test_only_the_patient_deletes_their_account(clinic: Services) -> None:
    taylor = clinic.accounts.by_email("taylor@example.com")
    admin = next(iter(clinic.accounts.with_role(Role.ADMIN)))
    blair = blair_with_everything(clinic)
    for someone in (taylor, admin):
        assert someone is not None
        with pytest.raises(NotAllowed):
            clinic.screens.erasure.delete_my_account(someone, "DELETE")
    with pytest.raises(InvalidInput):
        clinic.screens.erasure.delete_my_account(blair, "delete it")
    assert clinic.accounts.by_email("blair@example.com") is not None
    assert clinic.store.owner_history(blair.id)


def test_deletion_leaves_nothing_of_the_patient(clinic: Services, tmp_path: Path) -> None:
    blair = blair_with_everything(clinic)
    alex = clinic.accounts.by_email("alex@example.com")
    assert alex is not None
    alex_before = clinic.store.owner_history(alex.id)
    folder = tmp_path / "store"
    unique = [NOTE.encode(), SESSION_NOTE.encode(), EXTRA.encode(), blair.id.encode(),
              b"blair@example.com", b"Blair Chen"]
    before = store_bytes(folder)
    assert all(u in before for u in unique)  # the check below can see them
    first = clinic.auth.sign_in("blair@example.com", "backtrack-demo")
    second = clinic.auth.sign_in("blair@example.com", "backtrack-demo")

    erased = clinic.screens.erasure.delete_my_account(blair, " DELETE ")

    assert erased.versions > len(kinds.KINDS)
    assert clinic.store.owner_history(blair.id) == []
    for kind in kinds.KINDS:  # every kind, withdrawn versions included
        found = clinic.store.find(Query(kind.name, include_deleted=True))
        assert [r for r in found if r.owner == blair.id or blair.id in str(r.data)] == []
    after = store_bytes(folder)
    assert [u for u in unique if u in after] == []
    saved = backup(clinic.store, tmp_path / "after.zip")  # type: ignore[arg-type]
    assert [u for u in unique if u in backup_bytes(saved)] == []
    # Sessions ended, the email no longer signs in, other patients untouched.
    assert clinic.auth.resume(first.token) is None
    assert clinic.auth.resume(second.token) is None
    with pytest.raises(SignInFailed):
        clinic.auth.sign_in("blair@example.com", "backtrack-demo")
    assert clinic.store.owner_history(alex.id) == alex_before


def test_after_a_restart_nothing_comes_back(clinic: Services, tmp_path: Path,
                                            clock: FakeClock) -> None:
    blair = blair_with_everything(clinic)
    clinic.screens.erasure.delete_my_account(blair, "DELETE")
    clinic.close()
    with JournalStore.open(tmp_path / "store") as store:
        assert store.owner_history(blair.id) == []
        assert store.latest(kinds.ACCOUNT, blair.id) is None
    assert NOTE.encode() not in store_bytes(tmp_path / "store")


def test_clinicians_see_the_notice_and_the_trail_of_who_looked_is_kept(
        clinic: Services, clock: FakeClock) -> None:
    taylor = clinic.accounts.by_email("taylor@example.com")
    assert taylor is not None
    clinic.caseload.for_clinician(taylor)  # a list view: one counted entry a day
    clock.advance(minutes=61)  # the day's count is written at most hourly
    clinic.caseload.for_clinician(taylor)
    blair = blair_with_everything(clinic)
    assert blair.id in {p.id for p in clinic.access.shared_patients(taylor)}
    looked = {(e.actor_id, e.action, e.at, e.count)
              for e in clinic.access.audit_trail(blair, blair.id) if e.actor_id != blair.id}
    assert (taylor.id, "read:progress") in {(who, what) for who, what, _, _ in looked}
    had_access = {c.id for c in clinic.access.granted_clinicians(blair.id)}

    erased = clinic.screens.erasure.delete_my_account(blair, "DELETE")

    assert blair.id not in {p.id for p in clinic.access.shared_patients(taylor)}
    assert len(clinic.caseload.deleted_at_request(taylor)) == 1
    kept = [v.value for v in clinic.access.audit.find(erased.tombstone)]
    assert max(count for _, _, _, count in looked) == 2
    # Kept whole: who, what, when and how many times that day.
    assert {(e.actor_id, e.action, e.at, e.count) for e in kept
            if e.action != DELETED_ACTION} == looked
    assert {e.actor_id for e in kept if e.action == DELETED_ACTION} == had_access
    assert erased.clinicians_told == len(had_access)
    assert all(e.patient_id == erased.tombstone for e in kept)
    # An export of the deleted patient is refused, for the clinician and the operator.
    with pytest.raises((NotFound, NotAllowed)):
        clinic.exports.export(taylor, blair.id, "json")
    with pytest.raises(NotFound):
        clinic.exports.export(None, "blair@example.com", "json")
    # A clinician Blair never shared with is told nothing.
    other = clinic.accounts.create("quinn@example.com", "Quinn Park",
                                   "a long and unguessable pass 9413", Role.THERAPIST)
    assert clinic.caseload.deleted_at_request(other) == []
