"""The records sharing leaves behind: a sharing code a patient hands to a clinician, and
the audit event written each time someone other than the patient reads their record.

Plain data (stored by app.services.access); who may make or read them is decided in
app.domain.policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AuditEvent:
    id: str
    patient_id: str
    actor_id: str
    actor_role: str
    action: str  # e.g. "read:progress" (an app.domain.policy.Operation value, or finer)
    at: datetime
    # How many times that day: a caseload list view ("read:caseload") is one entry per
    # clinician, patient and day, counting the day's views (issue 15); every other read, 1.
    count: int = 1


@dataclass(frozen=True)
class Invite:
    id: str  # the code the patient types
    patient_id: str
    created_at: datetime
    used: bool = False
