"""Follow-ups on urgent "Is this normal?" answers, and clinicians' acknowledgements.

Reads answers only through GuidanceService.history (access-checked, audited for a
clinician); stores its own two record kinds, owned by the patient: "guidance_follow_up"
(what the patient said they did since: kept, never changed) and
"guidance_acknowledgement" (one per answer; acknowledging again is a new version).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain import kinds
from app.domain.accounts import Account
from app.domain.errors import NotFound
from app.domain.followup import (
    Acknowledgement,
    FollowUp,
    needs_follow_up,
    new_acknowledgement,
    new_follow_up,
)
from app.domain.policy import Operation
from app.services.access import AccessService
from app.services.base import Clock, Collection, new_id, system_clock
from app.services.guidance import GuidanceService, PastAssessment
from app.store.interfaces import RecordStore

FOLLOW_UP, ACKNOWLEDGEMENT = kinds.FOLLOW_UP, kinds.ACKNOWLEDGEMENT


@dataclass(frozen=True)
class AnswerRecord:
    """One answer with what happened after it: the patient's follow-ups (oldest first)
    and a clinician's acknowledgement, if any."""

    answer: PastAssessment
    follow_ups: tuple[FollowUp, ...]
    acknowledgement: Acknowledgement | None


class FollowUpService:
    def __init__(self, store: RecordStore, access: AccessService, guidance: GuidanceService,
                 clock: Clock = system_clock) -> None:
        self.follow_ups = Collection(store, FOLLOW_UP, FollowUp)
        self.acknowledgements = Collection(store, ACKNOWLEDGEMENT, Acknowledgement)
        self.access = access
        self.guidance = guidance
        self.clock = clock

    def answers(self, actor: Account, patient_id: str) -> list[AnswerRecord]:
        """Every answer, newest first, with its follow-ups and acknowledgement."""
        past = self.guidance.history(actor, patient_id)  # access check (+ audit)
        follow_ups: dict[str, list[FollowUp]] = {}
        for found in self.follow_ups.find(patient_id):
            follow_ups.setdefault(found.value.assessment_id, []).append(found.value)
        acks = {a.value.id: a.value for a in self.acknowledgements.find(patient_id)}
        return [AnswerRecord(p, tuple(sorted(follow_ups.get(p.record_id, []),
                                             key=lambda f: f.recorded_at)),
                             acks.get(p.record_id))
                for p in past]

    def due(self, actor: Account, patient_id: str) -> list[PastAssessment]:
        """Urgent answers of the last 72 h the patient has not yet followed up."""
        now = self.clock()
        return [r.answer for r in self.answers(actor, patient_id)
                if needs_follow_up(r.answer.assessment.level, r.answer.assessed_at, now,
                                   bool(r.follow_ups))]

    def record(self, actor: Account, patient_id: str, assessment_id: str, *,
               got_help: object, feeling: object, note: str | None = "") -> FollowUp:
        """The patient's answer to "Did you get help? How are you now?"."""
        self.access.check_write(actor, patient_id)
        self._answer_of(actor, patient_id, assessment_id)
        entry = new_follow_up(id=new_id(), patient_id=patient_id,
                              assessment_id=assessment_id, recorded_at=self.clock(),
                              got_help=got_help, feeling=feeling, note=note)
        self.follow_ups.add(entry, owner=patient_id)
        return entry

    def acknowledge(self, clinician: Account, patient_id: str, assessment_id: str,
                    note: str | None = "") -> Acknowledgement:
        """A clinician who shares the patient's record has seen the answer (with a note:
        what they did). Acknowledging again replaces the note (a new version)."""
        self.access.check_write(clinician, patient_id, Operation.ACKNOWLEDGE)
        self._answer_of(clinician, patient_id, assessment_id)
        ack = new_acknowledgement(assessment_id=assessment_id, patient_id=patient_id,
                                  clinician_id=clinician.id, clinician_name=clinician.name,
                                  at=self.clock(), note=note)
        held = self.acknowledgements.get(assessment_id)
        if held is None:
            self.acknowledgements.add(ack, owner=patient_id)
        else:
            self.acknowledgements.correct(ack, patient_id, held.version)
        return ack

    def _answer_of(self, actor: Account, patient_id: str,
                   assessment_id: str) -> PastAssessment:
        found = next((p for p in self.guidance.history(actor, patient_id)
                      if p.record_id == assessment_id), None)
        if found is None:
            raise NotFound("No such answer.")
        return found
