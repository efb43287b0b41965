"""Who may see a patient's data, grants and invite codes, and the audit trail.

Decisions come from the one policy table (app.domain.policy): this service only works out
how the actor stands to the patient (their own record, shared with them through a grant,
or neither) and asks the table. `authorize` is the one call a service makes before it
reads or changes a patient's record; it also writes the audit event. Every read of a
patient's data by someone other than the patient is written to the audit log (kind
"audit", owned by the patient, so the patient can see who looked).

A grant carries its scope (what the patient chose for that person: "Everything" or
"Reminders and logging only"); `relation` reads it, so a change holds from the next call.

A caseload list is audited as what it is (`list_view`): one entry per clinician, patient
and day ("read:caseload", counting that day's views), not one per read per view (a list of
300 patients wrote 606 fsynced entries per view). Opening one patient is audited each time.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from app.domain import kinds, policy
from app.domain.accounts import Account, Grant, Scope
from app.domain.audit_log import LIST_VIEW
from app.domain.codec import to_json
from app.domain.errors import InvalidInput, NotFound
from app.domain.policy import Operation, Relation
from app.domain.sharing import AuditEvent, Invite
from app.domain.sharing_codes import format_code, normalise_code
from app.domain.zones import patient_today
from app.services.accounts import AccountService
from app.services.base import Clock, Collection, Versioned, new_id, system_clock
from app.store.interfaces import Change, RecordStore, VersionConflict

GRANT, INVITE, AUDIT = kinds.GRANT, kinds.INVITE, kinds.AUDIT
# A sharing code works once, within this time: a code written on paper or sent by message
# should not open the record months later.
INVITE_VALID_FOR = timedelta(days=7)
# How often a caseload list view's day entry (LIST_VIEW) has its count of views
# brought up to date (a new version of one entry per patient; in between it is counted in
# memory, so a restart may lose at most this much of a day's count, never the entry).
LIST_COUNT_EVERY = timedelta(hours=1)
_LIST_VIEW_IDS = uuid.UUID("6f0c7f0e-2b1a-4e43-9a55-15c0a5e1e015")
_MERGE_TRIES = 5  # writes of one list view's counts racing other app servers
# The clinician whose list is being built in this thread: reads inside are not audited one
# by one (list_view audits the view).
_LISTING: ContextVar[str | None] = ContextVar("caseload_listing", default=None)


@dataclass(frozen=True)
class SharedWith:
    """One person a patient shares with, and how much (for the patient's Sharing screen)."""

    clinician: Account
    scope: Scope


class AccessService:
    def __init__(self, store: RecordStore, accounts: AccountService,
                 clock: Clock = system_clock) -> None:
        self.grants = Collection(store, GRANT, Grant)
        self.invites = Collection(store, INVITE, Invite)
        self.audit = Collection(store, AUDIT, AuditEvent)
        self.store = store
        self.accounts = accounts
        self.clock = clock
        self._list_views: dict[tuple[str, str, str], _ListViews] = {}
        self._list_lock = threading.Lock()

    def clinicians_with_access(self, actor: Account, patient_id: str) -> list[Account]:
        """The clinicians who may see the patient's record: the patient's own question."""
        self.authorize(actor, patient_id, Operation.READ_SHARING)
        return self.granted_clinicians(patient_id)

    def sharing(self, actor: Account, patient_id: str) -> list[SharedWith]:
        """`clinicians_with_access` with what each may see, by name: the patient's own
        question."""
        self.authorize(actor, patient_id, Operation.READ_SHARING)
        scopes = {g.value.clinician_id: g.value.scope
                  for g in self.grants.find(patient_id, revoked=False)}
        people = sorted(self._existing(list(scopes)), key=lambda c: (c.name, c.id))
        return [SharedWith(c, scopes[c.id]) for c in people]

    def granted_clinicians(self, patient_id: str) -> list[Account]:
        """`clinicians_with_access` without the check. No screen calls it (they pass the
        actor); tests use it to look at the grants in force."""
        ids = [g.value.clinician_id for g in self.grants.find(patient_id, revoked=False)]
        return self._existing(ids)

    def shared_patients(self, clinician: Account) -> list[Account]:
        ids = [g.value.patient_id
               for g in self.grants.find(None, clinician_id=clinician.id, revoked=False)]
        return self._existing(ids)

    def _existing(self, account_ids: list[str]) -> list[Account]:
        """Accounts that exist here (a grant imported from another clinic may point at
        a clinician who has no account in this one)."""
        found = (self.accounts.accounts.get(i) for i in account_ids)
        return [v.value for v in found if v is not None]

    def grant(self, patient: Account, clinician: Account, scope: Scope | None = None) -> Grant:
        """Share with a clinician; `scope` defaults to their role's (Scope.default_for). A
        grant already in force is returned as it is (change its scope with `set_scope`)."""
        existing = self._existing_grant(patient, clinician)
        if existing is not None:
            return existing
        grant = self._new_grant(patient, clinician, scope)
        self.grants.add(grant, owner=patient.id)
        return grant

    def _new_grant(self, patient: Account, clinician: Account,
                   scope: Scope | None = None) -> Grant:
        return Grant(new_id(), patient.id, clinician.id, self.clock(),
                     scope=scope if scope is not None else Scope.default_for(clinician.role))

    def set_scope(self, patient: Account, clinician_id: str, scope: Scope) -> Grant:
        """The patient changes what one person they share with may see: a new version of
        the grant, in force from the next call (NotFound when they don't share with them)."""
        policy.require(patient.role, Operation.SHARE, Relation.OWN)
        found = self.grants.find(patient.id, clinician_id=clinician_id, revoked=False)
        if not found:
            raise NotFound("You don't share with this person any more.")
        current = found[0]
        if current.value.scope is scope:
            return current.value
        changed = replace(current.value, scope=scope)
        self.grants.correct(changed, patient.id, current.version)
        return changed

    def _existing_grant(self, patient: Account, clinician: Account) -> Grant | None:
        """The grant already in force, if any, once the two may share at all."""
        policy.require(patient.role, Operation.SHARE, Relation.OWN)
        if not clinician.role.is_clinician:
            raise InvalidInput.one("clinician", "You can only share with a therapist or the "
                                                "care team.")
        existing = self.grants.find(patient.id, clinician_id=clinician.id, revoked=False)
        return existing[0].value if existing else None

    def revoke(self, patient: Account, clinician_id: str) -> None:
        policy.require(patient.role, Operation.UNSHARE, Relation.OWN)
        for found in self.grants.find(patient.id, clinician_id=clinician_id, revoked=False):
            self.grants.correct(replace(found.value, revoked=True), patient.id, found.version)

    def create_invite(self, patient: Account) -> str:
        """A short code the patient gives their therapist to link accounts."""
        policy.require(patient.role, Operation.CREATE_SHARING_CODE, Relation.OWN)
        code = format_code(secrets.token_hex(6))
        self.invites.add(Invite(code, patient.id, self.clock()), owner=patient.id)
        return code

    def redeem_invite(self, clinician: Account, code: str) -> Account:
        """Link a clinician to the patient who made the code. A code works once: marking it
        used and creating the grant are one atomic save that expects the code's version as
        read, so of clinicians redeeming it at the same moment exactly one gets the grant."""
        policy.require(clinician.role, Operation.REDEEM_SHARING_CODE, Relation.NONE)
        not_valid = InvalidInput.one("code", "That code is not valid. Ask the patient for "
                                             "a new one.")
        found = self.invites.get(normalise_code(code))
        if found is None or found.value.used or \
                self.clock() - found.value.created_at > INVITE_VALID_FOR:
            raise not_valid
        patient = self.accounts.get(found.value.patient_id)
        used = replace(found.value, used=True)
        changes = [Change(INVITE, used.id, to_json(used), owner=patient.id,
                          expected_version=found.version)]
        if self._existing_grant(patient, clinician) is None:
            grant = self._new_grant(patient, clinician)
            changes.append(Change(GRANT, grant.id, to_json(grant), owner=patient.id,
                                  expected_version=0))
        try:
            self.store.save_all(changes)
        except VersionConflict:
            raise not_valid from None  # someone else redeemed it a moment earlier
        return patient

    # -- the one access check --------------------------------------------------------

    def relation(self, actor: Account, patient_id: str) -> tuple[Relation, Scope]:
        """How the actor stands to the patient's record, and the scope of their grant (the
        patient's own record, or none shared: FULL, which then narrows nothing)."""
        if actor.id == patient_id:
            return Relation.OWN, Scope.FULL
        granted = self.grants.find(patient_id, clinician_id=actor.id, revoked=False)
        if not granted:
            return Relation.NOT_SHARED, Scope.FULL
        return Relation.SHARED, granted[0].value.scope

    def scope_of(self, actor: Account, patient_id: str) -> Scope:
        """What the actor's grant from the patient opens (to decide what a screen offers;
        not a read, not audited)."""
        return self.relation(actor, patient_id)[1]

    def authorize(self, actor: Account, patient_id: str, operation: Operation,
                  action: str | None = None) -> None:
        """NotAllowed unless the policy lets the actor do `operation` on the patient's
        record; a read by anyone but the patient is audited as `action` (default: the
        operation's own name), once per call."""
        relation, scope = self.relation(actor, patient_id)
        policy.require(actor.role, operation, relation, scope)
        if policy.audited(operation, relation):
            if _LISTING.get() == actor.id:
                return  # part of a list view: audited by list_view
            event = AuditEvent(new_id(), patient_id, actor.id, actor.role.value,
                               action or operation.value, self.clock())
            self.audit.add(event, owner=patient_id)

    def check_read(self, actor: Account, patient_id: str, action: str) -> None:
        """`authorize` for a read named by its audit action ("read:progress",
        "export:csv", "read:history", …; see policy.operation_for)."""
        self.authorize(actor, patient_id, policy.operation_for(action), action)

    def check_write(self, actor: Account, patient_id: str,
                    operation: Operation = Operation.WRITE_ENTRY) -> None:
        self.authorize(actor, patient_id, operation)

    def may(self, actor: Account, patient_id: str, operation: Operation) -> bool:
        """Whether the actor may do `operation` (to decide what to offer; not itself a
        read, so not audited: the read that follows goes through `authorize`)."""
        relation, scope = self.relation(actor, patient_id)
        return policy.allows(actor.role, operation, relation, scope)

    def may_read(self, actor: Account, patient_id: str) -> bool:
        """Whether the actor may read the patient's logged entries (see `may`)."""
        return self.may(actor, patient_id, Operation.READ_LOGGING)

    def audit_trail(self, actor: Account, patient_id: str) -> list[AuditEvent]:
        """Who read a patient's data, newest first: for the patient only (NotAllowed for
        anyone else; the operator's command line reads the store directly)."""
        self.authorize(actor, patient_id, Operation.READ_AUDIT_TRAIL)
        events = [v.value for v in self.audit.find(patient_id)]
        return sorted(events, key=lambda e: e.at, reverse=True)

    # -- caseload list views --------------------------------------------------------

    @contextlib.contextmanager
    def list_view(self, actor: Account, listed: Mapping[str, str]) -> Iterator[None]:
        """The actor's list of these patients (patient id -> the audit action of what
        the list shows of them: LIST_VIEW, or a narrower read) is being built: reads
        inside are checked as ever but not audited one by one; the view is, once per
        patient per day, counted. Call it only around reads of the listed patients."""
        token = _LISTING.set(actor.id)
        try:
            yield
        finally:
            _LISTING.reset(token)
            self._note_list_view(actor, listed)

    def _note_list_view(self, actor: Account, listed: Mapping[str, str]) -> None:
        now = self.clock()
        day = patient_today(now, actor.timezone)
        changes: list[_ListViews] = []
        with self._list_lock:
            for patient_id, action in listed.items():
                key = (actor.id, patient_id, action)
                seen = self._list_views.get(key)
                if seen is not None and seen.day == day:
                    seen.event = replace(seen.event, count=seen.event.count + 1)
                    if now - seen.written_at < LIST_COUNT_EVERY:
                        continue
                else:
                    if seen is not None and seen.event.count > seen.written_count:
                        changes.append(seen)  # yesterday's last count
                    seen = self._list_views[key] = self._first_view(actor, patient_id,
                                                                    action, day, now)
                seen.written_at = now
                changes.append(seen)
            if changes:
                self._write_counts(changes)

    def _write_counts(self, changes: list[_ListViews]) -> None:
        """One write (one fsync) for the whole view. Each entry is saved expecting the
        version this process last saw: another app server counting the same day's views
        (issue 17) makes it a conflict, and the counts are merged (theirs plus ours not
        yet written) and written again, so the day's count is every server's views."""
        for _ in range(_MERGE_TRIES):
            try:
                saved = self.store.save_all([seen.to_change() for seen in changes])
            except VersionConflict:
                for seen in changes:
                    seen.merge(self.audit.get(seen.event.id))
                continue
            for seen, record in zip(changes, saved, strict=True):
                seen.written(record.version)
            return
        # Other servers kept writing meanwhile: these views are counted at the next write.

    def _first_view(self, actor: Account, patient_id: str, action: str, day: date,
                    now: datetime) -> _ListViews:
        """The day's entry: new, or the one written before a restart or by another app
        server (its count goes on)."""
        entry_id = uuid.uuid5(_LIST_VIEW_IDS, f"{actor.id}/{patient_id}/{action}/{day}").hex
        stored = self.audit.get(entry_id)
        if stored is not None:
            event = replace(stored.value, count=stored.value.count + 1)
            return _ListViews(day, event, now, stored.value.count, stored.version)
        event = AuditEvent(entry_id, patient_id, actor.id, actor.role.value, action, now)
        return _ListViews(day, event, now, 0, 0)

    def list_view_count(self, actor: Account, patient_id: str, action: str = LIST_VIEW) -> int:
        """How many times today the actor's list showed the patient (for tests, benches)."""
        with self._list_lock:
            seen = self._list_views.get((actor.id, patient_id, action))
            return seen.event.count if seen is not None else 0


@dataclass
class _ListViews:
    """One clinician's list views of one patient on one day, and what was last written."""

    day: date
    event: AuditEvent  # its count: every view known here, written or not
    written_at: datetime
    written_count: int  # the count in the stored version
    version: int  # the stored version this process last saw (0: none yet)

    def to_change(self) -> Change:
        return Change(AUDIT, self.event.id, to_json(self.event), owner=self.event.patient_id,
                      expected_version=self.version)

    def written(self, version: int) -> None:
        self.written_count, self.version = self.event.count, version

    def merge(self, stored: Versioned[AuditEvent] | None) -> None:
        """Another server wrote the entry: its count, plus the views not written here."""
        if stored is None:  # gone meanwhile (the patient's data erased): start again
            self.written_count, self.version = 0, 0
            return
        unwritten = self.event.count - self.written_count
        self.event = replace(stored.value, count=stored.value.count + unwritten)
        self.written_count, self.version = stored.value.count, stored.version
