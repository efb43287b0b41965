"""What happened to each occurrence of a reminder: its deliveries (one per channel) and the
patient's outcome ("Done" / "Not now"; no outcome = not done yet, as in CareKit).

A delivery's id is made from (reminder, occurrence, channel), so a second delivery of the
same occurrence on the same channel cannot even be written: the store refuses a second
"version 1" of a record (expected_version=0). That is the exactly-once guarantee; the
scheduler relies on it rather than on its own bookkeeping.

Pure: no store, no sending.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from app.domain.reminder_plan import Template

# Waits between attempts to email a reminder after the mail server failed or refused it;
# after the last one the delivery is given up and shown to the care team as failed. Short
# at first (a server restarting), then spaced out so a long outage is not hammered.
RETRY_BACKOFF: tuple[timedelta, ...] = (
    timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
REASON_MAX_CHARS = 200


class Channel(StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"


class Status(StrEnum):
    PENDING = "pending"  # recorded, not yet sent (email waiting for its first try or a retry)
    DELIVERED = "delivered"
    SKIPPED = "skipped"  # fell due while nothing could send it and no longer makes sense
    FAILED = "failed"  # every retry failed; `last_error` says why


SKIPPED_STALE = "it no longer made sense when it could be sent"
SKIPPED_DONE = "the patient had already checked in that day"
# The clinic deactivated the account (its data kept): nothing goes to it meanwhile.
SKIPPED_TURNED_OFF = "the patient's account is turned off"


class Answer(StrEnum):
    DONE = "done"
    NOT_NOW = "not_now"


def delivery_id(reminder_id: str, occurrence_key: str, channel: Channel) -> str:
    return f"{reminder_id}:{occurrence_key}:{channel.value}"


def outcome_id(reminder_id: str, occurrence_key: str) -> str:
    return f"{reminder_id}:{occurrence_key}"


@dataclass(frozen=True)
class Delivery:
    """One occurrence on one channel. The in-app delivery is the patient's inbox item."""

    id: str
    reminder_id: str
    patient_id: str
    occurrence_key: str
    channel: Channel
    template: Template
    due_at: datetime
    recorded_at: datetime
    status: Status
    late: bool = False
    delivered_at: datetime | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str = ""
    opened_at: datetime | None = None  # in-app: when the patient first opened it
    # email: the SHA-256 of the unsubscribe token its message carried (the token itself is
    # never stored, so no backup or export holds a working link)
    unsubscribe_sha256: str = ""
    skipped_because: str = ""  # SKIPPED: why it was not sent (see SKIPPED_* below)

    @property
    def unread(self) -> bool:
        return self.channel is Channel.IN_APP and self.status is Status.DELIVERED \
            and self.opened_at is None


@dataclass(frozen=True)
class Outcome:
    id: str
    reminder_id: str
    patient_id: str
    occurrence_key: str
    answer: Answer
    at: datetime


def after_failure(delivery: Delivery, reason: str, now: datetime) -> Delivery:
    """The delivery after one more failed attempt: pending with the next try's time, or
    failed for good once the backoff is used up."""
    attempts = delivery.attempts + 1
    short = " ".join(reason.split())[:REASON_MAX_CHARS]
    if attempts > len(RETRY_BACKOFF):
        return replace(delivery, status=Status.FAILED, attempts=attempts, last_error=short,
                       next_attempt_at=None)
    return replace(delivery, attempts=attempts, last_error=short,
                   next_attempt_at=now + RETRY_BACKOFF[attempts - 1])


def ready_to_send(delivery: Delivery, now: datetime) -> bool:
    return delivery.status is Status.PENDING and (
        delivery.next_attempt_at is None or delivery.next_attempt_at <= now)
