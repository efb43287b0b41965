"""The policy table on its own (tests/services/test_policy_matrix.py walks it through the
real services)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.accounts import Role
from app.domain.errors import NotAllowed
from app.domain.policy import (
    SCOPES,
    TABLE,
    Operation,
    Relation,
    Scope,
    allows,
    audited,
    operation_for,
    require,
    roles_allowed,
    table_markdown,
)

PATIENT_RECORD_RELATIONS = (Relation.OWN, Relation.SHARED, Relation.NOT_SHARED)


def test_every_operation_has_a_row() -> None:
    assert set(TABLE) == set(Operation)


@pytest.mark.parametrize("operation", list(Operation))
def test_nobody_touches_a_record_that_was_not_shared_with_them(operation: Operation) -> None:
    for role in Role:
        assert not allows(role, operation, Relation.NOT_SHARED)


@pytest.mark.parametrize("operation", [o for o in Operation if o.is_read])
def test_an_admin_never_reads_health_data(operation: Operation) -> None:
    for relation in Relation:
        assert not allows(Role.ADMIN, operation, relation)


def test_a_patient_never_gets_a_shared_relation() -> None:
    for operation in Operation:
        assert not allows(Role.PATIENT, operation, Relation.SHARED)


def test_clinicians_read_shared_records_and_those_reads_are_audited() -> None:
    for role in (Role.THERAPIST, Role.CARE_TEAM):
        for operation in (Operation.READ_PROGRESS, Operation.READ_GUIDANCE,
                          Operation.READ_LOGGING, Operation.EXPORT):
            assert allows(role, operation, Relation.SHARED)
            assert audited(operation, Relation.SHARED)
            assert not audited(operation, Relation.OWN)
    assert not audited(Operation.WRITE_ENTRY, Relation.SHARED)


def test_the_patients_own_decisions_stay_theirs() -> None:
    for operation in (Operation.SHARE, Operation.UNSHARE, Operation.CREATE_SHARING_CODE,
                      Operation.READ_AUDIT_TRAIL, Operation.READ_SHARING,
                      Operation.RESPOND_REMINDER, Operation.CHOOSE_CHANNELS,
                      Operation.REMEMBER_RISK_FACTORS):
        allowed = {(role, relation) for role in Role for relation in Relation
                   if allows(role, operation, relation)}
        assert allowed == {(Role.PATIENT, Relation.OWN)}, operation


def test_clinic_settings_and_new_accounts_are_the_admins() -> None:
    for operation in (Operation.MANAGE_CLINIC, Operation.CREATE_ACCOUNT):
        allowed = {role for role in Role for relation in Relation
                   if allows(role, operation, relation)}
        assert allowed == {Role.ADMIN}


def test_the_narrow_scope_opens_the_reminders_side_only() -> None:
    """"Reminders and logging only": whether they logged and answered, never what they
    logged. READ_LOGGING is the check-ins themselves, pain scores and notes included."""
    narrow = Scope.REMINDERS_AND_LOGGING
    for role in (Role.THERAPIST, Role.CARE_TEAM):
        opened = {o for o in Operation if allows(role, o, Relation.SHARED, narrow)}
        assert opened == {Operation.READ_REMINDERS, Operation.SCHEDULE_REMINDERS}, role
    for closed in (Operation.READ_LOGGING, Operation.READ_PROGRESS, Operation.READ_GUIDANCE,
                   Operation.EXPORT, Operation.WRITE_ENTRY, Operation.RECORD_SESSION,
                   Operation.ASSESS, Operation.ACKNOWLEDGE):
        assert not allows(Role.CARE_TEAM, closed, Relation.SHARED, narrow), closed
        assert allows(Role.CARE_TEAM, closed, Relation.SHARED, Scope.FULL), closed
    # The scope narrows a grant only: the patient's own record is theirs whatever it says.
    for operation in Operation:
        assert allows(Role.PATIENT, operation, Relation.OWN, narrow) == \
            allows(Role.PATIENT, operation, Relation.OWN)
    assert set(SCOPES) == set(Scope)


def test_a_narrow_grant_says_so_when_it_refuses() -> None:
    with pytest.raises(NotAllowed, match="reminders and logging only"):
        require(Role.CARE_TEAM, Operation.READ_LOGGING, Relation.SHARED,
                Scope.REMINDERS_AND_LOGGING)
    with pytest.raises(NotAllowed, match="access to this patient"):
        require(Role.CARE_TEAM, Operation.READ_LOGGING, Relation.NOT_SHARED,
                Scope.REMINDERS_AND_LOGGING)


def test_each_role_gets_its_default_scope() -> None:
    assert Scope.default_for(Role.THERAPIST) is Scope.FULL
    assert Scope.default_for(Role.CARE_TEAM) is Scope.REMINDERS_AND_LOGGING


def test_what_a_route_offers_follows_the_table() -> None:
    assert roles_allowed(Operation.READ_PROGRESS) == {Role.PATIENT, Role.THERAPIST,
                                                      Role.CARE_TEAM}
    assert roles_allowed(Operation.WRITE_ENTRY) == {Role.PATIENT, Role.THERAPIST,
                                                    Role.CARE_TEAM}
    assert roles_allowed(Operation.SHARE) == {Role.PATIENT}
    assert roles_allowed(Operation.MANAGE_CLINIC) == {Role.ADMIN}
    assert roles_allowed(Operation.UPDATE_OWN_PROFILE) == set(Role)


def test_require_raises_not_allowed_with_words_for_people() -> None:
    with pytest.raises(NotAllowed, match="clinic admin"):
        require(Role.THERAPIST, Operation.MANAGE_CLINIC, Relation.NONE)
    with pytest.raises(NotAllowed, match="access to this patient"):
        require(Role.THERAPIST, Operation.READ_PROGRESS, Relation.NOT_SHARED)
    require(Role.THERAPIST, Operation.READ_PROGRESS, Relation.SHARED)


@pytest.mark.parametrize(("action", "operation"), [
    ("read:progress", Operation.READ_PROGRESS),
    ("read:guidance", Operation.READ_GUIDANCE),
    ("read:record", Operation.READ_LOGGING),
    ("read:history", Operation.READ_LOGGING),
    ("read:check_in", Operation.READ_LOGGING),
    ("export:json", Operation.EXPORT),
    ("export:report", Operation.EXPORT),
    ("read:reminders:read_plans", Operation.READ_REMINDERS),
])
def test_audit_actions_name_their_operation(action: str, operation: Operation) -> None:
    assert operation_for(action) is operation


def test_the_documented_table_is_the_table() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "policy.md").read_text("utf-8")
    assert table_markdown() in page, "docs/policy.md is stale: paste policy.table_markdown()"
