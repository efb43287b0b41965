"""Export a patient's whole record as JSON and import it back, elsewhere, intact."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest

from app.domain.accounts import Account, Role
from app.domain.errors import InvalidInput, NotAllowed, NotFound
from app.main import Services, build_services
from app.services.accounts import SignInFailed
from app.services.portability import EXPORT_FORMAT
from app.store.interfaces import Query
from app.store.memory import MemoryStore
from tests.conftest import FAST_SETTINGS, FakeClock

PASSWORD = "backtrack-test-pw"


@dataclass
class Filled:
    patient: Account
    therapist: Account
    corrected_id: str


@pytest.fixture
def filled(services: Services, clock: FakeClock) -> Filled:
    """A patient with one of everything, one check-in corrected twice."""
    log = services.logbook
    patient = services.accounts.create("alex@example.com", "Alex Morgan", PASSWORD,
                                       Role.PATIENT, timezone="Europe/Dublin")
    therapist = services.accounts.create("taylor@example.com", "Taylor", PASSWORD,
                                         Role.THERAPIST)
    services.access.grant(patient, therapist)
    acts = log.set_activities(patient, patient.id, ["Walking", "Sitting", "Bending"])
    session = log.log_session(therapist, patient.id, regions=["lumbar", "gluteal"],
                              performed_at=clock.now - timedelta(hours=26))
    log.log_soreness(patient, patient.id, session_id=session.value.id, soreness=4)
    entry = log.check_in(patient, patient.id, pain_now=7, worst_24h=8,
                         regions=["lower_back"], psfs={acts[0].id: 3}, note="ouch ✓")
    clock.advance(minutes=3)
    log.correct_check_in(patient, entry.value.id, expected_version=1, pain_now=6,
                         worst_24h=8, psfs={acts[0].id: 3}, note="meant 6")
    log.correct_check_in(patient, entry.value.id, expected_version=2, pain_now=5,
                         worst_24h=8, note="meant 5")
    log.check_in(patient, patient.id, pain_now=4)
    log.add_milestone(patient, patient.id, text="Walked 30 minutes")
    log.answer_odi(patient, patient.id, [1, 2, None, 0, 1, 2, 3, 1, 0, 1])
    log.answer_pgic(patient, patient.id, 3)
    log.load(therapist, patient.id, "read:progress")  # leaves an audit event
    return Filled(patient, therapist, entry.value.id)


@pytest.fixture
def fresh(clock: FakeClock) -> Iterator[Services]:
    built = build_services(FAST_SETTINGS, MemoryStore(), clock=clock)
    yield built
    built.close()


def versions(services: Services, owner: str) -> list[dict[str, Any]]:
    """Every stored version, account versions without their password hash."""
    out = [r.to_json() for r in services.store.owner_history(owner)]
    for record in out:
        if record["kind"] == "account":
            record["data"] = {**record["data"], "password_hash": "(left out)"}
    return out


def test_export_then_import_into_a_fresh_store_is_identical(
        services: Services, filled: Filled, fresh: Services) -> None:
    text = services.portability.export_json(filled.patient, filled.patient.email)
    result = fresh.portability.import_json(text)
    email, added = result.email, result.added
    assert email == filled.patient.email
    assert result.left_out == {}
    original = versions(services, filled.patient.id)
    assert added == len(original)
    assert versions(fresh, filled.patient.id) == original
    # The corrected entry keeps all three versions with their original values.
    history = fresh.logbook.check_in_history(filled.patient, filled.corrected_id)
    assert [(h.version, h.value.pain_now, h.value.note) for h in history] == [
        (1, 7, "ouch ✓"), (2, 6, "meant 6"), (3, 5, "meant 5")]
    assert history == services.logbook.check_in_history(filled.patient, filled.corrected_id)


def test_imported_record_loads_the_same_once_the_operator_sets_a_password(
        services: Services, filled: Filled, fresh: Services) -> None:
    text = services.portability.export_json(filled.patient, filled.patient.email)
    fresh.portability.import_json(text)
    # The file carried no password: nobody can sign in as the patient yet...
    for attempt in (PASSWORD, ""):
        with pytest.raises(SignInFailed):
            fresh.auth.sign_in(filled.patient.email, attempt)
    # ...until the operator sets one.
    fresh.accounts.set_password(filled.patient.email, "a-new-password")
    signed = fresh.auth.sign_in(filled.patient.email, "a-new-password").account
    assert replace(signed, password_hash="") == replace(filled.patient, password_hash="")
    before = services.logbook.load(filled.patient, filled.patient.id)
    after = fresh.logbook.load(filled.patient, filled.patient.id)
    assert replace(after, patient=before.patient) == before


def test_an_export_never_carries_the_password_hash(services: Services,
                                                   filled: Filled) -> None:
    services.accounts.set_password(filled.patient.email, "second-password")  # 2 versions
    text = services.portability.export_json(None, filled.patient.email)
    accounts = [r for r in json.loads(text)["records"] if r["kind"] == "account"]
    assert [r["version"] for r in accounts] == [1, 2]
    assert all(r["data"]["password_hash"] == "" for r in accounts)
    assert "$argon2" not in text


def test_an_import_keeps_the_password_already_in_the_store(services: Services,
                                                           filled: Filled) -> None:
    """A tampered export with a hash of the attacker's choosing changes no password."""
    mallory = services.accounts.create("m@example.com", "M", "mallory-test-pw", Role.PATIENT)
    document = exported(services, filled)
    [own] = [r for r in document["records"] if r["kind"] == "account"]
    document["records"].append({**own, "version": own["version"] + 1, "data": {
        **own["data"], "password_hash": mallory.password_hash}})
    assert services.portability.import_json(json.dumps(document)).added == 0
    with pytest.raises(SignInFailed):
        services.auth.sign_in(filled.patient.email, "mallory-test-pw")
    assert services.auth.sign_in(filled.patient.email, PASSWORD).account.id == \
        filled.patient.id


def test_set_password_checks_the_password_and_the_account(services: Services,
                                                          filled: Filled) -> None:
    with pytest.raises(InvalidInput, match="at least"):
        services.accounts.set_password(filled.patient.email, "short")
    with pytest.raises(NotFound):
        services.accounts.set_password("nobody@example.com", "long-enough-pw")
    assert services.auth.sign_in(filled.patient.email, PASSWORD)  # unchanged


def test_import_is_idempotent(services: Services, filled: Filled, fresh: Services) -> None:
    text = services.portability.export_json(filled.patient, filled.patient.email)
    fresh.portability.import_json(text)
    once = versions(fresh, filled.patient.id)
    assert fresh.portability.import_json(text).added == 0
    assert versions(fresh, filled.patient.id) == once
    # Importing into the store it came from adds nothing either.
    assert services.portability.import_json(text).added == 0


def test_export_document_shape(services: Services, filled: Filled) -> None:
    document = json.loads(services.portability.export_json(None, "ALEX@example.com"))
    assert document["format"] == EXPORT_FORMAT
    assert document["format_version"] == 1
    assert document["patient"] == {"id": filled.patient.id, "email": "alex@example.com",
                                   "name": "Alex Morgan"}
    kinds = {r["kind"] for r in document["records"]}
    assert {"account", "check_in", "needling_session", "soreness", "psfs_activity",
            "milestone", "odi", "pgic", "grant", "audit"} <= kinds
    assert all(r["owner"] == filled.patient.id for r in document["records"])
    assert PASSWORD not in json.dumps(document)
    assert "$argon2" not in json.dumps(document)


def test_export_of_unknown_email_is_not_found(services: Services) -> None:
    with pytest.raises(NotFound):
        services.portability.export_json(None, "ghost@example.com")


def test_therapist_export_needs_a_grant_and_is_audited(services: Services,
                                                       filled: Filled) -> None:
    stranger = services.accounts.create("other@example.com", "Other", PASSWORD,
                                        Role.THERAPIST)
    with pytest.raises(NotAllowed):
        services.portability.export_json(stranger, filled.patient.email)
    services.portability.export_json(filled.therapist, filled.patient.email)
    trail = services.access.audit_trail(filled.patient, filled.patient.id)
    assert (filled.therapist.id, "export:json") in {(e.actor_id, e.action) for e in trail}
    assert stranger.id not in {e.actor_id for e in trail}


def test_another_patient_cannot_export(services: Services, filled: Filled) -> None:
    blair = services.accounts.create("blair@example.com", "Blair", PASSWORD, Role.PATIENT)
    with pytest.raises(NotAllowed):
        services.portability.export_json(blair, filled.patient.email)


# -- refusing files that are not a faithful export ----------------------------------


def exported(services: Services, filled: Filled) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        services.portability.export_json(None, filled.patient.email))
    return document


def refused(target: Services, text: str) -> dict[str, str]:
    before = len(target.store.find(Query("account")))
    with pytest.raises(InvalidInput) as caught:
        target.portability.import_json(text)
    assert set(caught.value.problems) == {"file"}
    assert len(target.store.find(Query("account"))) == before
    return caught.value.problems


def test_non_json_is_refused(fresh: Services) -> None:
    refused(fresh, "this is a spreadsheet, not JSON")


@pytest.mark.parametrize("document", [[], {"hello": "world"}, {"format": "fhir-bundle"},
                                      "backtrack"])
def test_foreign_json_is_refused(fresh: Services, document: object) -> None:
    refused(fresh, json.dumps(document))


def test_newer_format_version_is_refused(services: Services, filled: Filled,
                                         fresh: Services) -> None:
    document = exported(services, filled)
    document["format_version"] = 99
    assert "newer" in refused(fresh, json.dumps(document))["file"]


def test_records_of_another_patient_mixed_in_are_refused(services: Services, filled: Filled,
                                                         fresh: Services) -> None:
    document = exported(services, filled)
    document["records"][-1]["owner"] = "someone-else"
    refused(fresh, json.dumps(document))
    assert fresh.store.owner_history(filled.patient.id) == []


@pytest.mark.parametrize("damage", ["no-kind", "bad-version", "records-not-list"])
def test_damaged_records_are_refused(services: Services, filled: Filled, fresh: Services,
                                     damage: str) -> None:
    document = exported(services, filled)
    if damage == "no-kind":
        del document["records"][0]["kind"]
    elif damage == "bad-version":
        document["records"][0]["version"] = "two"
    else:
        document["records"] = None
    refused(fresh, json.dumps(document))
    assert fresh.store.owner_history(filled.patient.id) == []


def test_email_taken_by_a_different_account_is_refused(services: Services, filled: Filled,
                                                       fresh: Services) -> None:
    fresh.accounts.create(filled.patient.email, "Impostor", PASSWORD, Role.PATIENT)
    refused(fresh, services.portability.export_json(None, filled.patient.email))
    assert fresh.store.owner_history(filled.patient.id) == []


def test_export_without_patient_block_is_refused(services: Services, filled: Filled,
                                                 fresh: Services) -> None:
    document = exported(services, filled)
    del document["patient"]
    refused(fresh, json.dumps(document))


def test_tampered_export_cannot_overwrite_clinic_records(services: Services, filled: Filled,
                                                         fresh: Services) -> None:
    admin = fresh.accounts.create("admin@example.com", "Sam", PASSWORD, Role.ADMIN)
    fresh.clinic.update(admin, name="Riverside", phone="+1 555 0100", emergency_number="911")
    document = exported(services, filled)
    document["records"].append({
        "kind": "clinic_settings", "id": "clinic", "version": 2,
        "owner": filled.patient.id, "saved_at": "2025-03-10T12:00:00+00:00",
        "deleted": False,
        "data": {"id": "clinic", "name": "Riverside", "phone": "+1 555 0100",
                 "emergency_number": "000-not-a-number"},
    })
    try:
        refused(fresh, json.dumps(document))
    finally:
        assert fresh.clinic.current().emergency_number == "911"


def test_tampered_export_cannot_take_over_another_account(services: Services, filled: Filled,
                                                          fresh: Services) -> None:
    admin = fresh.accounts.create("admin@example.com", "Sam", "admin-only-pw", Role.ADMIN)
    document = exported(services, filled)
    [own] = [r for r in document["records"] if r["kind"] == "account"]
    document["records"].append({
        **own, "id": admin.id, "version": 2,
        "data": {**own["data"], "id": admin.id, "email": admin.email, "role": "admin"},
    })
    try:
        refused(fresh, json.dumps(document))
    finally:
        assert fresh.accounts.get(admin.id) == admin


def test_tampered_values_are_refused(services: Services, filled: Filled,
                                     fresh: Services) -> None:
    document = exported(services, filled)
    for record in document["records"]:
        if record["kind"] == "check_in":
            record["data"]["pain_now"] = 42
    refused(fresh, json.dumps(document))
    assert fresh.store.owner_history(filled.patient.id) == []


def test_grants_to_absent_clinicians_do_not_break_sharing(services: Services, filled: Filled,
                                                          fresh: Services) -> None:
    fresh.portability.import_json(
        services.portability.export_json(None, filled.patient.email))
    assert fresh.access.granted_clinicians(filled.patient.id) == []


# -- an import never changes who an existing account is (issue 9) -------------------


def account_versions(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in document["records"] if r["kind"] == "account"]


def test_a_file_naming_an_existing_patient_with_another_email_is_refused(
        services: Services, filled: Filled) -> None:
    """The takeover: the patient's id (visible to clinicians in /progress?patient=ID),
    a new email and a higher version would have replaced the account."""
    document = exported(services, filled)
    own = account_versions(document)[-1]
    document["patient"]["email"] = "mallory@example.com"
    document["records"].append({**own, "version": own["version"] + 1, "data": {
        **own["data"], "email": "mallory@example.com"}})
    problem = refused(services, json.dumps(document))["file"]
    assert "email" in problem
    assert services.accounts.get(filled.patient.id) == filled.patient
    assert services.accounts.by_email("mallory@example.com") is None
    with pytest.raises(NotFound):
        services.accounts.set_password("mallory@example.com", "attacker-password")


def test_an_import_does_not_change_an_existing_patients_account(
        services: Services, filled: Filled) -> None:
    """Same id and email, but a new name, role and 'inactive': left out, the account
    here stays exactly as it is."""
    document = exported(services, filled)
    own = account_versions(document)[-1]
    document["records"].append({**own, "version": own["version"] + 1, "data": {
        **own["data"], "name": "Someone Else", "active": False}})
    result = services.portability.import_json(json.dumps(document))
    assert result.added == 0
    assert result.left_out
    assert services.accounts.get(filled.patient.id) == filled.patient


def test_an_import_cannot_share_an_existing_patient_with_another_clinician(
        services: Services, filled: Filled) -> None:
    mallory = services.accounts.create("mal@example.com", "Mal", PASSWORD, Role.THERAPIST)
    document = exported(services, filled)
    [grant] = [r for r in document["records"] if r["kind"] == "grant"]
    document["records"].append({**grant, "id": "forged-grant", "data": {
        **grant["data"], "id": "forged-grant", "clinician_id": mallory.id}})
    services.portability.import_json(json.dumps(document))
    assert not services.access.may_read(mallory, filled.patient.id)
    assert [c.id for c in services.access.granted_clinicians(filled.patient.id)] == [
        filled.therapist.id]


def test_a_file_naming_a_clinic_account_is_refused(services: Services, filled: Filled,
                                                   fresh: Services) -> None:
    """The patient block names the therapist's id and email: not a patient to add to."""
    document = exported(services, filled)
    document["patient"] = {"id": filled.therapist.id, "email": filled.therapist.email,
                           "name": "T"}
    for record in document["records"]:
        record["owner"] = filled.therapist.id
    refused(services, json.dumps(document))
    assert services.accounts.get(filled.therapist.id) == filled.therapist


# -- every imported record is the importing patient's own (issue 9) ------------------


def test_a_record_whose_data_names_another_id_is_refused(services: Services, filled: Filled,
                                                         clock: FakeClock) -> None:
    """A check-in filed under a fresh record id but carrying another patient's entry id
    in its data took that entry over on the next correction."""
    blair = services.accounts.create("blair@example.com", "Blair", PASSWORD, Role.PATIENT)
    theirs = services.logbook.check_in(blair, blair.id, pain_now=3).value
    document = exported(services, filled)
    [mine] = [r for r in document["records"]
              if r["kind"] == "check_in" and r["id"] != filled.corrected_id]
    document["records"].append({**mine, "id": "fresh-id", "data": {
        **mine["data"], "id": theirs.id}})
    problem = refused(services, json.dumps(document))["file"]
    assert "fresh-id" in problem
    assert services.store.latest("check_in", "fresh-id") is None
    assert services.logbook.load(blair, blair.id).check_ins[0].value == theirs


def test_a_record_reusing_another_patients_record_id_is_refused(
        services: Services, filled: Filled) -> None:
    blair = services.accounts.create("blair@example.com", "Blair", PASSWORD, Role.PATIENT)
    theirs = services.logbook.check_in(blair, blair.id, pain_now=3).value
    document = exported(services, filled)
    [mine] = [r for r in document["records"]
              if r["kind"] == "check_in" and r["id"] != filled.corrected_id]
    document["records"].append({**mine, "id": theirs.id, "version": 2, "data": {
        **mine["data"], "id": theirs.id}})
    refused(services, json.dumps(document))
    assert services.store.latest("check_in", theirs.id).version == 1  # type: ignore[union-attr]


def test_reminder_preferences_for_another_patient_are_refused(
        services: Services, filled: Filled) -> None:
    blair = services.accounts.create("blair@example.com", "Blair", PASSWORD, Role.PATIENT)
    document = exported(services, filled)
    document["records"].append({
        "kind": "reminder_prefs", "id": blair.id, "version": 1, "owner": filled.patient.id,
        "saved_at": "2025-03-10T12:00:00+00:00", "deleted": False,
        "data": {"id": blair.id, "daily_check_in": False, "check_in_time": "19:00",
                 "session_follow_ups": False, "quiet_from": "22:00",
                 "quiet_until": "07:00"}})
    refused(services, json.dumps(document))


# -- imports validated like screens (issue 9) -----------------------------------------


def of_kind(document: dict[str, Any], kind: str) -> dict[str, Any]:
    """The first record of a kind in an export (tests change it in place)."""
    found: dict[str, Any] = next(r for r in document["records"] if r["kind"] == kind)
    return found


def with_assessment(services: Services, filled: Filled) -> dict[str, Any]:
    from app.domain.guidance import parse_report

    report = parse_report({"hours_since_needling": 20, "needled_regions": ["lumbar"],
                           "soreness_now": 4, "soreness_trend": "better", "pain_now": 3,
                           "pain_usual": 4, "symptoms": []})
    services.guidance.assess(filled.patient, filled.patient.id, report)
    return exported(services, filled)


def set_in(document: dict[str, Any], kind: str, key: str, value: object) -> None:
    of_kind(document, kind)["data"][key] = value


DAMAGE: dict[str, Any] = {
    # A time without a zone made Progress and the report crash.
    "time-without-zone": lambda d: set_in(d, "check_in", "recorded_at", "2025-03-09T10:00:00"),
    "year-1": lambda d: set_in(d, "check_in", "recorded_at", "0001-01-01T00:00:00+00:00"),
    "future": lambda d: set_in(d, "pgic", "recorded_at", "2099-01-01T00:00:00+00:00"),
    "milestone-in-2099": lambda d: set_in(d, "milestone", "achieved_on", "2099-01-01"),
    "score-as-text": lambda d: set_in(d, "check_in", "pain_now", "7"),
    "score-as-true": lambda d: set_in(d, "pgic", "rating", True),
    "huge-score": lambda d: set_in(d, "soreness", "soreness", 10 ** 400),
    "note-as-number": lambda d: set_in(d, "check_in", "note", 5),
    "regions-as-text": lambda d: set_in(d, "needling_session", "regions", "lumbar"),
    "unknown-region": lambda d: set_in(d, "needling_session", "regions", ["elbow"]),
    "no-region": lambda d: set_in(d, "needling_session", "regions", []),
    "worst-below-now": lambda d: set_in(d, "check_in", "worst_24h", 0),
    "odi-short": lambda d: set_in(d, "odi", "sections", [1, 2]),
    "unknown-key": lambda d: set_in(d, "milestone", "colour", "red"),
    "missing-key": lambda d: of_kind(d, "soreness")["data"].pop("soreness"),
    "5-MB-name": lambda d: set_in(d, "account", "name", "A" * 5_000_000),
    "5-MB-note": lambda d: set_in(d, "milestone", "note", "n" * 5_000_000),
    "bad-email": lambda d: set_in(d, "account", "email", "not an email"),
    "bad-zone": lambda d: set_in(d, "account", "timezone", "Mars/Olympus"),
    "long-zone": lambda d: set_in(d, "account", "timezone", "Z" * 300),
    "clinic-role": lambda d: set_in(d, "account", "role", "admin"),
    "unknown-role": lambda d: set_in(d, "account", "role", "superuser"),
    "audit-role": lambda d: set_in(d, "audit", "actor_role", "<script>"),
    "soreness-of-no-session": lambda d: set_in(d, "soreness", "session_id", "no-such-session"),
    "rating-of-no-activity": lambda d: set_in(d, "check_in", "psfs", {"nope": 3}),
    "version-0": lambda d: of_kind(d, "check_in").update(version=0),
    "version-minus-1": lambda d: of_kind(d, "milestone").update(version=-1),
    "version-as-text": lambda d: of_kind(d, "milestone").update(version="1"),
    "deleted-as-text": lambda d: of_kind(d, "milestone").update(deleted="false"),
    "saved-at-without-zone": lambda d: of_kind(d, "pgic").update(saved_at="2025-03-09T10:00"),
    "huge-id": lambda d: of_kind(d, "pgic").update(id="x" * 10_000),
    "extra-record-key": lambda d: of_kind(d, "pgic").update(colour="red"),
    "duplicate-version": lambda d: d["records"].append(dict(of_kind(d, "pgic"))),
    "guidance-level": lambda d: of_kind(d, "guidance_assessment")["data"]["result"].update(
        level="bogus"),
    "guidance-reasons": lambda d: of_kind(d, "guidance_assessment")["data"]["result"].update(
        reasons="none"),
    "guidance-input": lambda d: of_kind(d, "guidance_assessment")["data"].update(
        input={"pain_now": 99}),
    "guidance-time": lambda d: of_kind(d, "guidance_assessment")["data"].update(
        assessed_at="yesterday"),
    "prefs-time": lambda d: d["records"].append({
        "kind": "reminder_prefs", "id": d["patient"]["id"], "version": 1,
        "owner": d["patient"]["id"], "saved_at": "2025-03-10T12:00:00+00:00",
        "deleted": False, "data": {"id": d["patient"]["id"], "check_in_time": ["19:00"]}}),
    "format-version-true": lambda d: d.update(format_version=True),
    "unknown-top-level-key": lambda d: d.update(extra=1),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_every_imported_value_is_checked_like_a_save_from_the_screens(
        services: Services, filled: Filled, fresh: Services, damage: str) -> None:
    document = with_assessment(services, filled)
    DAMAGE[damage](document)
    problem = refused(fresh, json.dumps(document))["file"]
    assert "Nothing was imported" in problem or "not a BackTrack" in problem
    assert fresh.store.owner_history(filled.patient.id) == []


def test_the_refusal_names_the_record_and_the_field(services: Services, filled: Filled,
                                                    fresh: Services) -> None:
    document = exported(services, filled)
    check_in = of_kind(document, "check_in")
    check_in["data"]["pain_now"] = 42
    problem = refused(fresh, json.dumps(document))["file"]
    number = document["records"].index(check_in) + 1
    assert problem.startswith(f"Record {number} (check_in {check_in['id']}, version 1), "
                              "pain_now: Pain now must be from 0 to 10")


def test_a_sharing_code_is_never_imported(services: Services, filled: Filled,
                                          fresh: Services, clock: FakeClock) -> None:
    """A code dated 2099 would have opened the record to anyone holding it for ever."""
    code = services.access.create_invite(filled.patient)
    document = exported(services, filled)
    of_kind(document, "invite")["data"]["created_at"] = "2099-01-01T00:00:00+00:00"
    refused(fresh, json.dumps(document))
    document = exported(services, filled)
    result = fresh.portability.import_json(json.dumps(document))
    assert result.left_out == {"invite": 1}
    therapist = fresh.accounts.create("t@example.com", "T", PASSWORD, Role.THERAPIST)
    with pytest.raises(InvalidInput):
        fresh.access.redeem_invite(therapist, code)


def test_after_an_import_every_screen_and_the_report_still_work(
        services: Services, filled: Filled, fresh: Services) -> None:
    from app.services.report import progress_report_html
    from app.services.spreadsheet import export_csv_zip

    document = with_assessment(services, filled)
    fresh.portability.import_json(json.dumps(document))
    fresh.accounts.set_password(filled.patient.email, "a-new-password")
    patient = fresh.accounts.get(filled.patient.id)
    summary, figures = fresh.progress.progress(patient, patient.id)
    assert figures and summary == services.progress.summary(filled.patient, patient.id)
    assert "<!doctype html>" in progress_report_html(fresh.exports, patient.email, patient)
    assert export_csv_zip(fresh.logbook, patient, patient.id).startswith(b"PK")
    [past] = fresh.guidance.history(patient, patient.id)
    assert past.assessment == services.guidance.history(filled.patient,
                                                        patient.id)[0].assessment


# -- malformed files: one refusal, nothing written (issue 9) -----------------------------


@pytest.mark.parametrize(("text", "says"), [
    (b"\xff\xfe{", "not UTF-8"),
    ("[" * 1000 + "]" * 1000, "nested"),
    ("[" * 100_000 + "]" * 100_000, "nested"),
    ('{"format": "backtrack.patient-export", "x": ' + "[" * 40 + "]" * 40 + "}", "nested"),
    ('{"format": NaN}', "NaN"),
    ('{"format": ' + "9" * 5000 + "}", "digits"),
    ('{"format": 1, "format": 2}', "twice"),
    ("", "not JSON"),
])
def test_a_malformed_file_gets_one_refusal(fresh: Services, text: str | bytes,
                                           says: str) -> None:
    before = fresh.store.find(Query("account"))
    with pytest.raises(InvalidInput) as caught:
        fresh.portability.import_json(text)
    assert set(caught.value.problems) == {"file"}
    assert says in caught.value.problems["file"]
    assert fresh.store.find(Query("account")) == before


def test_a_huge_file_is_refused_before_it_is_parsed(fresh: Services,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from app.services import import_envelope  # steps 1-4 (import_checks re-exports them)

    monkeypatch.setattr(import_envelope, "MAX_IMPORT_BYTES", 1000)
    with pytest.raises(InvalidInput, match="larger than"):
        fresh.portability.import_json(b" " * 1001)
    with pytest.raises(InvalidInput, match="larger than"):
        fresh.portability.import_json(" " * 1001)


def test_an_import_cannot_write_into_an_existing_patients_audit_trail(
        services: Services, filled: Filled) -> None:
    """The audit trail says which clinician of this clinic read the record: only this
    clinic writes it. A file could otherwise blame a clinician for a read they never did."""
    other = services.accounts.create("o@example.com", "O", PASSWORD, Role.THERAPIST)
    document = exported(services, filled)
    audit = of_kind(document, "audit")
    document["records"].append({**audit, "id": "forged-read", "data": {
        **audit["data"], "id": "forged-read", "actor_id": other.id}})
    result = services.portability.import_json(json.dumps(document))
    assert result.left_out == {"audit": 1}
    trail = services.access.audit_trail(filled.patient, filled.patient.id)
    assert other.id not in {e.actor_id for e in trail}


def test_a_new_patients_password_hash_from_the_file_is_never_used(
        services: Services, filled: Filled, fresh: Services) -> None:
    """A file that carries a hash of the sender's choosing does not let anyone sign in."""
    document = exported(services, filled)
    stored = services.accounts.get(filled.patient.id).password_hash
    for record in account_versions(document):
        record["data"]["password_hash"] = stored
    fresh.portability.import_json(json.dumps(document))
    with pytest.raises(SignInFailed):
        fresh.auth.sign_in(filled.patient.email, PASSWORD)
    assert fresh.accounts.get(filled.patient.id).password_hash == ""


def test_an_import_cannot_give_a_patient_more_activities_than_the_screens_allow(
        services: Services, filled: Filled, fresh: Services) -> None:
    document = exported(services, filled)
    activity = of_kind(document, "psfs_activity")
    for n in range(3):
        document["records"].append({**activity, "id": f"extra-{n}", "data": {
            **activity["data"], "id": f"extra-{n}", "name": f"Extra {n}"}})
    assert "at most 5" in refused(fresh, json.dumps(document))["file"]
    del document["records"][-1]
    assert fresh.portability.import_json(json.dumps(document)).added > 0  # 5 is fine


def test_a_record_whose_versions_skip_a_number_is_refused(
        services: Services, filled: Filled, fresh: Services) -> None:
    """The store will not open over a gap in a record's versions (1, 3)."""
    document = exported(services, filled)
    document["records"] = [r for r in document["records"]
                           if not (r["id"] == filled.corrected_id and r["version"] == 2)]
    problem = refused(fresh, json.dumps(document))["file"]
    assert filled.corrected_id in problem and "no version 2" in problem


# -- follow-ups on urgent answers travel with the record --------------------------------


def with_urgent_answer(services: Services, filled: Filled) -> str:
    """An emergency answer, the patient's follow-up and the therapist's acknowledgement."""
    from app.domain.guidance import parse_report

    report = parse_report({"hours_since_needling": 20, "needled_regions": ["thoracic"],
                           "soreness_now": 4, "soreness_trend": "same", "pain_now": 4,
                           "pain_usual": 4, "symptoms": ["shortness_of_breath"]})
    _, record = services.guidance.assess(filled.patient, filled.patient.id, report)
    services.followups.record(filled.patient, filled.patient.id, record.id,
                              got_help="clinic", feeling="better", note="called them")
    services.followups.acknowledge(filled.therapist, filled.patient.id, record.id,
                                   note="Spoke to Alex")
    return record.id


def test_follow_ups_and_acknowledgements_round_trip(services: Services, filled: Filled,
                                                    fresh: Services) -> None:
    with_urgent_answer(services, filled)
    result = fresh.portability.import_json(
        services.portability.export_json(None, filled.patient.email))
    assert result.left_out == {}
    assert versions(fresh, filled.patient.id) == versions(services, filled.patient.id)
    [answer] = fresh.followups.answers(filled.patient, filled.patient.id)
    assert [f.note for f in answer.follow_ups] == ["called them"]
    assert answer.acknowledgement is not None
    assert answer.acknowledgement.note == "Spoke to Alex"


@pytest.mark.parametrize("damage", ["got-help", "other-answer", "ack-of-no-answer",
                                    "long-clinician-name"])
def test_a_damaged_follow_up_or_acknowledgement_is_refused(
        services: Services, filled: Filled, fresh: Services, damage: str) -> None:
    with_urgent_answer(services, filled)
    document = exported(services, filled)
    follow_up = of_kind(document, "guidance_follow_up")["data"]
    ack = of_kind(document, "guidance_acknowledgement")
    if damage == "got-help":
        follow_up["got_help"] = "maybe"
    elif damage == "other-answer":
        follow_up["assessment_id"] = "no-such-answer"
    elif damage == "ack-of-no-answer":
        ack["id"] = ack["data"]["id"] = "no-such-answer"
    else:
        ack["data"]["clinician_name"] = "T" * 500
    refused(fresh, json.dumps(document))
    assert fresh.store.owner_history(filled.patient.id) == []


def test_an_import_cannot_add_an_acknowledgement_to_an_existing_patient(
        services: Services, filled: Filled) -> None:
    """'Taylor saw this and acted' is the clinic's own statement: a file cannot make it."""
    answer_id = with_urgent_answer(services, filled)
    document = exported(services, filled)
    ack = of_kind(document, "guidance_acknowledgement")
    document["records"].append({**ack, "version": ack["version"] + 1, "data": {
        **ack["data"], "note": "Nothing to worry about"}})
    result = services.portability.import_json(json.dumps(document))
    assert result.left_out == {"guidance_acknowledgement": 1}
    [answer] = services.followups.answers(filled.patient, filled.patient.id)
    assert answer.answer.record_id == answer_id
    assert answer.acknowledgement is not None
    assert answer.acknowledgement.note == "Spoke to Alex"


def test_every_demo_patients_export_imports_into_an_empty_clinic_unchanged() -> None:
    """Whatever kinds of record the app writes for a patient (new ones too), its own
    export must import: the demo clinic uses every screen's kind of record."""
    from app.main import seed_demo_if_empty

    source = build_services(FAST_SETTINGS, MemoryStore())
    target = build_services(FAST_SETTINGS, MemoryStore())
    try:
        assert seed_demo_if_empty(source, lambda _: None)
        for patient in source.accounts.with_role(Role.PATIENT):
            text = source.portability.export_json(None, patient.email)
            assert target.portability.import_json(text).added == \
                len(json.loads(text)["records"])
            assert target.portability.export_json(None, patient.email) \
                .split('"records"')[1] == text.split('"records"')[1]
    finally:
        source.close()
        target.close()


def test_a_patient_with_reminders_and_a_calendar_feed_still_moves_clinic(
        services: Services, filled: Filled, fresh: Services, clock: FakeClock) -> None:
    """Reminder records and the calendar feed token are the patient's (issue 13), but the
    import has no checks for them: the registry (app.domain.kinds) keeps them out of the
    export, so the file still imports whole. Before it, the export held them and every such
    patient's file was refused ("not a kind of record BackTrack exports")."""
    from datetime import date

    from app.domain.reminder_plan import Repeat, Schedule, Template
    from app.services.calendar_feed import CalendarFeedService
    from tests.services.reminder_helpers import LINKS, reminder_services

    reminders, _ = reminder_services(services, clock)
    reminders.schedule(filled.therapist, filled.patient.id, template=Template.HOME_EXERCISE,
                       schedule=Schedule(Repeat.DAILY, date(2025, 3, 10), "19:00"))
    CalendarFeedService(services.store, reminders, LINKS, clock).turn_on(
        filled.patient, filled.patient.id)
    document = json.loads(services.portability.export_json(None, filled.patient.email))
    result = fresh.portability.import_json(json.dumps(document))
    assert result.added == len(document["records"])
    assert not {"reminder", "calendar_feed"} & {r["kind"] for r in document["records"]}
