"""Flag chips are readable: text on chip meets WCAG AA contrast (4.5:1 for 13 px text)."""

from __future__ import annotations

import flet as ft
import pytest

from app.ui.flags import FLAG_COLOURS, flag_chip

# Material Design 2 palette values of the colours the chips use (Flet names them only).
_HEX: dict[str, str] = {
    ft.Colors.RED_700: "#D32F2F",
    ft.Colors.AMBER_800: "#FF8F00",
    ft.Colors.DEEP_ORANGE_900: "#BF360C",
    ft.Colors.BLUE_700: "#1976D2",
    ft.Colors.BLUE_GREY_600: "#546E7A",
    ft.Colors.WHITE: "#FFFFFF",
    ft.Colors.BLACK: "#000000",
}


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("flag", sorted(FLAG_COLOURS))
def test_chip_text_meets_aa_contrast(flag: str) -> None:
    chip = flag_chip(flag)
    assert isinstance(chip, ft.Container) and isinstance(chip.content, ft.Text)
    background, text = chip.bgcolor, chip.content.color
    assert background is not None and text is not None
    assert _contrast(_HEX[background], _HEX[text]) >= 4.5, flag
