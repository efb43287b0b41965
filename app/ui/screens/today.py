"""The patient's Today screen (filled in by the patient-app work)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import flet as ft

from app.ui.frame import heading, muted, scaffold

if TYPE_CHECKING:
    from app.ui.shell import Shell


def build(shell: Shell) -> ft.View:
    account = shell.require_account()
    body: list[ft.Control] = [
        heading(f"Hello, {account.name.split()[0]}"),
        muted(f"Signed in as {account.role.label}"),
    ]
    return scaffold(shell, "/", "Today", body)
