"""Colours, type and spacing shared by every screen (light and dark)."""

from __future__ import annotations

import flet as ft

SEED = ft.Colors.TEAL
MAX_FORM_WIDTH = 560
WIDE_BREAKPOINT = 840  # px: from here on, a navigation rail instead of a bottom bar
TOUCH = 48  # minimum touch target (px)

# Tier colours: paired with icons and words, never colour alone.
TIER_COLOURS = {
    "emergency": ft.Colors.RED_700,
    "call_clinic": ft.Colors.AMBER_800,
    "self_care": ft.Colors.GREEN_800,  # GREEN_700 with white words was 4.1:1
}
# The words and icons on each tier's colour, at least 4.5:1 (WCAG AA): white on amber
# was 2.2:1, black on it is 9:1.
_ON_TIER = {"call_clinic": ft.Colors.BLACK}


def on_tier(tier: str) -> str:
    """The colour of words and icons drawn on a tier's colour."""
    return _ON_TIER.get(tier, ft.Colors.WHITE)


def light() -> ft.Theme:
    return ft.Theme(color_scheme_seed=SEED)


def dark() -> ft.Theme:
    return ft.Theme(color_scheme_seed=SEED)


def apply(page: ft.Page, mode: str = "system") -> None:
    page.theme = light()
    page.dark_theme = dark()
    page.theme_mode = {"light": ft.ThemeMode.LIGHT, "dark": ft.ThemeMode.DARK}.get(
        mode, ft.ThemeMode.SYSTEM)
