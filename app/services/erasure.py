"""A patient deletes their account and everything they logged (issue 14, data rights).

`delete_my_account` is the patient's own request, confirmed by typing DELETE. It:

1. asks the policy (Operation.DELETE_OWN_ACCOUNT: the patient themself only);
2. writes what is kept (below) under a *tombstone id*, a fresh random id that names no
   account and no person;
3. purges every version of every record the patient owns (`RecordStore.purge_owner`: the
   journal store rewrites its snapshot and journal without them, so none of it stays in
   the data folder's files or in a backup made afterwards; the side files it keeps after
   a crash or an upgrade go too when they name the patient), their account included, so
   their email can no longer sign in;
4. ends every sign-in session of the account, in every tab and browser.

What is kept, and why: health-records law usually requires a clinic to keep the trail of
who accessed a record. So each audit event of someone *else* reading the record (actor,
role, action such as "read:progress", time) is copied to a new audit event whose patient
and owner are the tombstone id, plus one event per clinician who had access that their
access ended with the deletion (`DELETED_ACTION`): the clinician's caseload shows that as
"Deleted at the patient's request". These events hold no health data, no name and no
email: nothing in the store links the tombstone back to the person, only to the
clinicians who looked. The patient's own events (e.g. a sign-in pause) are about them,
not about who looked, and go with the rest.

Not reached: backups made *before* the deletion hold the patient's data until the clinic's
backup schedule replaces them, and a folder set aside by a restore
(`<folder>.before-restore-…`) is the operator's to remove.

Re-owning the existing audit records is not possible (a record keeps its owner for all
its versions), hence the copies under new ids; they are saved before the purge, so a
failure in between leaves the patient's data whole and the request can be made again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final, Protocol

from app.domain import kinds, policy
from app.domain.accounts import Account, Role
from app.domain.codec import to_json
from app.domain.errors import InvalidInput, NotFound
from app.domain.policy import Operation, Relation
from app.domain.sharing import AuditEvent
from app.services.access import AccessService
from app.services.accounts import Ended
from app.services.base import Clock, new_id, system_clock
from app.store.interfaces import Change

CONFIRM_WORD: Final = "DELETE"
DELETED_ACTION: Final = "deleted:at_patient_request"  # the clinician's access ended so
TOMBSTONE_PREFIX: Final = "deleted-"


class SessionEnder(Protocol):
    """The part of app.services.accounts.AuthService this service uses."""

    def end_sessions(self, account_id: str, keep: str | None = None,
                     why: Ended = Ended.SIGNED_OUT) -> int: ...


@dataclass(frozen=True)
class Erased:
    """What a deletion did (for the closing message and the tests)."""

    versions: int  # record versions purged
    tombstone: str  # the id the kept audit trail is filed under
    clinicians_told: int


class ErasureService:
    def __init__(self, access: AccessService, sessions: SessionEnder,
                 clock: Clock = system_clock) -> None:
        self.access = access
        self.store = access.store
        self.sessions = sessions
        self.clock = clock

    def delete_my_account(self, actor: Account, confirm_text: str) -> Erased:
        """Erase the actor's account and every record they own (see the module's
        docstring). NotAllowed for anyone but a patient; InvalidInput unless
        `confirm_text` is DELETE (nothing changed)."""
        policy.require(actor.role, Operation.DELETE_OWN_ACCOUNT, Relation.OWN)
        if (confirm_text or "").strip() != CONFIRM_WORD:
            raise InvalidInput.one("confirm", f"Type {CONFIRM_WORD} to delete your account.")
        patient = self.access.accounts.accounts.get(actor.id)
        if patient is None or patient.value.role is not Role.PATIENT:
            raise NotFound("No such account.")
        now = self.clock()
        tombstone = TOMBSTONE_PREFIX + new_id()
        # Who looked, kept whole (a day's list views keep their count), under the tombstone.
        kept = [replace(e, id=new_id(), patient_id=tombstone)
                for e in (v.value for v in self.access.audit.find(actor.id))
                if e.actor_id != actor.id]
        clinicians = self.access.granted_clinicians(actor.id)
        kept += [AuditEvent(new_id(), tombstone, c.id, c.role.value, DELETED_ACTION, now)
                 for c in clinicians]
        if kept:
            self.store.save_all([Change(kinds.AUDIT, e.id, to_json(e), owner=tombstone,
                                        expected_version=0) for e in kept])
        versions = self.store.purge_owner(actor.id)
        self.sessions.end_sessions(actor.id, why=Ended.DELETED)
        return Erased(versions, tombstone, len(clinicians))
