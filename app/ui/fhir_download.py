"""The "FHIR (for health records systems)" download button (issue 16), shared by the
patient's Settings (Your data) and a clinician's view of a shared patient (Progress).

The file comes through the one export door (app.services.exports: the same access check
as a read, and a clinician's download audited as "export:fhir"); the button only asks for
it off the event loop (building and validating a long record takes a moment) and hands it
to the browser."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import flet as ft

from app.ui import theme

if TYPE_CHECKING:
    from app.domain.accounts import Account
    from app.ui.shell import Shell

LABEL = "FHIR (for health records systems)"


def fhir_button(shell: Shell, viewer: Account, patient_id: str) -> ft.OutlinedButton:
    async def download(_: Any) -> None:
        file = await asyncio.to_thread(shell.services.exports.export, viewer, patient_id,
                                       "fhir")
        await shell.file_picker.save_file(file_name=file.file_name, src_bytes=file.content)
        whose = "Your record" if viewer.id == patient_id else "The record"
        shell.toast(f"{whose} was saved as a FHIR file for a health records system.")

    return ft.OutlinedButton(LABEL, icon=ft.Icons.LOCAL_HOSPITAL_OUTLINED,
                             height=theme.TOUCH, on_click=download)
