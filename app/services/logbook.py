"""The patient's logbook: check-ins, needling sessions, soreness, PSFS activities,
milestones, ODI and PGIC — saving, correcting (a new version) and reading back.

Every call names the acting account; reads by anyone but the patient are audited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, TypeVar

from app.domain import entries as e
from app.domain import kinds
from app.domain.accounts import Account
from app.domain.errors import InvalidInput, NotFound
from app.domain.policy import Operation
from app.domain.reminders import ReminderPrefs, check_prefs
from app.domain.zones import patient_today
from app.services.access import AccessService
from app.services.base import Clock, Collection, Versioned, new_id, system_clock
from app.store.interfaces import Query, RecordStore

CHECK_IN, SESSION, SORENESS, ACTIVITY = (kinds.CHECK_IN, kinds.SESSION, kinds.SORENESS,
                                          kinds.ACTIVITY)
MILESTONE, ODI, PGIC, REMINDER_PREFS = (kinds.MILESTONE, kinds.ODI, kinds.PGIC,
                                        kinds.REMINDER_PREFS)

V = TypeVar("V")


@dataclass(frozen=True)
class PatientData:
    """Everything logged for one patient (latest versions), oldest first."""

    patient: Account
    check_ins: list[Versioned[e.CheckIn]]
    sessions: list[Versioned[e.NeedlingSession]]
    soreness: list[Versioned[e.SorenessEntry]]
    activities: list[e.PsfsActivity]
    milestones: list[Versioned[e.Milestone]]
    odi: list[e.OdiAnswer]
    pgic: list[e.PgicAnswer]

    def session(self, session_id: str) -> e.NeedlingSession | None:
        return next((s.value for s in self.sessions if s.value.id == session_id), None)

    @property
    def last_session(self) -> e.NeedlingSession | None:
        return self.sessions[-1].value if self.sessions else None


class Logbook:
    def __init__(self, store: RecordStore, access: AccessService,
                 clock: Clock = system_clock) -> None:
        self.check_ins = Collection(store, CHECK_IN, e.CheckIn)
        self.sessions = Collection(store, SESSION, e.NeedlingSession)
        self.soreness = Collection(store, SORENESS, e.SorenessEntry)
        self.activities = Collection(store, ACTIVITY, e.PsfsActivity)
        self.milestones = Collection(store, MILESTONE, e.Milestone)
        self.odi = Collection(store, ODI, e.OdiAnswer)
        self.pgic = Collection(store, PGIC, e.PgicAnswer)
        self.reminder_prefs = Collection(store, REMINDER_PREFS, ReminderPrefs)
        self.store = store
        self.access = access
        self.clock = clock

    # -- reading -----------------------------------------------------------------

    def load(self, actor: Account, patient_id: str, purpose: str = "read:record") -> PatientData:
        self.access.check_read(actor, patient_id, purpose)
        sessions = _by_time(self.sessions.find(patient_id), "performed_at")
        live = {s.value.id for s in sessions}
        # Soreness after a withdrawn session has no session to follow: it drops out with it.
        soreness = [s for s in self.soreness.find(patient_id) if s.value.session_id in live]
        return PatientData(
            patient=self.access.accounts.get(patient_id),
            check_ins=_by_time(self.check_ins.find(patient_id), "recorded_at"),
            sessions=sessions,
            soreness=_by_time(soreness, "recorded_at"),
            activities=self._active_activities(patient_id),
            milestones=sorted(self.milestones.find(patient_id),
                              key=lambda v: v.value.achieved_on),
            odi=[v.value for v in _by_time(self.odi.find(patient_id), "recorded_at")],
            pgic=[v.value for v in _by_time(self.pgic.find(patient_id), "recorded_at")],
        )

    def _active_activities(self, patient_id: str) -> list[e.PsfsActivity]:
        found = [v.value for v in self.activities.find(patient_id, retired=False)]
        return sorted(found, key=lambda a: a.created_at)

    def activities_of(self, actor: Account, patient_id: str) -> list[e.PsfsActivity]:
        self.access.check_read(actor, patient_id, "read:activities")
        return self._active_activities(patient_id)

    def get_check_in(self, actor: Account, entry_id: str) -> Versioned[e.CheckIn] | None:
        found = self.check_ins.get(entry_id)
        if found is not None:
            self.access.check_read(actor, found.value.patient_id, "read:check_in")
        return found

    def check_in_history(self, actor: Account, entry_id: str) -> list[Versioned[e.CheckIn]]:
        versions = self.check_ins.history(entry_id)
        if not versions:
            raise NotFound("No such check-in.")
        self.access.check_read(actor, versions[0].value.patient_id, "read:history")
        return versions

    # -- writing -----------------------------------------------------------------

    def check_in(
        self, actor: Account, patient_id: str, *, pain_now: object, worst_24h: object = None,
        regions: Sequence[str] = (), psfs: Mapping[str, object] | None = None,
        note: str | None = "", recorded_at: datetime | None = None,
    ) -> Versioned[e.CheckIn]:
        self.access.check_write(actor, patient_id)
        now = self.clock()
        entry = e.new_check_in(
            id=new_id(), patient_id=patient_id, recorded_at=recorded_at or now, now=now,
            pain_now=pain_now, worst_24h=worst_24h, regions=regions, psfs=psfs,
            activity_ids=[a.id for a in self._active_activities(patient_id)], note=note,
        )
        return self.check_ins.add(entry, owner=patient_id)

    def correct_check_in(
        self, actor: Account, entry_id: str, *, expected_version: int, pain_now: object,
        worst_24h: object = None, regions: Sequence[str] = (),
        psfs: Mapping[str, object] | None = None, note: str | None = "",
    ) -> Versioned[e.CheckIn]:
        current = self.check_ins.get(entry_id)
        if current is None:
            raise NotFound("No such check-in.")
        original = current.value
        self.access.check_write(actor, original.patient_id)
        corrected = e.new_check_in(
            id=original.id, patient_id=original.patient_id, recorded_at=original.recorded_at,
            now=self.clock(), pain_now=pain_now, worst_24h=worst_24h, regions=regions,
            psfs=psfs,
            activity_ids=[a.id for a in self._active_activities(original.patient_id)],
            note=note,
        )
        return self.check_ins.correct(corrected, original.patient_id, expected_version)

    def correct_session(
        self, actor: Account, session_id: str, *, expected_version: int,
        regions: Sequence[str], performed_at: datetime, note: str | None = "",
    ) -> Versioned[e.NeedlingSession]:
        """A new version of a session (wrong region or time); the original stays in its
        history. Guidance, charts and the caseload read the latest version."""
        original = self._current(self.sessions, session_id, "needling session")
        self.access.check_write(actor, original.patient_id, Operation.RECORD_SESSION)
        corrected = e.new_needling_session(
            id=original.id, patient_id=original.patient_id, performed_at=performed_at,
            now=self.clock(), regions=regions, recorded_by=original.recorded_by, note=note,
        )
        return self.sessions.correct(corrected, original.patient_id, expected_version)

    def correct_soreness(
        self, actor: Account, entry_id: str, *, expected_version: int, soreness: object,
        note: str | None = "",
    ) -> Versioned[e.SorenessEntry]:
        original = self._current(self.soreness, entry_id, "soreness entry")
        self.access.check_write(actor, original.patient_id)
        session = self.sessions.get(original.session_id)
        if session is None:
            raise InvalidInput.one("session_id", "The session this soreness follows was "
                                                 "withdrawn.")
        corrected = e.new_soreness_entry(
            id=original.id, patient_id=original.patient_id, session=session.value,
            recorded_at=original.recorded_at, now=self.clock(), soreness=soreness,
            note=note,
        )
        return self.soreness.correct(corrected, original.patient_id, expected_version)

    def correct_milestone(
        self, actor: Account, milestone_id: str, *, expected_version: int,
        text: str | None, achieved_on: date, note: str | None = "",
    ) -> Versioned[e.Milestone]:
        original = self._current(self.milestones, milestone_id, "milestone")
        self.access.check_write(actor, original.patient_id)
        corrected = e.new_milestone(
            id=original.id, patient_id=original.patient_id, achieved_on=achieved_on,
            today=self.local_today(original.patient_id), text=text, note=note,
        )
        return self.milestones.correct(corrected, original.patient_id, expected_version)

    def withdraw(self, actor: Account, kind: str, entry_id: str, *,
                 expected_version: int) -> None:
        """Withdraw a session, soreness entry or milestone logged by mistake: a tombstone
        version, so it drops out of guidance, charts and flags while every earlier version
        stays in the store's history (nothing a person entered is erased)."""
        collection = self._withdrawable(kind)
        current = collection.get(entry_id)
        if current is None:
            raise NotFound("Nothing to withdraw: it was not found or is already withdrawn.")
        patient_id = str(current.value.patient_id)
        self.access.check_write(actor, patient_id)
        collection.withdraw(current.value, patient_id, expected_version)

    def entry_history(self, actor: Account, kind: str,
                      entry_id: str) -> list[Versioned[object]]:
        """Every version of one session, soreness entry or milestone, oldest first."""
        versions = self._withdrawable(kind).history(entry_id)
        if not versions:
            raise NotFound("No such entry.")
        patient_id = str(versions[0].value.patient_id)
        self.access.check_read(actor, patient_id, "read:history")
        return versions

    def withdrawn(self, actor: Account, patient_id: str) -> list[tuple[str, Versioned[Any]]]:
        """Sessions, soreness entries and milestones the patient withdrew, each as its
        withdrawn version (the last value, saved_at = when it was withdrawn): History
        still lists them; guidance, charts and flags never see them."""
        self.access.check_read(actor, patient_id, "read:history")
        found: list[tuple[str, Versioned[Any]]] = []
        for kind in (SESSION, SORENESS, MILESTONE):
            collection = self._withdrawable(kind)
            for record in self.store.find(Query(kind, patient_id, include_deleted=True)):
                if record.deleted:
                    found.append((kind, collection.history(record.id)[-1]))
        return found

    def get_entry(self, actor: Account, kind: str, entry_id: str) -> Versioned[object] | None:
        """The latest version of a session, soreness entry or milestone (None if unknown
        or withdrawn)."""
        found = self._withdrawable(kind).get(entry_id)
        if found is not None:
            self.access.check_read(actor, str(found.value.patient_id),
                                   "read:entry")
        return found

    def _withdrawable(self, kind: str) -> Collection[Any]:
        by_kind: dict[str, Collection[Any]] = {
            SESSION: self.sessions, SORENESS: self.soreness, MILESTONE: self.milestones}
        if kind not in by_kind:
            raise NotFound("No such kind of entry.")
        return by_kind[kind]

    @staticmethod
    def _current(collection: Collection[V], entry_id: str, what: str) -> V:
        found = collection.get(entry_id)
        if found is None:
            raise NotFound(f"No such {what}.")
        return found.value

    def log_session(
        self, actor: Account, patient_id: str, *, regions: Sequence[str],
        performed_at: datetime | None = None, note: str | None = "",
    ) -> Versioned[e.NeedlingSession]:
        self.access.check_write(actor, patient_id, Operation.RECORD_SESSION)
        now = self.clock()
        session = e.new_needling_session(
            id=new_id(), patient_id=patient_id, performed_at=performed_at or now, now=now,
            regions=regions, recorded_by=actor.id, note=note,
        )
        return self.sessions.add(session, owner=patient_id)

    def log_soreness(
        self, actor: Account, patient_id: str, *, session_id: str, soreness: object,
        recorded_at: datetime | None = None, note: str | None = "",
    ) -> Versioned[e.SorenessEntry]:
        self.access.check_write(actor, patient_id)
        found = self.sessions.get(session_id)
        if found is None:
            raise InvalidInput.one("session_id", "Pick the needling session this soreness "
                                                 "follows.")
        now = self.clock()
        entry = e.new_soreness_entry(
            id=new_id(), patient_id=patient_id, session=found.value,
            recorded_at=recorded_at or now, now=now, soreness=soreness, note=note,
        )
        return self.soreness.add(entry, owner=patient_id)

    def set_activities(self, actor: Account, patient_id: str,
                       names: Sequence[str]) -> list[e.PsfsActivity]:
        """Make the patient's PSFS activities exactly `names` (3–5). Activities kept by
        name keep their id and ratings; removed ones are retired, not erased."""
        self.access.check_write(actor, patient_id)
        wanted = e.check_psfs_plan(names)
        current = {v.value.name.casefold(): v for v in self.activities.find(patient_id,
                                                                             retired=False)}
        for key, held in current.items():
            if key not in {n.casefold() for n in wanted}:
                self.activities.correct(replace(held.value, retired=True), patient_id,
                                        held.version)
        now = self.clock()
        for index, name in enumerate(wanted):
            if name.casefold() not in current:
                # Offsets keep the patient's order when several are created at once.
                created = now.replace(microsecond=min(999_999, now.microsecond + index))
                self.activities.add(
                    e.PsfsActivity(new_id(), patient_id, name, created), owner=patient_id)
        return self._active_activities(patient_id)

    def add_milestone(self, actor: Account, patient_id: str, *, text: str | None,
                      achieved_on: date | None = None, note: str | None = "") -> e.Milestone:
        self.access.check_write(actor, patient_id)
        today = self.local_today(patient_id)
        milestone = e.new_milestone(
            id=new_id(), patient_id=patient_id, achieved_on=achieved_on or today,
            today=today, text=text, note=note,
        )
        self.milestones.add(milestone, owner=patient_id)
        return milestone

    def local_today(self, patient_id: str) -> date:
        """The patient's own calendar day (their time zone, not the server's)."""
        return patient_today(self.clock(), self.access.accounts.get(patient_id).timezone)

    def reminders(self, actor: Account, patient_id: str) -> ReminderPrefs:
        self.access.check_read(actor, patient_id, "read:reminders")
        found = self.reminder_prefs.get(patient_id)
        return found.value if found else ReminderPrefs(patient_id)

    def set_reminders(self, actor: Account, prefs: ReminderPrefs) -> ReminderPrefs:
        self.access.check_write(actor, prefs.id)
        check_prefs(prefs)
        found = self.reminder_prefs.get(prefs.id)
        if found is None:
            self.reminder_prefs.add(prefs, owner=prefs.id)
        else:
            self.reminder_prefs.correct(prefs, prefs.id, found.version)
        return prefs

    def answer_pgic(self, actor: Account, patient_id: str, rating: object) -> e.PgicAnswer:
        self.access.check_write(actor, patient_id)
        now = self.clock()
        answer = e.new_pgic_answer(id=new_id(), patient_id=patient_id, recorded_at=now,
                                   now=now, rating=rating)
        self.pgic.add(answer, owner=patient_id)
        return answer

    def answer_odi(self, actor: Account, patient_id: str,
                   sections: Sequence[object]) -> e.OdiAnswer:
        self.access.check_write(actor, patient_id)
        now = self.clock()
        answer = e.new_odi_answer(id=new_id(), patient_id=patient_id, recorded_at=now,
                                  now=now, sections=sections)
        self.odi.add(answer, owner=patient_id)
        return answer


def _by_time(items: list[Versioned[V]], attr: str) -> list[Versioned[V]]:
    return sorted(items, key=lambda v: getattr(v.value, attr))
