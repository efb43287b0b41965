"""Less server CPU per check-in (issue 17), checked without a browser: Flet's two hot spots
(app/ui/flet_speedups.py) give the same patch as Flet's own code and are in place in the
web app; the check-in form sends fewer controls with the same questions and labels, and a
tab gets its form back cleared instead of building it again."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import flet as ft
import msgpack
import pytest
from flet.controls.base_control import BaseControl
from flet.controls.object_patch import DiffBuilder, ObjectPatch
from flet.messaging.connection import Connection
from flet.messaging.protocol import Message, MessageAction
from flet.messaging.session import Session
from flet.messaging.session_store import SessionStore
from flet.pubsub.pubsub_hub import PubSubHub
from flet_web.fastapi.flet_app import FletApp

from app.domain.accounts import Account, Role
from app.main import Services
from app.ui import flet_speedups
from app.ui.score_row import ScoreRow
from app.ui.screens import checkin, history, today
from tests.ui.test_patient_screens import StubShell, walk


@pytest.fixture
def flet_as_shipped() -> Iterator[None]:
    """Flet's own functions for the test, the speed-ups back afterwards if they were in."""
    was_in = DiffBuilder._configure_dataclass is flet_speedups.configure_dataclass
    flet_speedups.uninstall()
    yield
    if was_in:
        flet_speedups.install()


@pytest.fixture
def patient(services: Services) -> Account:
    account = services.accounts.create("rowan@example.com", "Rowan", "backtrack-test-pw",
                                       Role.PATIENT)
    services.logbook.set_activities(account, account.id, ["Sitting for an hour",
                                                          "Walking 30 minutes",
                                                          "Getting out of bed"])
    return account


def _patch_of_new_screen(view: ft.View) -> tuple[Any, list[str]]:
    """What Flet sends when `view` replaces a screen (ids renumbered in order of first
    appearance, so two builds of one screen compare), and the added controls' types."""
    patch, added, _ = ObjectPatch.from_diff([None], [view], control_cls=BaseControl)
    packed = msgpack.packb(patch.to_message(), default=flet_speedups._encode)
    ids: dict[int, int] = {}

    def renumber(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: ids.setdefault(v, len(ids)) if k == "_i" else renumber(v)
                    for k, v in node.items()}
        if isinstance(node, list):
            return [renumber(v) for v in node]
        return node

    return renumber(msgpack.unpackb(packed, strict_map_key=False)), \
        [type(c).__name__ for c in added]


@pytest.mark.parametrize("screen", [checkin.build, today.build, history.build])
def test_a_new_screen_patches_the_same_with_the_faster_diff(
        services: Services, patient: Account, flet_as_shipped: None, screen: Any) -> None:
    services.logbook.check_in(patient, patient.id, pain_now=4, worst_24h=6,
                              regions=["lower_back"], psfs={}, note="stiff")
    shell = StubShell(services, patient)
    theirs = _patch_of_new_screen(screen(shell))
    assert flet_speedups.install()
    ours = _patch_of_new_screen(screen(shell))
    assert ours == theirs
    assert len(ours[1]) > 30  # a whole screen was compared, not an empty one


def test_parents_are_set_as_flet_sets_them(services: Services, patient: Account,
                                           flet_as_shipped: None) -> None:
    """Events find their page through each control's parent: the same chain either way."""
    shell = StubShell(services, patient)

    def parents(view: ft.View) -> list[str]:
        ObjectPatch.from_diff([None], [view], control_cls=BaseControl)
        chains = []
        for control in walk(view):
            chain, node = [], control.parent
            while node is not None:
                chain.append(type(node).__name__)
                node = node.parent
            chains.append("/".join(chain))
        return chains

    theirs = parents(checkin.build(shell))  # type: ignore[arg-type]
    flet_speedups.install()
    assert parents(checkin.build(shell)) == theirs  # type: ignore[arg-type]


@dataclasses.dataclass
class _Unprintable:
    """A message body whose repr() fails: sending it must not format it."""
    score: int

    def __repr__(self) -> str:
        raise AssertionError("a message was formatted for a log line that is off")


def test_sending_does_not_format_the_message_for_a_log_that_is_off() -> None:
    assert flet_speedups.install()
    app = object.__new__(FletApp)
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    app._FletApp__send_queue = queue
    app.send_message(Message(MessageAction.PATCH_CONTROL, _Unprintable(3)))
    frame = queue.get_nowait()
    assert frame[0] == 0 and msgpack.unpackb(frame[1:]) == [2, {"score": 3}]


def test_the_web_app_puts_them_in_place(services: Services, flet_as_shipped: None) -> None:
    from app.ui.server import asgi_app

    asgi_app(services.screens)
    assert DiffBuilder._configure_dataclass is flet_speedups.configure_dataclass
    assert FletApp.send_message is flet_speedups.send_message


def test_another_flet_version_is_left_alone(monkeypatch: pytest.MonkeyPatch,
                                            flet_as_shipped: None) -> None:
    monkeypatch.setattr(flet_speedups, "flet_version", "1.1.0")
    assert not flet_speedups.install()
    assert DiffBuilder._configure_dataclass is not flet_speedups.configure_dataclass


# -- the check-in form --------------------------------------------------------------------

def _controls(view: ft.View) -> int:
    _, added, _ = ObjectPatch.from_diff([None], [view], control_cls=BaseControl)
    return len(added)


def test_the_check_in_form_sends_fewer_controls_with_every_question(
        services: Services, patient: Account) -> None:
    view = checkin.build(StubShell(services, patient))  # type: ignore[arg-type]
    labels = {c.semantics_label for c in walk(view) if isinstance(c, ft.Text)}
    for question in ("Pain right now", "Worst pain in the last 24 hours",
                     "Today, how well can you do: Sitting for an hour?"):
        assert {f"{question}: {n}" for n in range(11)} <= labels, question
    # 199 before (issue 17): the folded body areas and the empty error lines went.
    assert _controls(view) <= 170


def test_the_body_areas_join_the_form_when_their_tile_opens(
        services: Services, patient: Account) -> None:
    view = checkin.build(StubShell(services, patient))  # type: ignore[arg-type]
    tile = next(c for c in walk(view) if isinstance(c, ft.ExpansionTile))
    assert tile.controls == []
    object.__setattr__(tile, "update", lambda: None)  # no browser page in this test
    assert tile.on_change is not None
    opened: Any = tile.on_change
    opened(None)
    chips = [c for c in walk(tile) if isinstance(c, ft.Chip)]
    assert len(chips) == 12 and all(c.on_select is not None for c in chips)


def test_a_score_row_shows_its_error_line_only_while_there_is_one() -> None:
    row = ScoreRow("Pain right now")
    assert all(c is not row.error for c in row.controls)
    row.show_error("Tap a number for your pain right now.")
    assert row.controls[-1] is row.error and row.error.value.startswith("Tap a number")
    row.show_error(None)
    row.show_error(None)
    assert all(c is not row.error for c in row.controls)


def _tab(services: Services, patient: Account) -> StubShell:
    """A stand-in tab whose page has a Flet session store, as a real tab's has."""
    shell = StubShell(services, patient)
    shell.page = SimpleNamespace(update=lambda: None,
                                 session=SimpleNamespace(store=SessionStore()))
    return shell


def _form_of(view: ft.View) -> ft.ResponsiveRow:
    return next(c for c in walk(view) if isinstance(c, ft.ResponsiveRow))


def test_a_tab_gets_its_check_in_form_back_cleared(services: Services,
                                                   patient: Account) -> None:
    shell = _tab(services, patient)
    first = checkin.build(shell)  # type: ignore[arg-type]
    rows = [c for c in walk(first) if isinstance(c, ScoreRow)]
    rows[0].value = 6
    rows[1].show_error("Worst pain in the last 24 hours can't be lower than pain now.")
    note = next(c for c in walk(first) if isinstance(c, ft.TextField))
    note.value = "typed last time"
    tile = next(c for c in walk(first) if isinstance(c, ft.ExpansionTile))
    tile.controls, tile.expanded = [ft.Text("chips")], True
    column = _form_of(first).controls[0]
    assert isinstance(column, ft.Column)
    column.controls = [ft.Text("Check-in saved. Thank you!")]

    again = checkin.build(shell)  # type: ignore[arg-type]
    assert _form_of(again) is _form_of(first)  # the same controls, not built again
    assert all(r.value is None and all(c is not r.error for c in r.controls) for r in rows)
    assert rows[0].cells[6].bgcolor == ft.Colors.SURFACE_CONTAINER_HIGH
    assert note.value == "" and tile.controls == [] and not tile.expanded
    texts = [c.value for c in walk(again) if isinstance(c, ft.Text)]
    assert "Check-in saved. Thank you!" not in texts
    assert any(c.content == "Save check-in" for c in walk(again)
               if isinstance(c, ft.FilledButton) and c.visible)


def test_new_questions_get_a_new_form(services: Services, patient: Account) -> None:
    shell = _tab(services, patient)
    first = checkin.build(shell)  # type: ignore[arg-type]
    services.logbook.set_activities(patient, patient.id, ["Sitting for an hour",
                                                          "Walking 30 minutes",
                                                          "Gardening"])
    again = checkin.build(shell)  # type: ignore[arg-type]
    assert _form_of(again) is not _form_of(first)
    labels = {c.value for c in walk(again) if isinstance(c, ft.Text)}
    assert "Today, how well can you do: Gardening?" in labels


def test_a_tap_on_a_score_sends_only_the_two_cells_that_changed() -> None:
    sent: list[Message] = []

    class Tab(Connection):
        """A browser tab as far as a Flet session needs one: what it is sent, encoded."""

        def __init__(self) -> None:
            super().__init__()
            self.pubsubhub = PubSubHub()
            self.page_url = "http://localhost"

        def send_message(self, message: Message) -> None:
            msgpack.packb([message.action, message.body], default=flet_speedups._encode)
            sent.append(message)

    session = Session(Tab())
    msgpack.packb(session.get_page_patch(), default=flet_speedups._encode)
    row = ScoreRow("Pain right now", value=3)
    session.page.add(row)
    sent.clear()
    row._picked(SimpleNamespace(control=row.cells[7]))
    patched = [m.body.id for m in sent if m.action == MessageAction.PATCH_CONTROL]
    assert sorted(patched) == sorted([row.cells[3]._i, row.cells[7]._i])
    picked = row.cells[7].content
    assert isinstance(picked, ft.Text) and row.value == 7
    assert picked.semantics_label == "Pain right now: 7 (selected)"
