"""The patient's reminders inbox (/reminders): what the care team and the app sent,
each leading to its action, with Done and Not now. (Being built: issue 13.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

import flet as ft

from app.ui.frame import muted, scaffold

if TYPE_CHECKING:
    from app.ui.shell import Shell


def build(shell: Shell) -> ft.View:
    shell.require_account()
    return scaffold(shell, "/reminders", "Reminders", [muted("No reminders yet.")], back="/")
