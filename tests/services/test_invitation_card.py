"""The patient's appointment card (app.services.invitation_card): printable on its own
(nothing fetched, no scripts), the clinic's words escaped, and a QR image that the card's
CSS scales whole."""

from __future__ import annotations

import re

from app.services.invitation_card import appointment_card, qr_png, qr_svg

LINK = "https://clinic.example/join?code=RYG1-W258-XMPC"


def card(clinic: str = "Harbour Physio") -> str:
    return appointment_card(clinic_name=clinic, inviter_name="Taylor Brooks",
                            code="RYG1-W258-XMPC", link=LINK,
                            join_address="https://clinic.example/join",
                            valid_until="Fri 4 Dec, 21:46").decode("utf-8")


def test_the_qr_image_scales_whole() -> None:
    """A fixed width and height let the card's CSS size cut the image (a finder pattern
    was missing in Chromium, so no phone could read it): a viewBox only."""
    [svg] = re.findall(r"<svg[^>]*>", qr_svg(LINK))
    assert re.search(r'viewBox="0 0 (\d+) \1"', svg)
    assert " width=" not in svg and " height=" not in svg


def test_the_card_stands_alone_and_says_what_to_do() -> None:
    page = card()
    for words in ("RYG1-W258-XMPC", LINK, "Harbour Physio", "Taylor Brooks",
                  "https://clinic.example/join", "Fri 4 Dec, 21:46", "works once"):
        assert words in page, words
    assert "<script" not in page and not re.search(r"""(src|href)=["']?http""", page)
    assert "<svg" in page


def test_the_clinics_words_are_escaped() -> None:
    page = card("Smith & Co <b>Physio</b>")
    assert "Smith &amp; Co &lt;b&gt;Physio&lt;/b&gt;" in page and "<b>" not in page


def test_the_screen_image_is_a_png() -> None:
    assert qr_png(LINK).startswith(b"\x89PNG\r\n\x1a\n")
