"""What the UI is handed (issue 11): the screens' services, never the store, the settings
or the composition root's whole bundle."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from app.main import Services
from app.services.facade import ScreenServices
from app.settings import Settings

UI_PACKAGE = Path(__file__).parents[2] / "app" / "ui"


def test_the_screens_get_services_without_store_or_settings(services: Services) -> None:
    handed = services.screens
    assert isinstance(handed, ScreenServices)
    for field in dataclasses.fields(handed):
        value = getattr(handed, field.name)
        assert value is not services.store and not isinstance(value, Settings), field.name
    assert not hasattr(handed, "store") and not hasattr(handed, "settings")
    assert handed.rulebook is services.guidance.rulebook


def test_the_screens_share_the_roots_services(services: Services) -> None:
    """One instance of each service: the UI's and the command line's are the same."""
    reminders = services.reminders
    theirs = {"reminders": reminders.reminders, "calendar": reminders.calendar,
              "reminder_overview": reminders.overview, "mail": reminders.mail}
    for field in dataclasses.fields(ScreenServices):
        root = theirs[field.name] if field.name in theirs else getattr(services, field.name)
        assert getattr(services.screens, field.name) is root, field.name
    assert not any(value is reminders.delivery for value in vars(services.screens).values())


def test_no_ui_module_imports_the_composition_root() -> None:
    found = []
    for path in sorted(UI_PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.name}: {n}" for n in names if n in ("app.main", "app.settings")]
    assert found == []


def test_no_ui_module_reaches_for_a_store_attribute() -> None:
    """A guard, not a regression test (it passed before the facade too): some services
    keep their store in a public attribute, which the facade's types can't hide, so this
    keeps screens from reading `<service>.store` (Flet's `page.session.store` aside)."""
    found = [f"{path.name}:{node.lineno}" for path in sorted(UI_PACKAGE.rglob("*.py"))
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Attribute) and node.attr in ("store", "_store")
             and not _is_flet_session(node.value)]
    assert found == []


def _is_flet_session(node: ast.expr) -> bool:
    """`page.session.store` is Flet's per-tab storage, not ours."""
    return isinstance(node, ast.Attribute) and node.attr == "session"
