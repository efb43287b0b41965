"""Deliveries: the retry backoff, giving up, what is ready to send, and check-in
reminders on a day already done."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.domain.reminder_delivery import (
    RETRY_BACKOFF,
    Channel,
    Delivery,
    Status,
    after_failure,
    delivery_id,
    ready_to_send,
)
from app.domain.reminder_plan import Template, already_done

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def pending() -> Delivery:
    return Delivery(delivery_id("r1", "2026-03-01", Channel.EMAIL), "r1", "p1", "2026-03-01",
                    Channel.EMAIL, Template.HOME_EXERCISE, NOW, NOW, Status.PENDING)


def test_backoff_then_given_up_with_the_last_reason() -> None:
    delivery, now, waits = pending(), NOW, []
    while delivery.status is Status.PENDING:
        assert ready_to_send(delivery, now)
        delivery = after_failure(delivery, f"refused  at\n{now:%H:%M}", now)
        if delivery.next_attempt_at is not None:
            waits.append(delivery.next_attempt_at - now)
            assert not ready_to_send(delivery, now)
            now = delivery.next_attempt_at
    assert waits == list(RETRY_BACKOFF)
    assert delivery.status is Status.FAILED and delivery.attempts == len(RETRY_BACKOFF) + 1
    assert delivery.last_error == f"refused at {now:%H:%M}"  # one line
    assert not ready_to_send(delivery, now + timedelta(days=1))


def test_a_reason_is_kept_short() -> None:
    assert len(after_failure(pending(), "x" * 5000, NOW).last_error) == 200


def test_ids() -> None:
    assert delivery_id("r1", "20260301T1200Z", Channel.IN_APP) == "r1:20260301T1200Z:in_app"


def test_only_check_in_reminders_are_already_done() -> None:
    days = {date(2026, 3, 1)}
    assert already_done(Template.DAILY_CHECK_IN, date(2026, 3, 1), days)
    assert already_done(Template.LOGGING_NUDGE, date(2026, 3, 1), days)
    assert not already_done(Template.DAILY_CHECK_IN, date(2026, 3, 2), days)
    for other in (Template.SORENESS_CHECK, Template.HOME_EXERCISE, Template.APPOINTMENT,
                  Template.MESSAGE):
        assert not already_done(other, date(2026, 3, 1), days)
