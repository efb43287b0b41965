"""Who may do what: one table of role × operation → the relations under which it is allowed.

Every service that reads or changes data asks `allows` (or `require`, which raises
NotAllowed) with the acting account's role, the operation and how the actor stands to
the patient whose record it touches (`Relation`). Nothing else decides access: routes only
hide what a role may never do, and services ask here.

- OWN: the actor is that patient (or, for account-level operations, that account).
- SHARED: the patient granted the actor access (only clinicians can be granted).
- NOT_SHARED: someone else's record that was not shared with the actor.
- NONE: the operation touches no patient's record (clinic settings, new accounts, a
  sharing code not yet redeemed).

A clinician's grant has a `Scope` the patient chooses per person: FULL ("everything",
the therapist's default) or REMINDERS_AND_LOGGING ("reminders and logging only", the care
team's default). `SCOPES` says what a SHARED relation opens under each, so a scope narrows
the table without another one. The narrow scope opens the reminders side only: reading
and scheduling reminders and whether the patient logged and answered them (the reminder
service reads check-in *times* under READ_REMINDERS, never scores). Check-ins with their
pain scores (READ_LOGGING), progress, "Is this normal?" answers, exports and every
change to the record stay closed.

Reads of someone else's record are audited: `audited` says which decisions must leave an
audit event (the services write it; AccessService.authorize does both in one call).
An operation's value is also the action written to the audit trail, so the trail reads the
same as before this table existed ("read:progress", "export:json", …).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from app.domain.accounts import Role, Scope
from app.domain.errors import NotAllowed


class Operation(StrEnum):
    # Reads of a patient's record (audited when the reader is not the patient).
    READ_LOGGING = "read:record"  # check-ins, sessions, soreness, activities, history
    READ_PROGRESS = "read:progress"
    READ_GUIDANCE = "read:guidance"
    READ_REMINDERS = "read:reminders"
    EXPORT = "export"  # a whole record as a file (JSON, CSV, report)
    READ_AUDIT_TRAIL = "read:audit"  # who read my record: the patient's own question
    READ_SHARING = "read:sharing"  # who may see my record: the patient's own question too
    # Changes to a patient's record.
    WRITE_ENTRY = "write:entry"  # check-ins, activities, milestones, questionnaires
    RECORD_SESSION = "write:session"
    ASSESS = "assess"  # "Is this normal?"
    REMEMBER_RISK_FACTORS = "write:risk_factors"
    ACKNOWLEDGE = "acknowledge"  # a clinician saw an urgent answer
    SCHEDULE_REMINDERS = "write:reminders"
    RESPOND_REMINDER = "respond:reminder"
    CHOOSE_CHANNELS = "write:reminder_channels"
    SHARE = "share"
    UNSHARE = "unshare"
    CREATE_SHARING_CODE = "create:sharing_code"
    # The patient erases their own account and everything they logged (issue 14).
    DELETE_OWN_ACCOUNT = "delete:own_account"
    # Not about one patient's record.
    REDEEM_SHARING_CODE = "redeem:sharing_code"
    UPDATE_OWN_PROFILE = "write:profile"
    MANAGE_CLINIC = "manage:clinic"
    CREATE_ACCOUNT = "create:account"
    RESET_TWO_STEP = "reset:two_step"  # a lost phone: the person sets it up again (issue 14)
    INVITE_STAFF = "invite:staff"  # invite, resend, withdraw a staff invitation (issue 14)
    INVITE_PATIENT = "invite:patient"  # the same for a patient's invitation
    MANAGE_ACCOUNTS = "manage:accounts"  # search, deactivate, change a role, reset link
    READ_ACCOUNT_LOG = "read:account_log"  # the clinic's Audit log (no health data)

    @property
    def is_read(self) -> bool:
        return self in _READS


_READS: Final = frozenset({Operation.READ_LOGGING, Operation.READ_PROGRESS,
                           Operation.READ_GUIDANCE, Operation.READ_REMINDERS,
                           Operation.EXPORT, Operation.READ_AUDIT_TRAIL,
                           Operation.READ_SHARING})


class Relation(StrEnum):
    OWN = "own"
    SHARED = "shared"
    NOT_SHARED = "not_shared"
    NONE = "none"


OWN, SHARED, NONE = Relation.OWN, Relation.SHARED, Relation.NONE
PATIENT, THERAPIST, CARE_TEAM, ADMIN = Role.PATIENT, Role.THERAPIST, Role.CARE_TEAM, Role.ADMIN
_CLINICIANS_SHARED: Final = {THERAPIST: {SHARED}, CARE_TEAM: {SHARED}}

# operation → role → the relations under which that role may do it. A role or relation
# not listed is refused. Admins manage the clinic and accounts but never read health data.
TABLE: Final[Mapping[Operation, Mapping[Role, set[Relation]]]] = {
    Operation.READ_LOGGING: {PATIENT: {OWN}, **_CLINICIANS_SHARED},
    Operation.READ_PROGRESS: {PATIENT: {OWN}, **_CLINICIANS_SHARED},
    Operation.READ_GUIDANCE: {PATIENT: {OWN}, **_CLINICIANS_SHARED},
    Operation.READ_REMINDERS: {PATIENT: {OWN}, **_CLINICIANS_SHARED},
    Operation.EXPORT: {PATIENT: {OWN}, **_CLINICIANS_SHARED},
    Operation.READ_AUDIT_TRAIL: {PATIENT: {OWN}},
    Operation.READ_SHARING: {PATIENT: {OWN}},
    # A clinician enters on the patient's behalf (e.g. in the clinic, on their tablet).
    Operation.WRITE_ENTRY: {PATIENT: {OWN}, **_CLINICIANS_SHARED},
    Operation.RECORD_SESSION: {PATIENT: {OWN}, **_CLINICIANS_SHARED},
    Operation.ASSESS: {PATIENT: {OWN}, **_CLINICIANS_SHARED},
    Operation.REMEMBER_RISK_FACTORS: {PATIENT: {OWN}},
    Operation.ACKNOWLEDGE: {**_CLINICIANS_SHARED},
    Operation.SCHEDULE_REMINDERS: {PATIENT: {OWN}, **_CLINICIANS_SHARED},
    Operation.RESPOND_REMINDER: {PATIENT: {OWN}},
    Operation.CHOOSE_CHANNELS: {PATIENT: {OWN}},
    Operation.SHARE: {PATIENT: {OWN}},
    Operation.UNSHARE: {PATIENT: {OWN}},
    Operation.CREATE_SHARING_CODE: {PATIENT: {OWN}},
    Operation.DELETE_OWN_ACCOUNT: {PATIENT: {OWN}},
    Operation.REDEEM_SHARING_CODE: {THERAPIST: {NONE}, CARE_TEAM: {NONE}},
    Operation.UPDATE_OWN_PROFILE: {role: {OWN} for role in Role},
    Operation.MANAGE_CLINIC: {ADMIN: {NONE}},
    Operation.CREATE_ACCOUNT: {ADMIN: {NONE}},
    Operation.RESET_TWO_STEP: {ADMIN: {NONE}},
    Operation.INVITE_STAFF: {ADMIN: {NONE}},
    Operation.INVITE_PATIENT: {THERAPIST: {NONE}, ADMIN: {NONE}},
    Operation.MANAGE_ACCOUNTS: {ADMIN: {NONE}},
    Operation.READ_ACCOUNT_LOG: {ADMIN: {NONE}},
}

# What a SHARED relation opens under each scope (None: everything the table allows).
# "Reminders and logging only": whether they logged and answered reminders, not what they
# logged. READ_LOGGING is the check-ins themselves, pain scores and notes included, so it
# is not here.
SCOPES: Final[Mapping[Scope, frozenset[Operation] | None]] = {
    Scope.FULL: None,
    Scope.REMINDERS_AND_LOGGING: frozenset({
        Operation.READ_REMINDERS, Operation.SCHEDULE_REMINDERS}),
}

_REFUSALS: Final[Mapping[Operation, str]] = {
    Operation.READ_AUDIT_TRAIL: "Only the patient sees who read their record.",
    Operation.READ_SHARING: "Only the patient sees who they share their record with.",
    Operation.REMEMBER_RISK_FACTORS: "Only the patient can change what their profile "
                                     "remembers.",
    Operation.ACKNOWLEDGE: "Only the patient's therapist or care team can acknowledge.",
    Operation.RESPOND_REMINDER: "Only the patient can do this.",
    Operation.CHOOSE_CHANNELS: "Only the patient can do this.",
    Operation.SHARE: "Only a patient can share their own data.",
    Operation.UNSHARE: "Only a patient can stop sharing their own data.",
    Operation.CREATE_SHARING_CODE: "Only a patient can make a sharing code.",
    Operation.DELETE_OWN_ACCOUNT: "Only the patient can delete their account and data.",
    Operation.REDEEM_SHARING_CODE: "Only a therapist or the care team can use a sharing "
                                   "code.",
    Operation.MANAGE_CLINIC: "Only a clinic admin can change clinic settings.",
    Operation.CREATE_ACCOUNT: "Only a clinic admin can create accounts.",
    Operation.RESET_TWO_STEP: "Only a clinic admin can reset two-step sign-in.",
    Operation.INVITE_STAFF: "Only a clinic admin can invite staff.",
    Operation.INVITE_PATIENT: "Only a therapist or a clinic admin can invite a patient.",
    Operation.MANAGE_ACCOUNTS: "Only a clinic admin can manage accounts.",
    Operation.READ_ACCOUNT_LOG: "Only a clinic admin can read the clinic's audit log.",
}
_DEFAULT_REFUSAL: Final = "You don't have access to this patient's data."
_NARROW_REFUSAL: Final = ("This patient shares reminders and logging only with you, not "
                          "their scores, notes or answers.")


def allows(role: Role, operation: Operation, relation: Relation,
           scope: Scope = Scope.FULL) -> bool:
    """Whether `role` may do `operation` on a record it stands to as `relation` (through
    a grant of `scope`, when the relation is SHARED)."""
    if relation not in TABLE[operation].get(role, set()):
        return False
    opened = SCOPES[scope]
    return relation is not Relation.SHARED or opened is None or operation in opened


def require(role: Role, operation: Operation, relation: Relation,
            scope: Scope = Scope.FULL) -> None:
    """`allows`, or NotAllowed with a message the person can read (a grant too narrow for
    the operation says so, rather than that nothing was shared)."""
    if allows(role, operation, relation, scope):
        return
    if allows(role, operation, relation):
        raise NotAllowed(_NARROW_REFUSAL)
    raise NotAllowed(_REFUSALS.get(operation, _DEFAULT_REFUSAL))


def roles_allowed(operation: Operation) -> frozenset[Role]:
    """The roles that may do `operation` on some record: what a route or a menu offers
    (whether this actor may do it on this patient's record is still `allows`)."""
    return frozenset(role for role, relations in TABLE[operation].items() if relations)


def audited(operation: Operation, relation: Relation) -> bool:
    """A read of someone else's record leaves an audit event the patient can see."""
    return operation.is_read and relation is Relation.SHARED


def operation_for(action: str) -> Operation:
    """The operation behind an audit action string (e.g. "read:progress", "export:csv",
    "read:history"): an exact match, else by its first word (every "export:…" is EXPORT),
    else a read of the logged entries (the logbook's many "read:…" purposes)."""
    try:
        return Operation(action)
    except ValueError:
        pass
    head = action.split(":", 1)[0]
    if head == "export":
        return Operation.EXPORT
    if action.startswith("read:reminders"):
        return Operation.READ_REMINDERS
    return Operation.READ_LOGGING


def table_markdown() -> str:
    """The table as docs/policy.md shows it (a test keeps that page equal to this; print
    it with `python -m app.domain.policy`). "if shared" is under a FULL grant; the scope
    columns say which of those a narrower grant still opens."""
    words = {Relation.OWN: "own", Relation.SHARED: "if shared", Relation.NOT_SHARED: "any",
             Relation.NONE: "yes"}
    roles = list(Role)
    narrow = [scope for scope in Scope if SCOPES[scope] is not None]
    lines = ["| operation | name | " + " | ".join(r.label for r in roles)
             + "".join(f" | if shared \"{s.label.lower()}\"" for s in narrow)
             + " | a clinician's use audited |",
             "| --- | --- |" + " --- |" * (len(roles) + len(narrow) + 1)]
    for operation in Operation:
        cells = [", ".join(words[r] for r in Relation if r in TABLE[operation].get(role, ()))
                 or "no" for role in roles]
        shared = any(Relation.SHARED in TABLE[operation].get(role, ()) for role in roles)
        scoped = ["–" if not shared else "yes" if any(
            allows(role, operation, Relation.SHARED, scope) for role in roles) else "no"
            for scope in narrow]
        audit = "yes" if audited(operation, Relation.SHARED) and shared else "–"
        lines.append(f"| {operation.name.lower()} | `{operation.value}` | "
                     + " | ".join([*cells, *scoped]) + f" | {audit} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # regenerate docs/policy.md's table
    print(table_markdown(), end="")
