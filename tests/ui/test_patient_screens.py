"""Patient screens built in-process against the real services on a fake clock and a
stand-in for the browser tab: what a screen pre-fills and which rule it uses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import flet as ft
import pytest

from app.domain.accounts import Account, Role
from app.main import Services
from app.ui.screens.activities import build_milestones
from tests.conftest import FakeClock

# 18:00 in Los Angeles on 30 Nov 2026 (02:00 UTC on 1 Dec).
LA_EVENING = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


class StubShell(SimpleNamespace):
    """What a screen builder asks of the shell, without a browser."""

    def __init__(self, services: Services, account: Account) -> None:
        super().__init__(services=services.screens, account=account, is_wide=False, query={},
                         page=SimpleNamespace(update=lambda: None), flash=None, ended=None,
                         went=[])

    def require_account(self) -> Account:
        return self.account

    def go(self, route: str) -> None:
        self.went.append(route)


# Where a screen keeps its controls: containers, list tiles, the frame (app bar, bell,
# navigation).
_CHILDREN = ("controls", "content", "leading", "title", "appbar", "navigation_bar",
             "actions", "destinations", "icon")


def walk(control: Any) -> Iterator[Any]:
    """Every control under `control` (the screen tests' one walker)."""
    yield control
    for attr in _CHILDREN:
        child = getattr(control, attr, None)
        if isinstance(child, list):
            for c in child:
                yield from walk(c)
        elif isinstance(child, ft.BaseControl):
            yield from walk(child)


def field(view: ft.View, label_start: str) -> ft.TextField:
    return next(c for c in walk(view) if isinstance(c, ft.TextField)
                and str(c.label or "").startswith(label_start))


@pytest.fixture
def la_patient(services: Services, clock: FakeClock) -> Account:
    clock.now = LA_EVENING
    return services.accounts.create("lee@example.com", "Lee", "backtrack-test-pw",
                                    Role.PATIENT, timezone="America/Los_Angeles")


def test_milestone_date_is_the_patients_own_day_and_saves(services: Services,
                                                         la_patient: Account) -> None:
    shell = StubShell(services, la_patient)
    view = build_milestones(shell)  # type: ignore[arg-type]
    day = field(view, "Date")
    assert day.value == "2026-11-30"
    services.logbook.add_milestone(la_patient, la_patient.id, text="Walked the dog",
                                   achieved_on=datetime.fromisoformat(day.value).date())


def test_history_lists_soreness_under_its_own_session_not_the_latest(
        services: Services, clock: FakeClock) -> None:
    from datetime import timedelta

    from app.ui.screens.history import timeline

    patient = services.accounts.create("kim@example.com", "Kim", "backtrack-test-pw",
                                       Role.PATIENT)
    first = services.logbook.log_session(patient, patient.id, regions=["lumbar"])
    clock.advance(hours=23)
    second = services.logbook.log_session(patient, patient.id, regions=["hip"])
    clock.advance(hours=1)
    # Logged an hour after the second session, but about the first one.
    services.logbook.log_soreness(patient, patient.id, session_id=first.value.id,
                                  soreness=3, recorded_at=clock.now - timedelta(minutes=5))
    items = timeline(services.logbook.load(patient, patient.id), "UTC")
    assert [i.kind for i in items] == ["session", "session"]
    newest, oldest = items
    assert newest.entry_id == second.value.id and newest.under == ()
    assert [u.title for u in oldest.under] == ["Soreness 3/10"]
    assert oldest.under[0].detail == "23 hours after the session"


def test_history_shows_a_milestone_as_a_day_without_a_time(services: Services) -> None:
    from app.ui.screens.history import timeline

    patient = services.accounts.create("kim@example.com", "Kim", "backtrack-test-pw",
                                       Role.PATIENT)
    services.logbook.add_milestone(patient, patient.id, text="Walked to the shop")
    (item,) = timeline(services.logbook.load(patient, patient.id), "UTC")
    assert item.date_only


def buttons(view: ft.View) -> list[str]:
    return [str(c.content) for c in walk(view)
            if isinstance(c, ft.FilledButton | ft.OutlinedButton)]


def test_a_milestone_opens_for_correction_with_what_was_saved(services: Services) -> None:
    patient = services.accounts.create("kim@example.com", "Kim", "backtrack-test-pw",
                                       Role.PATIENT)
    saved = services.logbook.add_milestone(patient, patient.id, text="Walked to the shop")
    shell = StubShell(services, patient)
    shell.query = {"edit": saved.id}
    view = build_milestones(shell)  # type: ignore[arg-type]
    assert field(view, "What did you manage?").value == "Walked to the shop"
    assert field(view, "Date").value == saved.achieved_on.isoformat()
    assert {"Save correction", "Withdraw this milestone"} <= set(buttons(view))
