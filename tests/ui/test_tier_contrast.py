"""The "Is this normal?" answer's banner and call button are readable: the words on each
tier's colour meet WCAG AA contrast (4.5:1; the call button's label is 14 px). White on
amber was 2.2:1 ("Contact the clinic today", seen in the screenshots)."""

from __future__ import annotations

import flet as ft
import pytest

from app.ui import theme
from tests.ui.test_flags import _contrast

# Material Design 2 palette values (Flet names them only).
_HEX: dict[str, str] = {
    ft.Colors.RED_700: "#D32F2F",
    ft.Colors.AMBER_800: "#FF8F00",
    ft.Colors.GREEN_800: "#2E7D32",
    ft.Colors.WHITE: "#FFFFFF",
    ft.Colors.BLACK: "#000000",
}


@pytest.mark.parametrize("tier", sorted(theme.TIER_COLOURS))
def test_words_on_the_tier_colour_meet_aa_contrast(tier: str) -> None:
    background = _HEX[theme.TIER_COLOURS[tier]]
    words = _HEX[theme.on_tier(tier)]
    assert _contrast(background, words) >= 4.5, tier
