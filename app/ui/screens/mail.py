"""The admin's email settings card (SMTP server for reminder emails). (Being built:
issue 13.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

import flet as ft

from app.domain.accounts import Account

if TYPE_CHECKING:
    from app.ui.shell import Shell


def mail_card(shell: Shell, admin: Account) -> ft.Control | None:
    """None until the card is built."""
    return None
