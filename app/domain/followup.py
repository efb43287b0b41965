"""Following up on an urgent "Is this normal?" answer, and a clinician's acknowledgement.

An `emergency` or `call_clinic` answer must not vanish once the patient closes the screen:
for FOLLOW_UP_WINDOW after it, the patient's Today asks "Did you get help? How are you
now?" until they answer, and the answer is kept (`FollowUp`). A clinician who has seen the
flag acknowledges it with a note (`Acknowledgement`), which the caseload shows.

Pure: no I/O. The 72 h window is a product rule (issue 12: "follow up for 72 h"), not a
clinical threshold; it matches the usual span of post-needling soreness.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from app.domain.validation import Problems

FOLLOW_UP_WINDOW: Final = timedelta(hours=72)
URGENT_TIERS: Final = ("emergency", "call_clinic")

# What the patient did since the answer, in their words (key → label).
GOT_HELP: Final[dict[str, str]] = {
    "emergency": "Yes — emergency services",
    "clinic": "Yes — I contacted the clinic",
    "doctor": "Yes — a doctor or urgent care",
    "not_yet": "Not yet",
}
# How they are now.
FEELING: Final[dict[str, str]] = {
    "better": "Better",
    "same": "About the same",
    "worse": "Worse",
}


@dataclass(frozen=True)
class FollowUp:
    id: str
    patient_id: str
    assessment_id: str  # the guidance answer this follows up
    recorded_at: datetime
    got_help: str  # a GOT_HELP key
    feeling: str  # a FEELING key
    note: str = ""


@dataclass(frozen=True)
class Acknowledgement:
    id: str  # one per answer: the assessment's id
    patient_id: str
    clinician_id: str
    clinician_name: str
    at: datetime
    note: str = ""


def needs_follow_up(level: str, assessed_at: datetime, now: datetime,
                    answered: bool) -> bool:
    """Whether Today should still ask about this answer."""
    return (level in URGENT_TIERS and not answered
            and timedelta(0) <= now - assessed_at <= FOLLOW_UP_WINDOW)


def new_follow_up(*, id: str, patient_id: str, assessment_id: str, recorded_at: datetime,
                  got_help: object, feeling: object, note: str | None = "") -> FollowUp:
    p = Problems()
    if got_help not in GOT_HELP:
        p.add("got_help", "Tell us whether you got help.")
    if feeling not in FEELING:
        p.add("feeling", "Tell us how you are now.")
    entry = FollowUp(id, patient_id, assessment_id, recorded_at, str(got_help),
                     str(feeling), p.note("note", note))
    p.raise_if_any()
    return entry


def new_acknowledgement(*, assessment_id: str, patient_id: str, clinician_id: str,
                        clinician_name: str, at: datetime,
                        note: str | None = "") -> Acknowledgement:
    p = Problems()
    entry = Acknowledgement(assessment_id, patient_id, clinician_id, clinician_name, at,
                            p.note("note", note))
    p.raise_if_any()
    return entry
