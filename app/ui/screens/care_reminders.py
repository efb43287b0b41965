"""The care team's Reminders screen (/care/reminders): schedule reminders for one patient
or a group, preview them in each patient's time, edit or cancel pending ones.
(Being built: issue 13.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

import flet as ft

from app.ui.frame import muted, scaffold

if TYPE_CHECKING:
    from app.ui.shell import Shell


def build(shell: Shell) -> ft.View:
    shell.require_account()
    return scaffold(shell, "/care/reminders", "Reminders", [muted("Scheduling comes here.")])
