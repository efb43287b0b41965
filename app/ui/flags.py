"""The caseload's flags as coloured chips, the same on the clinician's home and on one
patient's Progress: red for an emergency answer, amber for "call" and soreness, deep orange
for "getting worse", blue for "reassess" and "stopped logging" (the words say it too;
colour is not the only cue)."""

from __future__ import annotations

import flet as ft

from app.services.caseload import FLAGS

FLAG_COLOURS: dict[str, str] = {
    "emergency": ft.Colors.RED_700,  # white text 5.0:1
    "call_clinic": ft.Colors.AMBER_800,  # black text 9.2:1 (white would be 2.3:1)
    "soreness_not_settling": ft.Colors.AMBER_800,
    "worse": ft.Colors.DEEP_ORANGE_900,  # white text 5.6:1
    "reassess": ft.Colors.BLUE_700,  # white text 4.6:1
    "stopped_logging": ft.Colors.BLUE_GREY_600,  # white text 5.3:1
}
# Chips whose colour is too light for white text (WCAG AA asks 4.5:1 for this size).
_DARK_TEXT = frozenset({"call_clinic", "soreness_not_settling"})


def flag_chip(flag: str) -> ft.Control:
    return ft.Container(
        content=ft.Text(FLAGS[flag][1], size=13,
                        color=ft.Colors.BLACK if flag in _DARK_TEXT else ft.Colors.WHITE,
                        weight=ft.FontWeight.W_600),
        bgcolor=FLAG_COLOURS[flag], border_radius=12,
        padding=ft.Padding.symmetric(horizontal=10, vertical=4),
    )

