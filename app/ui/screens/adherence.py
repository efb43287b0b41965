"""The care team's adherence view (/care/adherence): per patient, days since the last
check-in, reminders sent, opened and done in the last 14 days, and the urgency flags,
most in need first. (Being built: issue 13.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

import flet as ft

from app.ui.frame import muted, scaffold

if TYPE_CHECKING:
    from app.ui.shell import Shell


def build(shell: Shell) -> ft.View:
    shell.require_account()
    return scaffold(shell, "/care/adherence", "Adherence", [muted("Adherence comes here.")])
