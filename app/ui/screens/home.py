"""Home screens: each role lands on its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

import flet as ft

from app.domain.accounts import Role
from app.ui.frame import card, heading, muted, scaffold

if TYPE_CHECKING:
    from app.ui.shell import Shell


def build(shell: Shell) -> ft.View:
    account = shell.require_account()
    if account.role is Role.PATIENT:
        from app.ui.screens.today import build as today

        return today(shell)
    body: list[ft.Control] = [
        heading(f"Hello, {account.name.split()[0]}"),
        muted(f"Signed in as {account.role.label}"),
        ft.ResponsiveRow([card(ft.Text(account.name, size=18), muted(account.email))]),
    ]
    return scaffold(shell, "/", f"BackTrack · {account.role.label}", body)
